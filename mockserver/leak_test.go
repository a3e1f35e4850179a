package mockserver

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	promtest "github.com/prometheus/client_golang/prometheus/testutil"
	"go.uber.org/goleak"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// TestMain fails the package's tests if any goroutine outlives them: a
// server, a fault or a client left running is a leak in the mock or in a
// test.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// TestShutdownLeavesNoGoroutines serves every kind of exchange on loopback,
// including a hanging fault and a client that never finishes its request,
// then shuts down and checks that nothing the server started is left.
func TestShutdownLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())

	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	hs := httpServer(srv, nil)
	// Shutdown waits for the half-sent request until the header timeout
	// closes it; a short one keeps the test short.
	hs.ReadHeaderTimeout = 300 * time.Millisecond
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	base := "http://" + ln.Addr().String()
	transport := &http.Transport{Proxy: nil}
	client := &http.Client{Transport: transport, Timeout: 5 * time.Second}

	post := func(header http.Header, body string) (*http.Response, error) {
		req, err := http.NewRequest(http.MethodPost, base+rechargestatus.EnquiryPath, strings.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		for k, v := range header {
			req.Header[k] = v
		}
		return client.Do(req)
	}
	for _, body := range []string{`{"referenceid":"12345678","RegistrationID":"AOP-554"}`, `{"referenceid":`, `{"referenceid":"PENDING-9","RegistrationID":"AOP-554"}`} {
		res, err := post(nil, body)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, res.Body)
		res.Body.Close()
	}

	// A hanging fault holds its request until shutdown ends it.
	hanging := make(chan error, 1)
	go func() {
		res, err := post(http.Header{"X-Mock-Fault": {"hang;latency=20s"}}, `{"referenceid":"12345678","RegistrationID":"AOP-554"}`)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
		}
		hanging <- err
	}()
	// A client that sends half a request and waits.
	idle, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer idle.Close()
	if _, err := idle.Write([]byte("POST " + rechargestatus.EnquiryPath + " HTTP/1.1\r\nHost: x\r\n")); err != nil {
		t.Fatal(err)
	}
	waitForHang(t, srv, 3)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(ctx); err != nil {
		t.Fatalf("shutdown: %v", err)
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		t.Fatalf("serve: %v", err)
	}
	select {
	case <-hanging:
	case <-time.After(10 * time.Second):
		t.Fatal("the hanging request outlived the shutdown")
	}
	idle.Close()
	transport.CloseIdleConnections()
}

// waitForHang polls until the journal holds the finished requests and the
// hanging fault has begun.
func waitForHang(t *testing.T, srv *Server, finished int) {
	t.Helper()
	hangs := srv.metrics.faults.WithLabelValues(string(admin.FaultHang), "header")
	err := testutil.Poll(5*time.Second, func() (bool, error) {
		return srv.journal.Len() >= finished && promtest.ToFloat64(hangs) >= 1, nil
	})
	if err != nil {
		t.Fatalf("journal holds %d requests, hangs begun %v", srv.journal.Len(), promtest.ToFloat64(hangs))
	}
}

// TestReloadOfANamedPipeLeavesNoGoroutines reloads, again and again, a
// fixtures directory that holds a named pipe: each reload is refused at
// once, and none leaves a goroutine behind waiting on the pipe.
func TestReloadOfANamedPipeLeavesNoGoroutines(t *testing.T) {
	defer goleak.VerifyNone(t, goleak.IgnoreCurrent())
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.yaml"), fixtures.DefaultYAML(), 0o600); err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{FixturesPath: dir})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	pipe := filepath.Join(dir, "b.yaml")
	if err := syscall.Mkfifo(pipe, 0o600); err != nil {
		t.Skipf("cannot make a named pipe here: %v", err)
	}
	for range 3 {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := srv.ReloadFixtures(ctx)
		cancel()
		if err == nil || !strings.Contains(err.Error(), pipe+" is a named pipe (FIFO), not a regular file") {
			t.Fatalf("reload: %v, want the named pipe refused", err)
		}
	}
}
