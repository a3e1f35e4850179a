package mockserver

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
)

// fullJournal returns a server whose journal holds as many enquiries as
// its default byte bound lets it (the entry bound lifted): polls of many
// transactions, answered pending, then success, as the mock answered them;
// each transaction's polls pollEvery apart on the sandbox clock.
func fullJournal(tb testing.TB, pollEvery time.Duration) *Server {
	tb.Helper()
	s, err := New(Config{JournalSize: 1 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = s.Close() })
	templates := map[string]admin.JournalEntry{}
	bodies := map[string][]byte{}
	for _, ref := range []string{"STUCK-1", "12345678"} {
		w := httptest.NewRecorder()
		req := httptest.NewRequest(http.MethodPost, "/api/AOP/RechargeStatus", strings.NewReader(fmt.Sprintf(`{"referenceid":%q,"RegistrationID":"AOP-554"}`, ref)))
		req.Host = "127.0.0.1:8080"
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("User-Agent", "Go-http-client/1.1")
		req.Header.Set("Accept-Encoding", "gzip")
		s.ServeHTTP(w, req)
		entries := s.journal.Entries(admin.JournalQuery{ReferenceID: ref})
		if len(entries) != 1 {
			tb.Fatalf("%s journaled %d times", ref, len(entries))
		}
		templates[ref], bodies[ref] = entries[0], w.Body.Bytes()
	}
	start := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	const pollsPerTransaction = 8
	for i := 0; s.journal.Bytes() < DefaultJournalBytes-4<<10; i++ {
		kind := "STUCK-1"
		if i%pollsPerTransaction == pollsPerTransaction-1 {
			kind = "12345678"
		}
		e := templates[kind]
		e.ReferenceID = fmt.Sprintf("ORDER-%d", i/pollsPerTransaction)
		e.Started = start.Add(time.Duration(i/pollsPerTransaction)*time.Second + time.Duration(i%pollsPerTransaction)*pollEvery)
		e.Time, e.SystemStarted = e.Started.Add(time.Millisecond), e.Started
		e.StartedAfter = s.journal.LastID()
		s.journal.Add(e, []byte(e.RequestBody), bytes.Clone(bodies[kind]))
	}
	return s
}

// BenchmarkAuditFullJournal: an audit of a journal full to its default
// byte bound, read whole by a new auditor (first), read again with
// nothing new (again), and for one transaction; each transaction polled
// every second (every one found out) or every 31 minutes (clean).
//
//	go test -run='^$' -bench=AuditFullJournal -benchmem ./mockserver
func BenchmarkAuditFullJournal(b *testing.B) {
	for _, tc := range []struct {
		name      string
		pollEvery time.Duration
	}{{"flagged", time.Second}, {"clean", 31 * time.Minute}} {
		b.Run(tc.name, func(b *testing.B) { benchmarkAudit(b, fullJournal(b, tc.pollEvery)) })
	}
}

func benchmarkAudit(b *testing.B, s *Server) {
	ctx := context.Background()
	b.Logf("journal: %d entries, %d MiB", s.journal.Len(), s.journal.Bytes()>>20)
	b.Run("first", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			s.control.RestartAudit()
			if r, _ := s.control.Audit(ctx, audit.Query{}); r.Exchanges != s.journal.Len() {
				b.Fatalf("audited %d exchanges of %d", r.Exchanges, s.journal.Len())
			}
		}
	})
	b.Run("again", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			_, _ = s.control.Audit(ctx, audit.Query{})
		}
	})
	b.Run("one-transaction", func(b *testing.B) {
		defer reportCPU(b)()
		for b.Loop() {
			_, _ = s.control.Audit(ctx, audit.Query{ReferenceID: "ORDER-7"})
		}
	})
}

// reportCPU reports the process's CPU time per operation beside the wall
// time, which a shared machine inflates.
func reportCPU(b *testing.B) func() {
	before := cpuTime()
	return func() { b.ReportMetric(float64((cpuTime()-before).Microseconds())/1000/float64(b.N), "cpu-ms/op") }
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
