package mockserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// floodServer serves a mock on 127.0.0.1 through the http.Server the command
// uses, with its header and body timeouts shortened so slow clients are cut
// off within the test's time.
type floodServer struct {
	srv  *Server
	hs   *http.Server
	addr string
	logs *testutil.SyncBuffer
	done chan error
}

const (
	floodHeaderTimeout = 300 * time.Millisecond
	floodReadTimeout   = 500 * time.Millisecond
)

func startFloodServer(t *testing.T) *floodServer {
	t.Helper()
	logs := &testutil.SyncBuffer{}
	logger := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := New(Config{
		Clock:  recharge.NewFrozenClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)),
		Logger: logger,
	})
	if err != nil {
		t.Fatal(err)
	}
	hs := httpServer(srv, logger)
	hs.ReadHeaderTimeout = floodHeaderTimeout
	hs.ReadTimeout = floodReadTimeout
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fs := &floodServer{srv: srv, hs: hs, addr: ln.Addr().String(), logs: logs, done: make(chan error, 1)}
	go func() { fs.done <- hs.Serve(ln) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := hs.Shutdown(ctx); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-fs.done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("serve: %v", err)
		}
	})
	return fs
}

// hostile is one abusive exchange on a connection of its own.
type hostile struct {
	kind string
	// send writes the request, possibly slowly or only in part.
	send func(c net.Conn) error
	// reachesHandler is false for requests net/http refuses itself, whose
	// answers are net/http's plain text and not the mock's envelope.
	reachesHandler bool
}

func rawRequest(method, contentType string, header string, body []byte) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, rechargestatus.EnquiryPath)
	if contentType != "" {
		fmt.Fprintf(&b, "Content-Type: %s\r\n", contentType)
	}
	b.WriteString(header)
	fmt.Fprintf(&b, "Content-Length: %d\r\nConnection: close\r\n\r\n", len(body))
	b.Write(body)
	return b.Bytes()
}

func sendAll(b []byte) func(net.Conn) error {
	return func(c net.Conn) error {
		_, err := c.Write(b)
		return err
	}
}

// hostileRequests makes n requests of every kind, reproducibly.
func hostileRequests(n int) []hostile {
	rng := rand.New(rand.NewPCG(6, 6))
	garbage := func(size int) []byte {
		b := make([]byte, size)
		for i := range b {
			b[i] = byte(rng.UintN(256))
		}
		return b
	}
	fragments := []string{`{`, `}`, `[`, `]`, `"referenceid"`, `"RegistrationID"`, `:`, `,`, `"AOP-554"`, `null`, `1e999`, `"\ud800"`, `true`, `"`, `\`, "\x00", "\xff"}
	malformedJSON := func() []byte {
		var b bytes.Buffer
		for range 1 + rng.IntN(20) {
			b.WriteString(fragments[rng.IntN(len(fragments))])
		}
		return b.Bytes()
	}
	var out []hostile
	add := func(kind string, reaches bool, send func(net.Conn) error) {
		out = append(out, hostile{kind: kind, send: send, reachesHandler: reaches})
	}
	for range n {
		switch k := rng.IntN(11); k {
		case 0:
			add("malformed JSON", true, sendAll(rawRequest("POST", "application/json", "", malformedJSON())))
		case 1:
			add("random bytes", true, sendAll(rawRequest("POST", "application/json", "", garbage(1+rng.IntN(512)))))
		case 2:
			body := append([]byte(`{"referenceid":"`), bytes.Repeat([]byte("9"), DefaultMaxBodyBytes+rng.IntN(1<<16))...)
			add("oversized", true, sendAll(rawRequest("POST", "application/json", "", body)))
		case 3:
			depth := 1000 + rng.IntN(7000)
			var body []byte
			if rng.IntN(2) == 0 {
				body = append(bytes.Repeat([]byte("["), depth), bytes.Repeat([]byte("]"), depth)...)
			} else {
				body = append(bytes.Repeat([]byte(`{"a":`), depth/2), bytes.Repeat([]byte("}"), depth/2)...)
			}
			add("deeply nested", true, sendAll(rawRequest("POST", "application/json", "", body)))
		case 4:
			ref := string(garbage(1 + rng.IntN(30)))
			body := []byte(`{"referenceid":"` + ref + `","RegistrationID":"AOP-554"}`)
			add("invalid UTF-8", true, sendAll(rawRequest("POST", "application/json", "", body)))
		case 5:
			types := []string{"text/plain", "application/xml", "multipart/form-data; boundary=x", "application/json; charset=\xff", "application/jsonx", ";;;", "application/x-www-form-urlencoded"}
			add("wrong content type", true, sendAll(rawRequest("POST", types[rng.IntN(len(types))], "", []byte(`{"referenceid":"1","RegistrationID":"AOP-554"}`))))
		case 6:
			chunks := []string{"zz\r\nabc\r\n0\r\n\r\n", "5\r\nab", "ffffffffffffffffff\r\n", "3\r\nabcdef\r\n0\r\n\r\n", "-1\r\n\r\n", "4;ext\r\n{\"a\"\r\n0\r\nTrailer: \xff\r\n\r\n"}
			req := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n%s", rechargestatus.EnquiryPath, chunks[rng.IntN(len(chunks))])
			add("bad chunked framing", true, func(c net.Conn) error {
				if _, err := c.Write([]byte(req)); err != nil {
					return err
				}
				return c.(*net.TCPConn).CloseWrite()
			})
		case 7:
			full := rawRequest("POST", "application/json", "", []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`))
			// Content-Length promises the whole body; only part of it comes.
			cut := len(full) - 1 - rng.IntN(40)
			add("short body", true, func(c net.Conn) error {
				if _, err := c.Write(full[:cut]); err != nil {
					return err
				}
				return c.(*net.TCPConn).CloseWrite()
			})
		case 8:
			// An unknown HTTP version is left out: net/http rightly answers
			// it 505 before any handler sees it.
			lines := []string{"GARBAGE\r\n\r\n", "POST /api/AOP/RechargeStatus HTTP/1.1 extra\r\n\r\n", "POST  HTTP/1.1\r\nHost: x\r\n\r\n", "POST /api/AOP/RechargeStatus HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n",
				"POST /api/AOP/RechargeStatus HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n", "POST /api/AOP/RechargeStatus HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"}
			add("malformed request line or header", false, sendAll([]byte(lines[rng.IntN(len(lines))])))
		case 9:
			header := "X-Padding: " + strings.Repeat("p", MaxHeaderBytes+4096) + "\r\n"
			add("oversized header", false, sendAll(rawRequest("POST", "application/json", header, []byte(`{}`))))
		case 10:
			methods := []string{"GET", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE"}
			add("wrong method", true, sendAll(rawRequest(methods[rng.IntN(len(methods))], "application/json", "", []byte(`{}`))))
		}
	}
	return out
}

// slowClients hold connections open by sending headers or a body a few bytes
// at a time, as a slowloris attack does.
func slowClients() []hostile {
	head := fmt.Sprintf("POST %s HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n", rechargestatus.EnquiryPath)
	trickle := func(b []byte, every time.Duration) func(net.Conn) error {
		return func(c net.Conn) error {
			for _, x := range b {
				if _, err := c.Write([]byte{x}); err != nil {
					return nil // cut off by the server, as intended
				}
				time.Sleep(every)
			}
			return nil
		}
	}
	var out []hostile
	for range 4 {
		out = append(out, hostile{kind: "slow headers", send: trickle([]byte(head+"X-Slow: "+strings.Repeat("s", 200)+"\r\n\r\n"), 20*time.Millisecond)})
		out = append(out, hostile{kind: "slow body", reachesHandler: true, send: func(c net.Conn) error {
			if _, err := c.Write([]byte(head + "Content-Length: 400\r\n\r\n")); err != nil {
				return err
			}
			return trickle(bytes.Repeat([]byte(" "), 400), 20*time.Millisecond)(c)
		}})
	}
	return out
}

type floodOutcome struct {
	kind     string
	answered bool
	status   int
	header   http.Header
	body     []byte
	err      error
	elapsed  time.Duration
}

// exchange sends h on a fresh connection and reads whatever answer comes.
func (fs *floodServer) exchange(h hostile) floodOutcome {
	out := floodOutcome{kind: h.kind}
	start := time.Now()
	c, err := net.DialTimeout("tcp", fs.addr, 5*time.Second)
	if err != nil {
		out.err = err
		return out
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	sent := make(chan error, 1)
	go func() { sent <- h.send(c) }()
	res, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err == nil {
		out.answered, out.status, out.header = true, res.StatusCode, res.Header
		out.body, err = io.ReadAll(res.Body)
		res.Body.Close()
	}
	// The writer may be blocked on a server that stopped reading; closing
	// the connection releases it.
	c.Close()
	<-sent
	out.elapsed = time.Since(start)
	if err != nil && !out.answered {
		out.err = err
	}
	return out
}

func checkFloodOutcome(h hostile, o floodOutcome) error {
	if !o.answered {
		// Closing the connection is a fair answer to a request that cannot
		// be read; hanging on to it is not, and the deadline above bounds
		// how long that could go unnoticed.
		if o.elapsed > floodReadTimeout+5*time.Second {
			return fmt.Errorf("%s: connection held for %s", o.kind, o.elapsed)
		}
		return nil
	}
	if o.status >= 500 {
		return fmt.Errorf("%s: answered %d %q", o.kind, o.status, o.body)
	}
	if !h.reachesHandler {
		return nil
	}
	var env struct {
		Status       *bool   `json:"status"`
		ResponseCode *int    `json:"response_code"`
		Message      *string `json:"message"`
	}
	if err := json.Unmarshal(o.body, &env); err != nil || env.Status == nil || env.ResponseCode == nil || env.Message == nil {
		return fmt.Errorf("%s: answer %d %q is not the provider's envelope", o.kind, o.status, o.body)
	}
	if !strings.HasPrefix(o.header.Get("Content-Type"), "application/json") {
		return fmt.Errorf("%s: Content-Type %q", o.kind, o.header.Get("Content-Type"))
	}
	if o.status >= 400 && *env.Status {
		return fmt.Errorf("%s: error %d with status true: %q", o.kind, o.status, o.body)
	}
	check := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, nil)
	if viol := specValidator.CheckResponse(context.Background(), check, nil, o.status, o.header, o.body); len(viol) > 0 {
		return fmt.Errorf("%s: answer %d %s breaks openapi.yaml: %v", o.kind, o.status, o.body, viol)
	}
	return nil
}

// TestFloodOfHostileRequests throws a thousand malformed, oversized, deeply
// nested, wrongly encoded and wrongly framed requests and a few slow clients
// at a real server on loopback: none may get a 5xx or an answer outside the
// envelope, none may crash the server or hold a connection past its
// timeouts, and the server must answer correctly afterwards.
func TestFloodOfHostileRequests(t *testing.T) {
	t.Parallel()
	// A thousand requests draw each kind about ninety times, every variant
	// of each many times over.
	total := 1000
	if testing.Short() {
		total = 300
	}
	fs := startFloodServer(t)
	requests := append(slowClients(), hostileRequests(total)...)
	const workers = 16
	work := make(chan hostile)
	failures := make(chan error, len(requests))
	kinds := make(chan string, len(requests))
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for h := range work {
				o := fs.exchange(h)
				if err := checkFloodOutcome(h, o); err != nil {
					failures <- err
				}
				if o.answered {
					kinds <- fmt.Sprintf("%s %d", o.kind, o.status)
				} else {
					kinds <- o.kind + " closed"
				}
			}
		}()
	}
	deadline := time.After(60 * time.Second)
feed:
	for _, h := range requests {
		select {
		case work <- h:
		case <-deadline:
			t.Error("flood did not finish within 60s")
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(failures)
	close(kinds)
	n := 0
	for err := range failures {
		if n++; n <= 10 {
			t.Error(err)
		}
	}
	seen := map[string]int{}
	for k := range kinds {
		seen[k]++
	}
	t.Logf("outcomes: %v", seen)
	for _, want := range []string{"malformed JSON 400", "oversized 413", "deeply nested 400", "wrong content type 415", "bad chunked framing 400", "short body 400", "wrong method 405", "oversized header 431"} {
		if seen[want] == 0 {
			t.Errorf("no %q among the outcomes: the flood did not exercise it", want)
		}
	}
	if logs := fs.logs.String(); strings.Contains(logs, "panic") {
		t.Errorf("the server logged a panic:\n%s", logs)
	}

	// The server still answers, exactly.
	client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{Proxy: nil}}
	defer client.CloseIdleConnections()
	res, err := client.Post("http://"+fs.addr+rechargestatus.EnquiryPath, "application/json", strings.NewReader(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`))
	if err != nil {
		t.Fatalf("after the flood: %v", err)
	}
	got, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || string(got) != pageExampleBody {
		t.Fatalf("after the flood: %d %s, want the page's example", res.StatusCode, got)
	}
}

// TestSlowClientsAreCutOff checks the timeouts themselves: a client that
// never finishes its headers, or its body, loses its connection once the
// server's timeout has passed, and not much later.
func TestSlowClientsAreCutOff(t *testing.T) {
	t.Parallel()
	fs := startFloodServer(t)
	tests := []struct {
		name    string
		partial string
		limit   time.Duration
	}{
		{"headers never finished", "POST " + rechargestatus.EnquiryPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\n", floodHeaderTimeout},
		{"body never finished", "POST " + rechargestatus.EnquiryPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{", floodReadTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			c, err := net.Dial("tcp", fs.addr)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			start := time.Now()
			if _, err := c.Write([]byte(tt.partial)); err != nil {
				t.Fatal(err)
			}
			_ = c.SetReadDeadline(time.Now().Add(tt.limit + 5*time.Second))
			answer, err := io.ReadAll(c)
			elapsed := time.Since(start)
			var netErr net.Error
			if errors.As(err, &netErr) && netErr.Timeout() {
				t.Fatalf("connection still open after %s", elapsed)
			}
			if elapsed < tt.limit/2 {
				t.Fatalf("cut off after %s, before the %s timeout", elapsed, tt.limit)
			}
			if len(answer) > 0 && bytes.HasPrefix(answer, []byte("HTTP/1.1 5")) {
				t.Fatalf("answered %q", answer)
			}
		})
	}
}
