package mockserver

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/reqnote"
)

// capture remembers the status and the start of the body a handler wrote.
type capture struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
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
	return h.Hijack()
}

func (c *capture) Unwrap() http.ResponseWriter { return c.ResponseWriter }

// observer is what observe reports every request to.
type observer struct {
	log     *slog.Logger
	journal *journal.Journal
	metrics *metrics
	now     func() time.Time
}

// observe journals, logs and counts every request, and turns a panic into
// an answer in the envelope rather than a dropped connection.
func observe(o observer, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		came := arrival{system: time.Now(), sandbox: o.now(), after: o.journal.LastID()}
		note := &reqnote.Note{Start: came.system}
		r = reqnote.With(r, note)
		c := &capture{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					o.finish(r, c, note, came)
					panic(p)
				}
				o.log.Error("handler panic", "panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path)
				if c.status == 0 {
					envelope.WriteFailure(c, r, dialect.UnableToProcess, "", "")
				}
			}
			o.finish(r, c, note, came)
		}()
		next.ServeHTTP(c, r)
	})
}

// arrival is when a request came, on both clocks and in the journal's
// order, for the audit to tell what the client sent after what.
type arrival struct {
	system, sandbox time.Time
	after           uint64
}

func (o observer) finish(r *http.Request, c *capture, note *reqnote.Note, came arrival) {
	elapsed := time.Since(note.Start)
	o.metrics.request(note.Route, note.Scenario, c.status, elapsed)
	if !admin.IsAdminPath(r.URL.Path) {
		o.journal.Add(admin.JournalEntry{
			Time:            o.now(),
			Method:          r.Method,
			Path:            r.URL.Path,
			RemoteAddr:      r.RemoteAddr,
			RequestHeaders:  journal.Headers(r.Header),
			RegistrationID:  note.RegistrationID,
			ReferenceID:     note.ReferenceID,
			Status:          c.status,
			ResponseHeaders: journal.Headers(c.Header()),
			Scenario:        note.Scenario,
			Fault:           note.Fault,
			DurationMillis:  float64(elapsed.Microseconds()) / 1000,
			Started:         came.sandbox,
			SystemStarted:   came.system,
			StartedAfter:    came.after,
			TokenDigest:     journal.TokenDigest(r.Header.Get(rechargestatus.TokenHeader)),
		}, note.Body, c.body.Bytes())
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
	if note.RegistrationID != "" {
		attrs = append(attrs, slog.String("registration", note.RegistrationID), slog.String("referenceid", note.ReferenceID))
	}
	if note.Scenario != "" {
		attrs = append(attrs, slog.String("scenario", note.Scenario))
	}
	if note.Fault != "" {
		attrs = append(attrs, slog.String("fault", note.Fault))
	}
	if note.Chosen != nil {
		attrs = append(attrs, slog.String("dialect", note.Chosen.String()))
	}
	o.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
}
