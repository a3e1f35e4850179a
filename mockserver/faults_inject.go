package mockserver

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"strconv"
	"time"
)

// injectFaults sits between validation and the enquiry handler: it picks
// the fault of a request, from its X-Mock-Fault header or the rules in force,
// and makes the answer fail that way.
//
// Faults that replace the answer (status, reset, empty, hang) never reach the
// transaction, as when the provider fails before processing; faults that
// spoil the answer (latency, truncated, malformed, content-type, trickle)
// process the enquiry, which counts, and spoil what the client receives.
func (s *Server) injectFaults(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeFrom(r)
		req, err := ex.decodedEnquiry()
		if err == nil {
			ex.registrationID, ex.referenceID = req.RegistrationID, req.ReferenceID
		}
		picked, ok, err := s.pickFault(r, req)
		if err != nil {
			s.writeValidationError(w, http.StatusBadRequest, errorMessageOf(err))
			return
		}
		if !ok {
			next.ServeHTTP(w, r)
			return
		}
		ex.fault = picked.describe()
		source := "rule"
		if picked.source == "header" {
			source = "header"
		}
		s.control.metrics.faults.WithLabelValues(string(picked.rule.Kind), source).Inc()
		s.applyFault(w, r, picked, next)
	})
}

func (s *Server) pickFault(r *http.Request, req enquiryRequest) (pickedFault, bool, error) {
	if !s.cfg.DisableFaultHeader {
		if v := r.Header.Get(FaultHeader); v != "" {
			rule, err := ParseFaultHeader(v)
			if err != nil {
				return pickedFault{}, false, err
			}
			return s.control.faults.FromHeader(rule), true, nil
		}
	}
	picked, ok, err := s.control.faults.Pick(r.Context(), req.RegistrationID, req.ReferenceID)
	if err != nil {
		s.log.Warn("fault rule count not saved", "error", err.Error())
	}
	return picked, ok, nil
}

func (s *Server) applyFault(w http.ResponseWriter, r *http.Request, f pickedFault, next http.Handler) {
	ex := exchangeFrom(r)
	switch f.rule.Kind {
	case FaultHang:
		bound := f.delay
		if bound == 0 {
			bound = DefaultHangBound
		}
		ex.scenario = "fault:hang"
		s.pause(r.Context(), bound)
		closeConnection(w, false)
		return
	case FaultTrickle:
		spread := f.delay
		if spread == 0 {
			spread = DefaultTrickleSpread
		}
		s.trickle(w, r, captureAnswer(next, r), spread)
		return
	}
	if f.delay > 0 && !s.pause(r.Context(), f.delay) {
		// The client gave up, or the server is stopping: nobody is left to
		// answer.
		panic(http.ErrAbortHandler)
	}
	switch f.rule.Kind {
	case FaultLatency:
		next.ServeHTTP(w, r)
	case FaultStatus:
		ex.scenario = "fault:status"
		sf := statusFaults[f.rule.Status]
		if f.rule.Status == http.StatusTooManyRequests {
			retry := f.rule.RetryAfter
			if retry == "" {
				retry = "1"
			}
			w.Header().Set("Retry-After", retry)
		}
		writeError(w, f.rule.Status, sf.code, sf.message, "")
	case FaultReset:
		ex.scenario = "fault:reset"
		closeConnection(w, true)
	case FaultEmpty:
		ex.scenario = "fault:empty"
		w.Header().Set("Content-Type", jsonContentType)
		w.Header().Set("Content-Length", "0")
		w.WriteHeader(http.StatusOK)
	case FaultTruncated:
		ans := captureAnswer(next, r)
		body := ans.body.Bytes()
		// Content-Length announces the whole answer, so the client notices
		// the cut; the server closes the connection after the short body.
		ans.writeTo(w, "", len(body), body[:len(body)/2])
	case FaultMalformed:
		ans := captureAnswer(next, r)
		body := malform(ans.body.Bytes())
		ans.writeTo(w, "", len(body), body)
	case FaultContentType:
		ans := captureAnswer(next, r)
		body := ans.body.Bytes()
		ans.writeTo(w, "text/html; charset=utf-8", len(body), body)
	}
}

// pause waits for d, and reports false when the client went away or the
// server is stopping first.
func (s *Server) pause(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	case <-s.control.stopping:
		return false
	}
}

// trickle sends the answer a few bytes at a time, spread evenly over spread.
func (s *Server) trickle(w http.ResponseWriter, r *http.Request, ans *capturedAnswer, spread time.Duration) {
	const chunk = 8
	body := ans.body.Bytes()
	ans.writeTo(w, "", len(body), nil)
	rc := http.NewResponseController(w)
	_ = rc.Flush()
	chunks := (len(body) + chunk - 1) / chunk
	start := time.Now()
	for i := 0; i < chunks; i++ {
		if i > 0 {
			due := start.Add(spread * time.Duration(i) / time.Duration(chunks))
			if d := time.Until(due); d > 0 && !s.pause(r.Context(), d) {
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
	if tcp, ok := conn.(*net.TCPConn); ok && reset {
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
