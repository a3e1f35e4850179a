package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// countingListener counts the connections it has accepted and not yet
// closed, the descriptors a connection limit is there to bound.
type countingListener struct {
	net.Listener
	open, peak atomic.Int64
}

func (l *countingListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	n := l.open.Add(1)
	for {
		p := l.peak.Load()
		if n <= p || l.peak.CompareAndSwap(p, n) {
			break
		}
	}
	return &countedConn{Conn: c, l: l}, nil
}

type countedConn struct {
	net.Conn
	l    *countingListener
	once sync.Once
}

func (c *countedConn) Close() error {
	c.once.Do(func() { c.l.open.Add(-1) })
	return c.Conn.Close()
}

// gatedServer serves handler through a connGate of limit on loopback.
func gatedServer(t *testing.T, limit int, handler http.Handler) (string, *connGate, *countingListener, *http.Server) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	counted := &countingListener{Listener: ln}
	gate := newConnGate(counted, limit)
	hs := &http.Server{Handler: handler, ReadHeaderTimeout: 5 * time.Second, IdleTimeout: time.Minute}
	gate.serveGated(hs)
	served := make(chan error, 1)
	go func() { served <- hs.Serve(gate) }()
	t.Cleanup(func() {
		hs.Close()
		if err := <-served; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return "http://" + ln.Addr().String(), gate, counted, hs
}

// keepAliveClient holds one connection of its own open between requests.
func keepAliveClient(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, Transport: &http.Transport{Proxy: nil, MaxIdleConnsPerHost: 1, MaxConnsPerHost: 1}}
}

func getOK(c *http.Client, url string) error {
	res, err := c.Get(url)
	return readOK(res, err)
}

// readOK reads the whole answer, which must be HTTP 200.
func readOK(res *http.Response, err error) error {
	if err != nil {
		return err
	}
	defer res.Body.Close()
	if _, err := io.Copy(io.Discard, res.Body); err != nil {
		return err
	}
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("status %d", res.StatusCode)
	}
	return nil
}

func TestConnGateAdmitsNewClientsByClosingIdleOnes(t *testing.T) {
	const limit, clients, rounds = 4, 10, 15
	url, _, counted, _ := gatedServer(t, limit, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "ok")
	}))
	var holders []*http.Client
	for range limit {
		c := keepAliveClient(5 * time.Second)
		if err := getOK(c, url); err != nil {
			t.Fatal(err)
		}
		holders = append(holders, c)
	}
	// Every slot is held by an idle keep-alive connection.
	if err := getOK(keepAliveClient(time.Second), url); err != nil {
		t.Fatalf("a new client while %d idle connections hold every slot: %v", limit, err)
	}

	// Many clients, more than the limit, keep coming back.
	var g errgroup.Group
	for range clients {
		g.Go(func() error {
			c := keepAliveClient(5 * time.Second)
			for range rounds {
				if err := getOK(c, url); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Error(err)
	}
	if peak := counted.peak.Load(); peak > limit {
		t.Fatalf("%d connections open at once, over the limit %d", peak, limit)
	}
	for _, c := range holders {
		c.CloseIdleConnections()
	}
}

func TestConnGateWaitsWhenNoConnectionIsIdle(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{}, 1)
	servedEarly := make(chan struct{}, 1)
	url, _, counted, _ := gatedServer(t, 1, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/hold" {
			started <- struct{}{}
			<-release
		} else {
			select {
			case <-release:
			default:
				servedEarly <- struct{}{}
			}
		}
		_, _ = io.WriteString(w, "ok")
	}))
	held := make(chan error, 1)
	go func() { held <- getOK(keepAliveClient(10*time.Second), url+"/hold") }()
	<-started
	// The only slot is busy answering: a new client must wait for it rather
	// than be served beside it or cut the answer short.
	second, err := net.Dial("tcp", strings.TrimPrefix(url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	if _, err := io.WriteString(second, "GET / HTTP/1.1\r\nHost: mock\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	select {
	case <-servedEarly:
		t.Fatal("a second connection was served while the only slot was busy")
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-held; err != nil {
		t.Fatalf("the request that held the slot: %v", err)
	}
	_ = second.SetDeadline(time.Now().Add(5 * time.Second))
	res, err := http.ReadResponse(bufio.NewReader(second), nil)
	if err != nil {
		t.Fatalf("the request that waited: %v", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("the request that waited: status %d", res.StatusCode)
	}
	if peak := counted.peak.Load(); peak > 1 {
		t.Fatalf("%d connections open at once, over the limit 1", peak)
	}
}

func TestShutdownLetsReceivedRequestsFinish(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	url, gate, _, hs := gatedServer(t, 0, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		close(started)
		select {
		case <-release:
			_, _ = w.Write(body)
		case <-r.Context().Done():
			http.Error(w, "cancelled: "+r.Context().Err().Error(), http.StatusServiceUnavailable)
		}
	}))
	answered := make(chan error, 1)
	go func() {
		res, err := http.Post(url, "text/plain", strings.NewReader("whole body"))
		if err != nil {
			answered <- err
			return
		}
		defer res.Body.Close()
		got, _ := io.ReadAll(res.Body)
		if res.StatusCode != http.StatusOK || string(got) != "whole body" {
			err = fmt.Errorf("%d %q", res.StatusCode, got)
		}
		answered <- err
	}()
	<-started
	gate.interruptReads()
	shut := make(chan error, 1)
	go func() { shut <- hs.Shutdown(context.Background()) }()
	// The request must not be cancelled while it runs on.
	select {
	case err := <-answered:
		t.Fatalf("answered before its handler was released: %v", err)
	case <-time.After(200 * time.Millisecond):
	}
	close(release)
	if err := <-answered; err != nil {
		t.Fatalf("a request received whole before shutdown: %v", err)
	}
	if err := <-shut; err != nil {
		t.Fatal(err)
	}
}

// TestMaxConnsIdleClientsDoNotLockOut runs the command as users do: idle
// keep-alive clients fill --max-conns and a new client is still answered.
func TestMaxConnsIdleClientsDoNotLockOut(t *testing.T) {
	const limit = 3
	base, _ := startMock(t, []string{"--max-conns", fmt.Sprint(limit), "--log-level", "warn"}, nil)
	enquire := func(c *http.Client) error { return enquirePageExample(c, base) }
	for range limit {
		c := keepAliveClient(5 * time.Second)
		if err := enquire(c); err != nil {
			t.Fatal(err)
		}
		defer c.CloseIdleConnections()
	}
	if err := enquire(keepAliveClient(time.Second)); err != nil {
		t.Fatalf("a new client while %d idle clients hold every connection: %v", limit, err)
	}
}

func TestMaxConnsDefaultFitsTheOpenFileLimit(t *testing.T) {
	tests := []struct {
		files int
		known bool
		want  int
	}{
		{files: 0, known: false, want: DefaultMaxConns},
		{files: 1 << 20, known: true, want: DefaultMaxConns},
		{files: 2*DefaultMaxConns + reservedFiles, known: true, want: DefaultMaxConns},
		{files: 1024, known: true, want: (1024 - reservedFiles) / 2},
		{files: 256, known: true, want: (256 - reservedFiles) / 2},
		{files: 10, known: true, want: 1},
	}
	for _, tt := range tests {
		if got := maxConnsWithin(tt.files, tt.known); got != tt.want {
			t.Errorf("open-file limit %d (known %v): %d, want %d", tt.files, tt.known, got, tt.want)
		}
	}
	o, err := parseFlags(nil, envOf(nil), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if files, known := openFileLimit(); o.maxConns != maxConnsWithin(files, known) || o.maxConns <= 0 {
		t.Fatalf("--max-conns defaults to %d with an open-file limit of %d", o.maxConns, files)
	}
}

// enquirePageExample sends the provider page's enquiry to the mock at base
// and reads the whole answer, which must be HTTP 200.
func enquirePageExample(c *http.Client, base string) error {
	return readOK(c.Post(base+rechargestatus.EnquiryPath, "application/json", strings.NewReader(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`)))
}
