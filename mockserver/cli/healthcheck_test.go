package cli

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// probeEnv is the environment a subcommand sees.
func probeEnv(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// healthServer answers the health path as handler does, and 404 elsewhere so
// a probe of the wrong path fails.
func healthServer(t *testing.T, handler http.HandlerFunc) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+HealthPath, handler)
	ts := httptest.NewServer(mux)
	t.Cleanup(ts.Close)
	return ts
}

func answer(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = w.Write([]byte(body))
	}
}

func TestHealthcheckAnswers(t *testing.T) {
	cases := []struct {
		name     string
		handler  http.HandlerFunc
		wantCode int
		wantErr  string
	}{
		{"healthy", answer(http.StatusOK, `{"status":"ok","transactions":3}`), 0, ""},
		{"unavailable", answer(http.StatusServiceUnavailable, `{"status":"unavailable","error":"store closed"}`), 1, "HTTP 503"},
		{"ok status code but not ok", answer(http.StatusOK, `{"status":"starting"}`), 1, `status "starting"`},
		{"ok status code but not JSON", answer(http.StatusOK, `<html>ok</html>`), 1, "not the health JSON"},
		{"server error", answer(http.StatusInternalServerError, `boom`), 1, "HTTP 500: boom"},
		{"long error page", answer(http.StatusBadGateway, strings.Repeat("x", 10*maxReportedBody)), 1, strings.Repeat("x", maxReportedBody) + "…"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ts := healthServer(t, tc.handler)
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), []string{"healthcheck", "--url", ts.URL}, probeEnv(nil), &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.wantCode, stderr.String())
			}
			if tc.wantErr == "" {
				if !strings.Contains(stdout.String(), ts.URL+HealthPath) {
					t.Errorf("stdout %q does not name the probed URL", stdout.String())
				}
				return
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr %q, want it to mention %q", stderr.String(), tc.wantErr)
			}
		})
	}
}

func TestHealthcheckTimesOutOnAHangingServer(t *testing.T) {
	release := make(chan struct{})
	ts := healthServer(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-release:
		}
	})
	t.Cleanup(func() { close(release) }) // runs before ts.Close
	const timeout = 150 * time.Millisecond
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Run(context.Background(), []string{"healthcheck", "--url", ts.URL, "--timeout", timeout.String()}, probeEnv(nil), &stdout, &stderr)
	elapsed := time.Since(start)
	if code != 1 {
		t.Fatalf("exit %d, want 1; stdout %q", code, stdout.String())
	}
	if elapsed < timeout || elapsed > timeout+2*time.Second {
		t.Errorf("took %s, want about the %s timeout", elapsed, timeout)
	}
	if !strings.Contains(stderr.String(), "no answer within "+timeout.String()) {
		t.Errorf("stderr %q does not report the timeout", stderr.String())
	}
}

func TestHealthcheckOfAClosedPortFailsQuickly(t *testing.T) {
	addr := testutil.RefusedAddr(t)
	var stdout, stderr bytes.Buffer
	start := time.Now()
	code := Run(context.Background(), []string{"healthcheck", "--addr", addr, "--timeout", "5s"}, probeEnv(nil), &stdout, &stderr)
	if code != 1 {
		t.Fatalf("exit %d, want 1", code)
	}
	if elapsed := time.Since(start); elapsed > 2*time.Second {
		t.Errorf("a refused connection took %s to report", elapsed)
	}
	if !strings.Contains(stderr.String(), addr) {
		t.Errorf("stderr %q does not name %s", stderr.String(), addr)
	}
}

func TestHealthcheckSendsTheAdminToken(t *testing.T) {
	const token = "s3cret-admin"
	ts := healthServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			answer(http.StatusUnauthorized, `{"status":false,"response_code":7,"message":"Authentication failed"}`)(w, r)
			return
		}
		answer(http.StatusOK, `{"status":"ok"}`)(w, r)
	})
	cases := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
	}{
		{"flag", []string{"--admin-token", token}, nil, 0},
		{"environment", nil, map[string]string{"AOPAY_MOCK_ADMIN_TOKEN": token}, 0},
		{"flag wins over environment", []string{"--admin-token", token}, map[string]string{"AOPAY_MOCK_ADMIN_TOKEN": "stale"}, 0},
		{"missing", nil, nil, 1},
		{"wrong", []string{"--admin-token", "guess"}, nil, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"healthcheck", "--url", ts.URL}, tc.args...)
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), args, probeEnv(tc.env), &stdout, &stderr); code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.wantCode, stderr.String())
			}
		})
	}
}

func TestHealthcheckOfTheMockServer(t *testing.T) {
	srv, err := mockserver.New(mockserver.Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	addr := strings.TrimPrefix(ts.URL, "http://")
	cases := []struct {
		name string
		args []string
		env  map[string]string
	}{
		{"addr", []string{"--addr", addr}, nil},
		{"url", []string{"--url", ts.URL}, nil},
		{"url with trailing slash", []string{"--url", ts.URL + "/"}, nil},
		{"url of the health endpoint", []string{"--url", ts.URL + HealthPath}, nil},
		{"addr from the server's environment", nil, map[string]string{"AOPAY_MOCK_ADDR": addr}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), append([]string{"healthcheck"}, tc.args...), probeEnv(tc.env), &stdout, &stderr); code != 0 {
				t.Fatalf("exit %d, want 0; stderr %q", code, stderr.String())
			}
		})
	}
}

func TestHealthcheckOfTheMockServerWithAnAdminToken(t *testing.T) {
	const token = "health-admin-token"
	srv, err := mockserver.New(mockserver.Config{AdminToken: token})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(ts.Close)
	cases := []struct {
		name     string
		env      map[string]string
		wantCode int
	}{
		{"token from the server's environment", map[string]string{"AOPAY_MOCK_ADMIN_TOKEN": token}, 0},
		{"no token", nil, 1},
		{"another token", map[string]string{"AOPAY_MOCK_ADMIN_TOKEN": "not-" + token}, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), []string{"healthcheck", "--url", ts.URL}, probeEnv(tc.env), &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.wantCode, stderr.String())
			}
			if tc.wantCode != 0 && !strings.Contains(stderr.String(), "HTTP 401") {
				t.Errorf("stderr %q, want the 401 named", stderr.String())
			}
		})
	}
}

func TestHealthcheckBadUsageExitsOne(t *testing.T) {
	cases := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{"unknown flag", []string{"--port", "8080"}, "flag provided but not defined"},
		{"extra argument", []string{"--addr", "127.0.0.1:1", "now"}, `unexpected argument "now"`},
		{"addr without port", []string{"--addr", "localhost"}, "want HOST:PORT"},
		{"url without scheme", []string{"--url", "localhost:8080"}, "want an http or https URL"},
		{"url of another scheme", []string{"--url", "ftp://localhost:8080"}, "want an http or https URL"},
		{"zero timeout", []string{"--addr", "127.0.0.1:1", "--timeout", "0s"}, "must be positive"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Run(context.Background(), append([]string{"healthcheck"}, tc.args...), probeEnv(nil), &stdout, &stderr); code != 1 {
				t.Fatalf("exit %d, want 1 (2 is reserved by container engines)", code)
			}
			if !strings.Contains(stderr.String(), tc.wantErr) {
				t.Errorf("stderr %q, want it to mention %q", stderr.String(), tc.wantErr)
			}
		})
	}
}

func TestProbeAddr(t *testing.T) {
	cases := []struct {
		name, listen, want string
	}{
		{"unset", "", mockserver.DefaultAddr},
		{"container listen address", "0.0.0.0:8080", "127.0.0.1:8080"},
		{"any host", ":9090", "127.0.0.1:9090"},
		{"IPv6 any", "[::]:8080", "[::1]:8080"},
		{"loopback", "127.0.0.1:8081", "127.0.0.1:8081"},
		{"named host", "mock:8080", "mock:8080"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := probeAddr(tc.listen); got != tc.want {
				t.Errorf("probeAddr(%q) = %q, want %q", tc.listen, got, tc.want)
			}
		})
	}
}
