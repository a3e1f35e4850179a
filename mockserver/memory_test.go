package mockserver

import (
	"context"
	"fmt"
	"net/http"
	"runtime"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// settledHeap collects garbage and reports the heap in use.
func settledHeap() uint64 {
	var m runtime.MemStats
	runtime.GC()
	runtime.GC()
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

func memoryTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	cfg.Clock = recharge.NewFrozenClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func autoCreatedHeld(t *testing.T, s *Server) int {
	t.Helper()
	all, err := s.control.Store().List(context.Background(), recharge.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, tx := range all {
		if tx.Origin == transaction.OriginAuto {
			n++
		}
	}
	return n
}

// TestAutoCreatedTransactionCost weighs the transactions an unknown
// referenceid creates: each must cost well under 2 KB of heap, bookkeeping
// for eviction included.
func TestAutoCreatedTransactionCost(t *testing.T) {
	// Five thousand creations weigh each to within a few bytes: the heap
	// is read in pages of 8 KiB.
	const creations = 5_000
	s := memoryTestServer(t, Config{})
	ctx := context.Background()
	enquire := func(ref string) {
		if _, err := s.control.Service().Enquire(ctx, recharge.Enquiry{RegistrationID: "AOP-554", ReferenceID: ref}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 1000 {
		enquire(fmt.Sprintf("WARM-%d", i))
	}
	before := settledHeap()
	for i := range creations {
		// Prefixes spread the creations over every scenario's shape.
		enquire(fmt.Sprintf("%sCOST-%d", []string{"", "PENDING-", "PENDREFUND-", "REFUND-", "FAILED-"}[i%5], i))
	}
	after := settledHeap()
	perTransaction := (float64(after) - float64(before)) / creations
	t.Logf("%d creations: heap in use %d → %d bytes, %.0f bytes each", creations, before, after, perTransaction)
	if held := autoCreatedHeld(t, s); held != creations+1000 {
		t.Fatalf("%d auto-created transactions held, want %d", held, creations+1000)
	}
	if perTransaction >= 2048 {
		t.Fatalf("each auto-created transaction costs %.0f bytes, want under 2048", perTransaction)
	}
}

// TestMaxTransactionsAndJournalBoundMemory creates far more transactions
// than the cap through the endpoint: the cap holds, the fixtures survive,
// the journal stays at its size, and the heap stops growing.
func TestMaxTransactionsAndJournalBoundMemory(t *testing.T) {
	const limit, journal = 100, 50
	s := memoryTestServer(t, Config{MaxTransactions: limit, JournalSize: journal})
	fixtures, err := s.control.Store().Count(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	r := benchRequest(t, pageExampleRequest)
	w := &benchWriter{header: http.Header{}}
	create := func(from, to int) {
		for i := from; i < to; i++ {
			if st := serveOnce(s, r, w, fmt.Appendf(nil, `{"referenceid":"CAP-%d","RegistrationID":"AOP-554"}`, i)); st != http.StatusOK {
				t.Fatalf("creation %d: status %d", i, st)
			}
		}
	}
	create(0, 5*limit)
	before := settledHeap()
	create(5*limit, 25*limit)
	after := settledHeap()
	t.Logf("heap in use %d → %d bytes over %d more creations at the cap", before, after, 20*limit)
	if held := autoCreatedHeld(t, s); held != limit {
		t.Fatalf("%d auto-created transactions held, want the cap %d", held, limit)
	}
	if n, _ := s.control.Store().Count(context.Background()); n != fixtures+limit {
		t.Fatalf("%d transactions in the store, want %d fixtures and %d auto-created", n, fixtures, limit)
	}
	if n := s.journal.Len(); n != journal {
		t.Fatalf("journal holds %d entries, want %d", n, journal)
	}
	if growth := int64(after) - int64(before); growth > 1<<20 {
		t.Fatalf("heap grew by %d bytes at the cap", growth)
	}
}

// TestHeapFlatAcrossEnquiries enquires existing transactions many times:
// counting enquiries must not make the heap grow. cmd/aopay-load memory
// measures the same over a million enquiries.
func TestHeapFlatAcrossEnquiries(t *testing.T) {
	s := memoryTestServer(t, Config{})
	r := benchRequest(t, pageExampleRequest)
	w := &benchWriter{header: http.Header{}}
	bodies := [][]byte{pageExampleRequest}
	for i := range 50 {
		bodies = append(bodies, fmt.Appendf(nil, `{"referenceid":"FLAT-%d","RegistrationID":"AOP-554"}`, i))
	}
	run := func(n int) {
		for i := range n {
			if st := serveOnce(s, r, w, bodies[i%len(bodies)]); st != http.StatusOK {
				t.Fatalf("status %d", st)
			}
		}
	}
	// The first pass creates the transactions and fills the journal.
	run(DefaultJournalSize + len(bodies))
	before := settledHeap()
	run(5000)
	after := settledHeap()
	t.Logf("heap in use %d → %d bytes over 5000 enquiries", before, after)
	if growth := int64(after) - int64(before); growth > 512<<10 {
		t.Fatalf("heap grew by %d bytes over enquiries of existing transactions", growth)
	}
}
