package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// exchange is what the handlers learn of a request, for the journal and logs.
type exchange struct {
	start time.Time
	body  []byte
	// sent is the body as the client sent it, when it differs from body.
	sent           []byte
	registrationID string
	referenceID    string
	scenario       string
	fault          string
	// route is the path template of the matched route, for metrics.
	route string
	// enquiry is the body decoded once for every handler that reads it.
	enquiry        enquiryRequest
	enquiryErr     error
	enquiryDecoded bool
}

type exchangeKey struct{}

func (ex *exchange) sentBody() []byte {
	if ex.sent != nil {
		return ex.sent
	}
	return ex.body
}

func exchangeFrom(r *http.Request) *exchange {
	if ex, ok := r.Context().Value(exchangeKey{}).(*exchange); ok {
		return ex
	}
	return &exchange{}
}

// recorder remembers the status and the start of the body a handler wrote.
type recorder struct {
	http.ResponseWriter
	status int
	body   bytes.Buffer
}

func (rec *recorder) WriteHeader(status int) {
	if rec.status == 0 {
		rec.status = status
	}
	rec.ResponseWriter.WriteHeader(status)
}

func (rec *recorder) Write(b []byte) (int, error) {
	if rec.status == 0 {
		rec.status = http.StatusOK
	}
	if room := journalBodyLimit + 1 - rec.body.Len(); room > 0 {
		rec.body.Write(b[:min(room, len(b))])
	}
	return rec.ResponseWriter.Write(b)
}

func (rec *recorder) Flush() {
	if f, ok := rec.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

func (rec *recorder) Hijack() (net.Conn, *bufio.ReadWriter, error) {
	h, ok := rec.ResponseWriter.(http.Hijacker)
	if !ok {
		return nil, nil, errors.New("connection cannot be hijacked")
	}
	return h.Hijack()
}

func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }

// observe journals and logs every request, and turns a panic into an answer
// in the envelope rather than a dropped connection.
func (s *Server) observe(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := &exchange{start: time.Now()}
		r = r.WithContext(context.WithValue(r.Context(), exchangeKey{}, ex))
		rec := &recorder{ResponseWriter: w}
		defer func() {
			if p := recover(); p != nil {
				if p == http.ErrAbortHandler {
					s.finish(r, rec, ex)
					panic(p)
				}
				s.log.Error("handler panic", "panic", fmt.Sprint(p), "method", r.Method, "path", r.URL.Path)
				if rec.status == 0 {
					writeError(rec, http.StatusInternalServerError, rechargestatus.CodeUnableToProcess, rechargestatus.MessageUnableToProcess, "")
				}
			}
			s.finish(r, rec, ex)
		}()
		next.ServeHTTP(rec, r)
	})
}

func (s *Server) finish(r *http.Request, rec *recorder, ex *exchange) {
	elapsed := time.Since(ex.start)
	if s.afterRequest != nil {
		s.afterRequest(r, rec.status, ex, elapsed)
	}
	if !isAdminPath(r.URL.Path) {
		s.journal.Add(JournalEntry{
			Time:            s.clock.Now(),
			Method:          r.Method,
			Path:            r.URL.Path,
			RemoteAddr:      r.RemoteAddr,
			RequestHeaders:  journalHeaders(r.Header),
			RequestBody:     clip(ex.sentBody()),
			RegistrationID:  ex.registrationID,
			ReferenceID:     ex.referenceID,
			Status:          rec.status,
			ResponseHeaders: journalHeaders(rec.Header()),
			ResponseBody:    clip(rec.body.Bytes()),
			Scenario:        ex.scenario,
			Fault:           ex.fault,
			DurationMillis:  float64(elapsed.Microseconds()) / 1000,
		})
	}
	if s.log.Enabled(r.Context(), slog.LevelInfo) {
		attrs := []slog.Attr{
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.Int("status", rec.status),
			slog.Duration("duration", elapsed),
			slog.String("remote", r.RemoteAddr),
		}
		if ex.registrationID != "" {
			attrs = append(attrs, slog.String("registration", ex.registrationID), slog.String("referenceid", ex.referenceID))
		}
		if ex.scenario != "" {
			attrs = append(attrs, slog.String("scenario", ex.scenario))
		}
		if ex.fault != "" {
			attrs = append(attrs, slog.String("fault", ex.fault))
		}
		s.log.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	}
}

// validate reads the body within the size limit and checks the request
// against the spec before any handler runs.
func (s *Server) validate(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ex := exchangeFrom(r)
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				s.writeValidationError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", s.cfg.MaxBodyBytes))
				return
			}
			s.writeValidationError(w, s.cfg.ValidationStatus, "request body could not be read: "+err.Error())
			return
		}
		ex.body = body
		if s.fieldCase != nil && r.URL.Path == rechargestatus.EnquiryPath {
			// The journal keeps what the client sent; the handlers read the
			// body with the spec's spelling.
			ex.sent = body
			body = s.fieldCase.canonical(body)
			ex.body = body
		}
		if p := s.validator.CheckRequest(r.Context(), r, body); p != nil {
			status := p.Status
			switch status {
			case http.StatusBadRequest:
				status = s.cfg.ValidationStatus
			case http.StatusMethodNotAllowed:
				w.Header().Set("Allow", http.MethodPost)
			}
			s.writeValidationError(w, status, p.Message)
			return
		}
		next.ServeHTTP(w, r)
	})
}
