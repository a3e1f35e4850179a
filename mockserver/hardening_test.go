package mockserver

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The attacks of a hostile probe that the mock must withstand, each bounded
// in count and time, in process or on loopback.

// TestJournalFloodOfLargeRequestsStaysWithinItsBytes journals far more
// large requests than the journal's bytes hold, with an entry bound that
// would let them all in: the journal stays within its bytes, the heap with
// it, and the largest listing answers a page of a few MiB, not the journal.
func TestJournalFloodOfLargeRequestsStaysWithinItsBytes(t *testing.T) {
	const journalBytes, requests = 1 << 20, 600
	s := memoryTestServer(t, Config{JournalSize: 20_000, JournalBytes: journalBytes})
	r := benchRequest(t, pageExampleRequest)
	w := &benchWriter{header: http.Header{}}
	huge := strings.Repeat("R", 9<<10)
	flood := func(from, to int) {
		for i := from; i < to; i++ {
			serveOnce(s, r, w, fmt.Appendf(nil, `{"referenceid":"%s-%d","RegistrationID":"AOP-554"}`, huge, i))
		}
	}
	flood(0, requests/4)
	before := settledHeap()
	flood(requests/4, requests)
	after := settledHeap()
	if n, b := s.journal.Len(), s.journal.Bytes(); n >= requests || b > journalBytes {
		t.Fatalf("the journal holds %d entries, %d bytes; want at most %d bytes", n, b, journalBytes)
	}
	if growth := int64(after) - int64(before); growth > 2*journalBytes {
		t.Fatalf("the heap grew by %d bytes over %d large requests, the journal's bound is %d", growth, 3*requests/4, journalBytes)
	}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/__admin/requests?limit=1000", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() > MaxJournalPageBytes+MaxJournalPageBytes/4 {
		t.Fatalf("the largest listing answered %d with %d bytes, want a page of at most about %d", rec.Code, rec.Body.Len(), MaxJournalPageBytes)
	}
	t.Logf("journal %d entries, %d bytes; heap %d → %d; listing %d bytes", s.journal.Len(), s.journal.Bytes(), before, after, rec.Body.Len())
}
