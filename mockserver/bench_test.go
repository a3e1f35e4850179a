package mockserver

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// The benchmarks drive the whole enquiry path in process: routing, spec
// validation, the domain and its store, the journal and the encoding of the
// answer. Only the network is left out; cmd/aopay-load measures it.
//
//	go test -run='^$' -bench=Enquiry -benchmem ./mockserver

// benchWriter is the cheapest ResponseWriter that still behaves like one,
// so the benchmarks measure the server and not a recorder.
type benchWriter struct {
	header http.Header
	status int
	n      int
}

func (w *benchWriter) Header() http.Header { return w.header }
func (w *benchWriter) WriteHeader(status int) {
	if w.status == 0 {
		w.status = status
	}
}
func (w *benchWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	w.n += len(b)
	return len(b), nil
}

func (w *benchWriter) reset() {
	clear(w.header)
	w.status, w.n = 0, 0
}

// benchRequest builds a POST of body the way net/http hands it to a handler.
func benchRequest(tb testing.TB, body []byte) *http.Request {
	tb.Helper()
	r, err := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, bytes.NewReader(body))
	if err != nil {
		tb.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("User-Agent", "aopay-bench")
	r.RemoteAddr = "127.0.0.1:40000"
	r.RequestURI = rechargestatus.EnquiryPath
	return r
}

// serveOnce sends body through s, reusing r and w, and returns the status.
func serveOnce(s http.Handler, r *http.Request, w *benchWriter, body []byte) int {
	r.Body = io.NopCloser(bytes.NewReader(body))
	r.ContentLength = int64(len(body))
	w.reset()
	s.ServeHTTP(w, r)
	return w.status
}

func benchServer(b *testing.B, cfg Config) *Server {
	b.Helper()
	if cfg.Clock == nil {
		cfg.Clock = recharge.NewFrozenClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	}
	s, err := New(cfg)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

var pageExampleRequest = []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`)

func BenchmarkEnquiryFound(b *testing.B) {
	s := benchServer(b, Config{})
	r := benchRequest(b, pageExampleRequest)
	w := &benchWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		if st := serveOnce(s, r, w, pageExampleRequest); st != http.StatusOK {
			b.Fatalf("status %d", st)
		}
	}
}

// BenchmarkEnquiryFoundUpstream is BenchmarkEnquiryFound answered in the
// upstream dialect, which reads the request's members under every spelling
// it accepts: what that reading costs over the page's.
func BenchmarkEnquiryFoundUpstream(b *testing.B) {
	up, err := dialect.Lookup(dialect.Upstream)
	if err != nil {
		b.Fatal(err)
	}
	s := benchServer(b, Config{Dialect: up})
	r := benchRequest(b, pageExampleRequest)
	w := &benchWriter{header: http.Header{}}
	b.ReportAllocs()
	for b.Loop() {
		if st := serveOnce(s, r, w, pageExampleRequest); st != http.StatusOK {
			b.Fatalf("status %d", st)
		}
	}
}

func BenchmarkEnquiryFoundParallel(b *testing.B) {
	s := benchServer(b, Config{})
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := benchRequest(b, pageExampleRequest)
		w := &benchWriter{header: http.Header{}}
		for pb.Next() {
			if st := serveOnce(s, r, w, pageExampleRequest); st != http.StatusOK {
				b.Errorf("status %d", st)
				return
			}
		}
	})
}

func BenchmarkEnquiryAutoCreate(b *testing.B) {
	s := benchServer(b, Config{})
	r := benchRequest(b, pageExampleRequest)
	w := &benchWriter{header: http.Header{}}
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		i++
		body := []byte(`{"referenceid":"ORDER-` + strconv.Itoa(i) + `","RegistrationID":"AOP-554"}`)
		if st := serveOnce(s, r, w, body); st != http.StatusOK {
			b.Fatalf("status %d", st)
		}
	}
}

func BenchmarkEnquiryAutoCreateParallel(b *testing.B) {
	s := benchServer(b, Config{})
	var next atomic.Int64
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := benchRequest(b, pageExampleRequest)
		w := &benchWriter{header: http.Header{}}
		for pb.Next() {
			body := fmt.Appendf(nil, `{"referenceid":"ORDER-%d","RegistrationID":"AOP-554"}`, next.Add(1))
			if st := serveOnce(s, r, w, body); st != http.StatusOK {
				b.Errorf("status %d", st)
				return
			}
		}
	})
}

func BenchmarkEnquiryBadInput(b *testing.B) {
	cases := []struct {
		name   string
		body   string
		status int
	}{
		{"missing field", `{"referenceid":"12345678"}`, http.StatusBadRequest},
		{"wrong type", `{"referenceid":12345678,"RegistrationID":"AOP-554"}`, http.StatusBadRequest},
		{"malformed JSON", `{"referenceid":"1234`, http.StatusBadRequest},
		{"unknown registration", `{"referenceid":"12345678","RegistrationID":"NOPE"}`, http.StatusUnauthorized},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			s := benchServer(b, Config{})
			body := []byte(c.body)
			r := benchRequest(b, body)
			w := &benchWriter{header: http.Header{}}
			b.ReportAllocs()
			for b.Loop() {
				if st := serveOnce(s, r, w, body); st != c.status {
					b.Fatalf("status %d, want %d", st, c.status)
				}
			}
		})
	}
}

func BenchmarkEnquiryBadInputParallel(b *testing.B) {
	s := benchServer(b, Config{})
	body := []byte(`{"referenceid":12345678,"RegistrationID":"AOP-554"}`)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := benchRequest(b, body)
		w := &benchWriter{header: http.Header{}}
		for pb.Next() {
			if st := serveOnce(s, r, w, body); st != http.StatusBadRequest {
				b.Errorf("status %d", st)
				return
			}
		}
	})
}
