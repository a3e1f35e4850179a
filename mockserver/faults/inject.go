package faults

import (
	"bytes"
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/reqnote"
)

// Options are what Inject needs.
type Options struct {
	// Rules are the rules in force.
	Rules *Set
	// Header honours the X-Mock-Fault request header.
	Header bool
	// Stopping, once closed, ends every wait of a fault in progress (hangs,
	// delays, trickles), so that a graceful shutdown need not wait for them.
	Stopping <-chan struct{}
	// Log hears of a counted rule whose count could not be saved.
	Log *slog.Logger
	// Injected, when set, hears of every fault injected: its kind, and
	// "rule" or "header".
	Injected func(kind admin.FaultKind, source string)
}

// Inject sits between the validation of an enquiry and its handler: it
// picks the fault of a request, from its X-Mock-Fault header or the rules in
// force, and makes the answer fail that way. The request's reqnote names the
// transaction enquired.
//
// Faults that replace the answer (status, reset, empty, hang) never reach the
// transaction, as when the provider fails before processing; faults that
// spoil the answer (latency, truncated, malformed, content-type, trickle)
// process the enquiry, which counts, and spoil what the client receives.
func Inject(o Options, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note := reqnote.From(r)
		picked, ok, err := pick(o, r, note)
		if err != nil {
			envelope.WriteFailure(w, r, dialect.Validation, messageOf(err), "")
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		note.Fault = picked.Describe()
		if o.Injected != nil {
			source := "rule"
			if picked.Source == "header" {
				source = "header"
			}
			o.Injected(picked.Rule.Kind, source)
		}
		apply(o.Stopping, w, r, picked, next)
	})
}

func pick(o Options, r *http.Request, note *reqnote.Note) (Picked, bool, error) {
	if o.Header {
		if v := r.Header.Get(admin.FaultHeader); v != "" {
			rule, err := ParseHeader(v)
			if err != nil {
				return Picked{}, false, err
			}
			return o.Rules.FromHeader(rule), true, nil
		}
	}
	picked, ok, err := o.Rules.Pick(r.Context(), note.RegistrationID, note.ReferenceID)
	if err != nil && o.Log != nil {
		o.Log.Warn("fault rule count not saved", "error", err.Error())
	}
	return picked, ok, nil
}

func apply(stopping <-chan struct{}, w http.ResponseWriter, r *http.Request, f Picked, next http.Handler) {
	note := reqnote.From(r)
	switch f.Rule.Kind {
	case admin.FaultHang:
		note.Scenario = "fault:hang"
		pause(r.Context(), stopping, orDefault(f.Delay, DefaultHangBound))
		closeConnection(w, false)
		return
	case admin.FaultTrickle:
		trickle(stopping, w, r, captureAnswer(next, r), orDefault(f.Delay, DefaultTrickleSpread))
		return
	}
	if f.Delay > 0 && !pause(r.Context(), stopping, f.Delay) {
		// The client gave up, or the server is stopping: nobody is left to
		// answer.
		panic(http.ErrAbortHandler)
	}
	switch f.Rule.Kind {
	case admin.FaultLatency:
		next.ServeHTTP(w, r)
	case admin.FaultStatus:
		note.Scenario = "fault:status"
		writeStatus(w, r, f.Rule)
	case admin.FaultReset:
		note.Scenario = "fault:reset"
		closeConnection(w, true)
	case admin.FaultEmpty:
		note.Scenario = "fault:empty"
		w.Header().Set("Content-Type", envelope.JSONContentType)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case admin.FaultTruncated:
		ans := captureAnswer(next, r)
		body := ans.body.Bytes()
		// Content-Length announces the whole answer, so the client notices
		// the cut; the server closes the connection after the short body.
		ans.writeTo(w, "", len(body), body[:len(body)/2])
	case admin.FaultMalformed:
		ans := captureAnswer(next, r)
		body := malform(ans.body.Bytes())
		ans.writeTo(w, "", len(body), body)
	case admin.FaultContentType:
		ans := captureAnswer(next, r)
		body := ans.body.Bytes()
		ans.writeTo(w, "text/html; charset=utf-8", len(body), body)
	}
}

// orDefault is d, or otherwise when d is zero.
func orDefault(d, otherwise time.Duration) time.Duration {
	if d == 0 {
		return otherwise
	}
	return d
}

// writeStatus answers the status of a status fault in the provider's
// envelope, spelt as r's dialect spells errors.
func writeStatus(w http.ResponseWriter, r *http.Request, rule admin.FaultRule) {
	sa := statusAnswers[rule.Status]
	if rule.Status == http.StatusTooManyRequests {
		retry := rule.RetryAfter
		if retry == "" {
			retry = "1"
		}
		w.Header().Set("Retry-After", retry)
	}
	envelope.WriteError(w, r, rule.Status, rechargestatus.ErrorAnswer{ResponseCode: sa.code, Message: sa.message})
}

// pause waits for d, and reports false when the client went away or the
// server is stopping first.
func pause(ctx context.Context, stopping <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-stopping:
		return false
	}
}

// trickle sends the answer a few bytes at a time, spread evenly over spread.
func trickle(stopping <-chan struct{}, w http.ResponseWriter, r *http.Request, ans *capturedAnswer, spread time.Duration) {
	const chunk = 8
	body := ans.body.Bytes()
	ans.writeTo(w, "", len(body), nil)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	chunks := (len(body) + chunk - 1) / chunk
	start := time.Now()
	for i := range chunks {
		if i > 0 {
			due := start.Add(spread * time.Duration(i) / time.Duration(chunks))
			if d := time.Until(due); d > 0 && !pause(r.Context(), stopping, d) {
				panic(http.ErrAbortHandler)
			}
		}
		end := min((i+1)*chunk, len(body))
		if _, err := w.Write(body[i*chunk : end]); err != nil {
			panic(http.ErrAbortHandler)
		}
		_ = rc.Flush()
	}
}

// closeConnection drops the connection without an answer; with reset, the
// peer gets a TCP RST (ECONNRESET) rather than an orderly close.
func closeConnection(w http.ResponseWriter, reset bool) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		// HTTP/2 cannot hand the connection over; aborting resets the stream.
		panic(http.ErrAbortHandler)
	}
	// A listener may wrap the TCP connection; what matters is that the
	// connection can linger.
	if tcp, ok := conn.(interface{ SetLinger(sec int) error }); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// malform keeps the answer up to its "status" member and breaks the value,
// as a proxy cutting a buffered answer and appending its own brace would.
func malform(body []byte) []byte {
	key := []byte(`"status":`)
	i := bytes.Index(body, key)
	if i < 0 {
		return []byte(`{"response_code":1,"status":tru}`)
	}
	out := append([]byte(nil), body[:i+len(key)]...)
	return append(out, "tru}"...)
}

// capturedAnswer is the answer a handler would have sent.
type capturedAnswer struct {
	header http.Header
	status int
	body   bytes.Buffer
}

func (c *capturedAnswer) Header() http.Header { return c.header }

func (c *capturedAnswer) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
}

func (c *capturedAnswer) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c.body.Write(b)
}

func captureAnswer(next http.Handler, r *http.Request) *capturedAnswer {
	c := &capturedAnswer{header: http.Header{}}
	next.ServeHTTP(c, r)
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c
}

// writeTo sends the captured status and headers, announcing length bytes of
// body, then body; contentType replaces the captured one when set.
func (c *capturedAnswer) writeTo(w http.ResponseWriter, contentType string, length int, body []byte) {
	for k, v := range c.header {
		w.Header()[k] = v
	}
	if contentType != "" {
		w.Header().Set("Content-Type", contentType)
	}
	w.Header().Set("Content-Length", strconv.Itoa(length))
	w.WriteHeader(c.status)
	if len(body) > 0 {
		_, _ = w.Write(body)
	}
}
