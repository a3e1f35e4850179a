package mockserver

import (
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// A handler that drops its connection, as the reset and hang faults do,
// drops it only once the request is journaled: the client, seeing the
// connection end, finds the request in the journal, timed on the sandbox
// clock of before it could move it.
func TestADroppedConnectionEndsAfterItsRequestIsJournaled(t *testing.T) {
	m, err := newMetrics(recharge.NewMemoryStore())
	if err != nil {
		t.Fatal(err)
	}
	j := journal.New(100, 1<<20)
	closed, proceed := make(chan struct{}), make(chan struct{})
	drop := served.HandlerFunc(func(w http.ResponseWriter, r *http.Request) served.Outcome {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			t.Error(err)
			return served.Outcome{}
		}
		conn.Close()
		close(closed)
		<-proceed
		return served.Outcome{Scenario: "fault:reset", Aborted: true}
	})
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	srv := httptest.NewServer(observe(observer{log: log, journal: j, metrics: m, now: time.Now}, drop))
	defer srv.Close()

	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := io.WriteString(conn, "POST /api/AOP/RechargeStatus HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	<-closed
	// The handler has closed the connection and not yet returned: nothing
	// may reach the client, not even the end of the connection.
	conn.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
	if n, err := conn.Read(make([]byte, 1)); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("the client read %d bytes, %v, while the request was not yet journaled; want nothing yet", n, err)
	}
	close(proceed)
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	if n, err := conn.Read(make([]byte, 1)); err == nil || errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("after the handler returned: %d bytes, %v; want the connection ended", n, err)
	}
	if got := j.Count(admin.JournalQuery{}); got != 1 {
		t.Fatalf("%d requests journaled once the connection ended, want 1", got)
	}
}
