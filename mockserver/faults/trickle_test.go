package faults

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// flushCounter is a ResponseWriter that remembers how much of the body had
// been written at its last Flush: what the client could hold by then.
type flushCounter struct {
	*httptest.ResponseRecorder
	atLastFlush int
}

func (f *flushCounter) Flush() { f.atLastFlush = f.Body.Len() }

// A trickled answer's last chunk is left for net/http to send as the
// handler returns, after the request is journaled (mockserver's observe):
// a client that holds the whole answer finds its request in the journal.
func TestATrickledAnswersLastChunkLeavesAfterTheHandler(t *testing.T) {
	ans := &capturedAnswer{header: http.Header{}, status: http.StatusOK}
	body := strings.Repeat("0123456789", 5)
	ans.body.WriteString(body)
	w := &flushCounter{ResponseRecorder: httptest.NewRecorder()}
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	if !trickle(nil, w, r, ans, 0) {
		t.Fatal("trickle gave up")
	}
	if got := w.Body.String(); got != body {
		t.Fatalf("trickled %q, want %q", got, body)
	}
	if w.atLastFlush >= len(body) {
		t.Fatalf("the handler flushed all %d bytes itself; want the last chunk left to be sent after it returns", w.atLastFlush)
	}
	if w.atLastFlush == 0 {
		t.Fatal("nothing was flushed: the answer did not trickle")
	}
}
