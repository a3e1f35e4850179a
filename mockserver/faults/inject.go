package faults

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
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
	// MaxHeld bounds the requests that faults hold at once (hangs,
	// trickles, delays); past it such a fault is refused with 429, so that
	// faults cannot take every connection from ordinary enquiries. Zero
	// holds any number.
	MaxHeld int
}

// HeldScenario names, in the journal and metrics, a fault refused because
// Options.MaxHeld requests are held already.
const HeldScenario = "fault:refused-too-many-held"

// Inject sits between the validation of an enquiry and its handler: it
// picks the fault of a request, from its X-Mock-Fault header or the rules in
// force, and makes the answer fail that way.
//
// Faults that replace the answer (status, reset, empty, hang) never reach the
// transaction, as when the provider fails before processing; faults that
// spoil the answer (latency, truncated, malformed, content-type, trickle)
// process the enquiry, which counts, and spoil what the client receives.
func Inject(o Options, next served.EnquiryHandler) served.EnquiryHandler {
	var held chan struct{}
	if o.MaxHeld > 0 {
		held = make(chan struct{}, o.MaxHeld)
	}
	return served.EnquiryFunc(func(w http.ResponseWriter, r *http.Request, q served.Enquiry) served.Outcome {
		picked, ok, err := pick(o, r, q)
		if errors.Is(err, recharge.ErrStale) {
			return served.Outcome{Stale: true}
		}
		if err != nil {
			envelope.WriteFailure(w, *q.Dialect, dialect.Validation, messageOf(err), "")
			return served.Outcome{}
		}
		if !ok {
			return next.ServeEnquiry(w, r, q)
		}
		if held != nil && holds(picked) {
			select {
			case held <- struct{}{}:
				defer func() { <-held }()
			default:
				refuseHeld(w, *q.Dialect, o.MaxHeld)
				return served.Outcome{Scenario: HeldScenario, Fault: picked.Describe()}
			}
		}
		if o.Injected != nil {
			source := "rule"
			if picked.Source == "header" {
				source = "header"
			}
			o.Injected(picked.Rule.Kind, source)
		}
		out := apply(o.Stopping, w, r, q, picked, next)
		out.Fault = picked.Describe()
		return out
	})
}

func pick(o Options, r *http.Request, q served.Enquiry) (Picked, bool, error) {
	if o.Header {
		if v := r.Header.Get(admin.FaultHeader); v != "" {
			rule, err := ParseHeader(v)
			if err != nil {
				return Picked{}, false, err
			}
			return o.Rules.FromHeader(rule), true, nil
		}
	}
	picked, ok, err := o.Rules.Pick(r.Context(), q.RegistrationID, q.ReferenceID)
	if errors.Is(err, recharge.ErrStale) {
		return Picked{}, false, err
	}
	if err != nil && o.Log != nil {
		o.Log.Warn("fault rule count not saved", "error", err.Error())
	}
	return picked, ok, nil
}

// aborted is the outcome of an answer abandoned before it was whole.
var aborted = served.Outcome{Aborted: true}

func apply(stopping <-chan struct{}, w http.ResponseWriter, r *http.Request, q served.Enquiry, f Picked, next served.EnquiryHandler) served.Outcome {
	switch f.Rule.Kind {
	case admin.FaultHang:
		pause(r.Context(), stopping, orDefault(f.Delay, DefaultHangBound))
		return served.Outcome{Scenario: "fault:hang", Aborted: !closeConnection(w, false)}
	case admin.FaultTrickle:
		ans, out := captureAnswer(next, r, q)
		if !out.Aborted {
			out.Aborted = !trickle(stopping, w, r, ans, orDefault(f.Delay, DefaultTrickleSpread))
		}
		return out
	}
	if f.Delay > 0 && !pause(r.Context(), stopping, f.Delay) {
		// The client gave up, or the server is stopping: nobody is left to
		// answer.
		return aborted
	}
	switch f.Rule.Kind {
	case admin.FaultLatency:
		return next.ServeEnquiry(w, r, q)
	case admin.FaultStatus:
		writeStatus(w, *q.Dialect, f.Rule)
		return served.Outcome{Scenario: "fault:status"}
	case admin.FaultReset:
		return served.Outcome{Scenario: "fault:reset", Aborted: !closeConnection(w, true)}
	case admin.FaultEmpty:
		w.Header().Set("Content-Type", envelope.JSONContentType)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
		return served.Outcome{Scenario: "fault:empty"}
	}
	ans, out := captureAnswer(next, r, q)
	if out.Aborted {
		return out
	}
	body := ans.body.Bytes()
	switch f.Rule.Kind {
	case admin.FaultTruncated:
		// Content-Length announces the whole answer, so the client notices
		// the cut; the server closes the connection after the short body.
		ans.writeTo(w, "", len(body), body[:len(body)/2])
	case admin.FaultMalformed:
		body = malform(body)
		ans.writeTo(w, "", len(body), body)
	case admin.FaultContentType:
		ans.writeTo(w, "text/html; charset=utf-8", len(body), body)
	}
	return out
}

// holds reports whether fault f holds its request a while: a hang, a
// trickle, or any fault with a delay.
func holds(f Picked) bool {
	return f.Rule.Kind == admin.FaultHang || f.Rule.Kind == admin.FaultTrickle || f.Delay > 0
}

// refuseHeld answers a fault refused because most requests are held by
// faults already: 429, with Retry-After, in the provider's envelope as
// dialect d spells errors.
func refuseHeld(w http.ResponseWriter, d dialect.Dialect, most int) {
	w.Header().Set("Retry-After", "1")
	sa := statusAnswers[http.StatusTooManyRequests]
	envelope.WriteError(w, d, http.StatusTooManyRequests, rechargestatus.ErrorAnswer{ResponseCode: sa.code, Message: sa.message,
		Remarks: fmt.Sprintf("%d requests are held by hang, latency and trickle faults already, the most the sandbox holds at once (--max-held-faults); retry the fault later", most)})
}

// orDefault is d, or otherwise when d is zero.
func orDefault(d, otherwise time.Duration) time.Duration {
	if d == 0 {
		return otherwise
	}
	return d
}

// writeStatus answers the status of a status fault in the provider's
// envelope, spelt as dialect d spells errors.
func writeStatus(w http.ResponseWriter, d dialect.Dialect, rule admin.FaultRule) {
	sa := statusAnswers[rule.Status]
	if rule.Status == http.StatusTooManyRequests {
		retry := rule.RetryAfter
		if retry == "" {
			retry = "1"
		}
		w.Header().Set("Retry-After", retry)
	}
	envelope.WriteError(w, d, rule.Status, rechargestatus.ErrorAnswer{ResponseCode: sa.code, Message: sa.message})
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

// trickle sends the answer a few bytes at a time, spread evenly over spread,
// and reports false when it could not finish: the client went, or the server
// is stopping.
func trickle(stopping <-chan struct{}, w http.ResponseWriter, r *http.Request, ans *capturedAnswer, spread time.Duration) bool {
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
				return false
			}
		}
		end := min((i+1)*chunk, len(body))
		if _, err := w.Write(body[i*chunk : end]); err != nil {
			return false
		}
		// The last chunk goes out as the handler returns, after the
		// request is journaled: a client holding the whole answer finds
		// its request in the journal.
		if i < chunks-1 {
			_ = rc.Flush()
		}
	}
	return true
}

// closeConnection drops the connection without an answer; with reset, the
// peer gets a TCP RST (ECONNRESET) rather than an orderly close. It reports
// false when the connection cannot be handed over (HTTP/2): aborting the
// answer then resets the stream.
func closeConnection(w http.ResponseWriter, reset bool) bool {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return false
	}
	// A listener may wrap the TCP connection; what matters is that the
	// connection can linger.
	if tcp, ok := conn.(interface{ SetLinger(sec int) error }); ok && reset {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
	return true
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

// captureAnswer is the answer next would have sent q, and what next did.
func captureAnswer(next served.EnquiryHandler, r *http.Request, q served.Enquiry) (*capturedAnswer, served.Outcome) {
	c := &capturedAnswer{header: http.Header{}}
	out := next.ServeEnquiry(c, r, q)
	if c.status == 0 {
		c.status = http.StatusOK
	}
	return c, out
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
