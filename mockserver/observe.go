package mockserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
)

// capture remembers the status and the start of the body a handler wrote.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
	// hijacked is the connection a handler took over, closed only once
	// the request is journaled (heldConn).
	hijacked *heldConn
}

func (c *capture) WriteHeader(status int) {
	if c.status == 0 {
		c.status = status
	}
	c.ResponseWriter.WriteHeader(status)
}

func (c *capture) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	if room := journal.BodyLimit + 1 - c.body.Len(); room > 0 {
		c.body.Write(b[:min(room, len(b))])
	}
	return c.ResponseWriter.Write(b)
}

func (c *capture) Flush() {
	if f, ok := c.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (c *capture) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := c.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be hijacked")
	}
	conn, rw, err := h.Hijack()
	if err != nil {
		return nil, nil, err
	}
	c.hijacked = &heldConn{Conn: conn}
	return c.hijacked, rw, nil
}

// heldConn is a hijacked connection whose Close waits for the request's
// journal entry: a client that sees the connection end (a fault that
// drops it) and asks the journal, or moves the sandbox clock, at once must
// find the request there, timed before it could react.
type heldConn struct {
	net.Conn
}

// Close leaves the closing to observe, after the request is journaled.
func (h *heldConn) Close() error { return nil }

// SetLinger is the TCP connection's, so that a fault can still reset it.
func (h *heldConn) SetLinger(sec int) error {
	if l, ok := h.Conn.(interface{ SetLinger(sec int) error }); ok {
		return l.SetLinger(sec)
	}
	return errors.New("the connection has no linger to set")
}

func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// observer is what observe reports every request to.
type observer struct {
	log     *slog.Logger
	journal *journal.Journal
	metrics *metrics
	now     func() time.Time
}

// observe journals, logs and counts every request as its outcome says,
// and turns a panic into an answer in the envelope rather than a dropped
// connection.
func observe(o observer, next served.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		came := arrival{system: time.Now(), sandbox: o.now(), after: o.journal.LastID()}
		c := captures.Get().(*capture)
		c.ResponseWriter, c.status = w, 0
		c.body.Reset()
		out := o.serve(next, c, r)
		o.finish(r, c, out, came)
		if c.hijacked != nil {
			_ = c.hijacked.Conn.Close()
		}
		c.ResponseWriter, c.hijacked = nil, nil
		captures.Put(c)
		if out.Aborted {
			panic(http.ErrAbortHandler)
		}
	})
}

// captures are reused: every request has one, and none outlives its
// request (the journal keeps a copy of what it captured).
var captures = sync.Pool{New: func() any { return new(capture) }}

// serve is next's outcome of r. A panic of next is an aborted outcome when
// it is http.ErrAbortHandler, and otherwise logged and answered in the
// envelope, when no answer has begun.
func (o observer) serve(next served.Handler, c *capture, r *http.Request) (out served.Outcome) {
	defer func() {
		p := recover()
		if p == nil {
			return
		}
		out = served.Outcome{Aborted: p == http.ErrAbortHandler}
		if out.Aborted {
			return
		}
		o.log.Error("handler panic", "panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path)
		if c.status == 0 {
			envelope.WriteFailure(c, dialect.Default(), dialect.UnableToProcess, "", "")
		}
	}()
	return next.Serve(c, r)
}

// arrival is when a request came, on both clocks and in the journal's
// order, for the audit to tell what the client sent after what.
type arrival struct {
	system, sandbox time.Time
	after           uint64
}

func (o observer) finish(r *http.Request, c *capture, out served.Outcome, came arrival) {
	elapsed := time.Since(came.system)
	o.metrics.request(out.Route, out.Scenario, c.status, elapsed)
	if !admin.IsAdminPath(r.URL.Path) {
		var answeredIn string
		if out.Dialect != nil {
			answeredIn = out.Dialect.String()
		}
		o.journal.Add(admin.JournalEntry{
			Time:            o.now(),
			Method:          r.Method,
			Path:            r.URL.Path,
			RemoteAddr:      r.RemoteAddr,
			RequestHeaders:  journal.Headers(r.Header),
			RegistrationID:  out.Enquired.RegistrationID,
			ReferenceID:     out.Enquired.ReferenceID,
			Status:          c.status,
			ResponseHeaders: journal.Headers(c.Header()),
			Scenario:        out.Scenario,
			Fault:           out.Fault,
			Dialect:         answeredIn,
			DurationMillis:  float64(elapsed.Microseconds()) / 1000,
			Started:         came.sandbox,
			SystemStarted:   came.system,
			StartedAfter:    came.after,
			TokenDigest:     journal.TokenDigest(r.Header.Get(rechargestatus.TokenHeader)),
		}, out.Body, bytes.Clone(c.body.Bytes()))
	}
	if !o.log.Enabled(r.Context(), slog.LevelInfo) {
		return
	}
	attrs := []slog.Attr{
		slog.String("method", r.Method),
		slog.String("path", r.URL.Path),
		slog.Int("status", c.status),
		slog.Duration("duration", elapsed),
		slog.String("remote", r.RemoteAddr),
	}
	if out.Enquired.RegistrationID != "" {
		attrs = append(attrs, slog.String("registration", out.Enquired.RegistrationID), slog.String("referenceid", out.Enquired.ReferenceID))
	}
	if out.Scenario != "" {
		attrs = append(attrs, slog.String("scenario", out.Scenario))
	}
	if out.Fault != "" {
		attrs = append(attrs, slog.String("fault", out.Fault))
	}
	if out.Dialect != nil {
		attrs = append(attrs, slog.String("dialect", out.Dialect.String()))
	}
	o.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}
