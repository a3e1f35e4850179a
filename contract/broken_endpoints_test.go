package contract_test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// brokenEndpoint is a server that cannot keep any promise of the contract.
type brokenEndpoint struct {
	name string
	// start serves it until the test ends and returns its base URL.
	start func(t *testing.T) string
	// timeout is the run's --timeout: short where every request waits it out.
	timeout string
	// extra are further flags of its runs.
	extra []string
	// says is what the failures report of it.
	says string
	// raced runs the suite with the race detector (racedChild): for the
	// endpoints whose failures cut exchanges off midway (a timeout, a
	// reset, a body past its bound) rather than refuse them whole.
	raced bool
}

func brokenEndpoints() []brokenEndpoint {
	return []brokenEndpoint{
		{"nothing listens", closedPort, "2s", nil, "connection refused", false},
		{"it never answers", func(t *testing.T) string { return serve(t, hang) }, "10ms", nil, "no complete answer within 10ms (--timeout)", true},
		{"it resets every connection", func(t *testing.T) string { return serve(t, reset) }, "2s", nil, "connection reset by peer", true},
		{"it redirects every request", func(t *testing.T) string { return serve(t, redirect) }, "2s", nil, "answered a redirect, HTTP 302 to /elsewhere", false},
		{"its answers never end", func(t *testing.T) string { return serve(t, endless) }, "2s", []string{"--max-answer-bytes=65536"}, "the answer is larger than 65536 bytes", true},
	}
}

// TestNoSpecPassesAgainstABrokenEndpoint runs every spec of the suite
// against endpoints that keep no promise (the preflight, which would stop
// the run before the first spec, is off): each spec must fail, none pass.
// The preflight's own reports of such endpoints are tested in package
// framework, its exit code with the aopay-contract command.
func TestNoSpecPassesAgainstABrokenEndpoint(t *testing.T) {
	t.Parallel()
	for _, e := range brokenEndpoints() {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			c := racedChild()
			if !e.raced {
				c = commandChild(t)
			}
			r := runCommand(t, c, nil, append(e.extra, "--base-url="+e.start(t), "--timeout="+e.timeout, "--preflight=false")...)
			ran, total, passed, failed, ok := r.counts()
			if !ok || r.code != contract.ExitFailed || passed != 0 || failed != total || ran != total || total < 100 {
				t.Fatalf("exit %d, %d of %d specs ran, %d passed, %d failed; want exit %d and every spec failed\n%s",
					r.code, ran, total, passed, failed, contract.ExitFailed, r.output)
			}
			if !strings.Contains(r.output, e.says) {
				t.Errorf("no failure says %q:\n%s", e.says, r.output)
			}
		})
	}
}

// TestTheRunEndsAtTheSuiteTimeout runs the suite against an endpoint that
// never answers, with a request timeout far beyond the suite's: the run ends
// at the suite's deadline and fails.
func TestTheRunEndsAtTheSuiteTimeout(t *testing.T) {
	t.Parallel()
	start := time.Now()
	r := runCommand(t, racedChild(), nil, "--base-url="+serve(t, hang), "--timeout=1m", "--suite-timeout=1s", "--preflight=false")
	if elapsed := time.Since(start); r.code != contract.ExitFailed || elapsed > 30*time.Second {
		t.Fatalf("exit %d after %s, want %d soon after the suite timeout\n%s", r.code, elapsed, contract.ExitFailed, r.output)
	}
	if _, _, passed, _, _ := r.counts(); passed != 0 || !strings.Contains(r.output, "did not run: the run stopped before it: the run was") {
		t.Errorf("%d specs passed; the summary does not say the run stopped:\n%s", passed, r.output)
	}
}

// closedPort is a loopback URL whose connections are refused for the whole
// test.
func closedPort(t *testing.T) string {
	return "http://" + testutil.RefusedAddr(t)
}

func serve(t *testing.T, h http.HandlerFunc) string {
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// hang answers nothing until the client goes away. Reading the request
// first lets the server notice when it does.
func hang(_ http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	<-r.Context().Done()
}

// reset drops every connection with a TCP RST.
func reset(w http.ResponseWriter, _ *http.Request) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		panic(http.ErrAbortHandler)
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		_ = tcp.SetLinger(0)
	}
	_ = conn.Close()
}

// redirect sends every request elsewhere.
func redirect(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Location", "/elsewhere")
	w.WriteHeader(http.StatusFound)
}

// endless answers a JSON string that never ends, until the client goes away.
func endless(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	chunk := []byte(strings.Repeat("x", 32<<10))
	if _, err := w.Write([]byte(`{"response_code":1,"status":true,"message":"`)); err != nil {
		return
	}
	for r.Context().Err() == nil {
		if _, err := w.Write(chunk); err != nil {
			return
		}
	}
}

// TestReportsOfAHostileEndpointStayBoundedAndEscaped: an endpoint whose
// answers carry a header of about 10 MB, 10,000 headers, or terminal escape
// sequences in the body cannot flood or drive the terminal or the report:
// the first two are refused past the client's header bound, the third is
// shown escaped, with colours or without.
func TestReportsOfAHostileEndpointStayBoundedAndEscaped(t *testing.T) {
	t.Parallel()
	const outputBound = 256 << 10
	huge := strings.Repeat("a", 10<<20)
	for _, e := range []struct {
		name    string
		handler http.HandlerFunc
		extra   []string
		says    string
	}{
		{"a 10 MB header", func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("X-Huge", huge)
		}, nil, "header"},
		{"10,000 headers", func(w http.ResponseWriter, _ *http.Request) {
			for i := range 10000 {
				w.Header().Set(fmt.Sprintf("X-Header-%d", i), "value")
			}
		}, nil, "header"},
		{"escape sequences in the body", escapes, nil, `\x1b[2J\x1b[H`},
		{"escape sequences in the body, colours on", escapes, []string{"--no-color=false"}, `\x1b[2J\x1b[H`},
	} {
		t.Run(e.name, func(t *testing.T) {
			t.Parallel()
			// A few specs are enough: each exchange is printed alike.
			args := append([]string{"--base-url=" + serve(t, e.handler), "--timeout=5s", "--preflight=false", "--focus=unknown transaction"}, e.extra...)
			r := runSuite(t, racedChild(), nil, args...)
			if r.code != contract.ExitFailed {
				t.Fatalf("exit %d, want %d\n%.4000s", r.code, contract.ExitFailed, r.output)
			}
			if len(r.output) > outputBound {
				t.Errorf("the run printed %d bytes", len(r.output))
			}
			if !strings.Contains(r.output, e.says) {
				t.Errorf("the output does not say %q:\n%.4000s", e.says, r.output)
			}
			for _, raw := range []string{"\x1b[2J", "\x1b]0;", "\x07"} {
				if strings.Contains(r.output, raw) {
					t.Errorf("the output holds %q raw", raw)
				}
				for _, s := range r.report.SpecReports {
					if strings.Contains(s.Failure.Message, raw) {
						t.Errorf("the report of %q holds %q raw", s.FullText(), raw)
						break
					}
				}
			}
		})
	}
}

// escapes answers in the envelope, its message clearing the screen and
// setting the window's title.
func escapes(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, "{\"response_code\":2,\"status\":true,\"message\":\"\x1b[2J\x1b[H\x1b]0;owned\x07\"}")
}
