//go:build unix

package cli

import (
	"context"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// startMock runs aopay-mock with args and env until the test ends, and
// returns its URL and its log.
func startMock(t *testing.T, args []string, env map[string]string) (string, *testutil.SyncBuffer) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out testutil.SyncBuffer
	listening, exited := runMock(ctx, append([]string{"--addr", "127.0.0.1:0", "--log-format", "text"}, args...), envOf(env), &out, &out)
	url := waitForURL(t, listening, exited, &out)
	t.Cleanup(func() {
		cancel()
		select {
		case <-exited:
		case <-time.After(ShutdownTimeout + 5*time.Second):
			t.Error("no shutdown")
		}
	})
	return url, &out
}

func get(t *testing.T, url, token string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

func TestAdminTokenFromTheEnvironment(t *testing.T) {
	const secret = "env-admin-secret-42"
	url, out := startMock(t, nil, map[string]string{EnvName("admin-token"): secret})
	tests := []struct {
		name, path, token string
		want              int
	}{
		{name: "admin without token", path: "/__admin/health", want: 401},
		{name: "admin with token", path: "/__admin/health", token: secret, want: 200},
		{name: "metrics without token", path: "/metrics", want: 401},
		{name: "metrics with token", path: "/metrics", token: secret, want: 200},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := get(t, url+tt.path, tt.token); got != tt.want {
				t.Fatalf("GET %s: %d, want %d", tt.path, got, tt.want)
			}
		})
	}
	if strings.Contains(out.String(), secret) {
		t.Fatalf("the log shows the admin token: %s", out.String())
	}
	if !strings.Contains(out.String(), "adminToken=true") || strings.Contains(out.String(), "admin API is open") {
		t.Fatalf("the log should say the admin API is protected: %s", out.String())
	}
}

// TestSandboxHeaderFlags holds each header the sandbox lets a request
// choose with to its switch: honoured by default, ignored when switched
// off by flag or by environment.
func TestSandboxHeaderFlags(t *testing.T) {
	headers := []struct {
		flag, header, value, ref string
		// honoured is the status the header asks for; ignored, the answer
		// without it.
		honoured int
	}{
		{"fault-header", "X-Mock-Fault", "status=503", "12345678", 503},
		{"scenario-header", "X-Mock-Scenario", "authfail", "ORDER-77", 401},
	}
	for _, h := range headers {
		tests := []struct {
			name string
			args []string
			env  map[string]string
			want int
		}{
			{name: "on by default", want: h.honoured},
			{name: "off by flag", args: []string{"--" + h.flag + "=false"}, want: 200},
			{name: "off by environment", env: map[string]string{EnvName(h.flag): "false"}, want: 200},
		}
		for _, tt := range tests {
			t.Run(h.flag+" "+tt.name, func(t *testing.T) {
				url, _ := startMock(t, tt.args, tt.env)
				req, _ := http.NewRequest(http.MethodPost, url+"/api/AOP/RechargeStatus", strings.NewReader(`{"referenceid":"`+h.ref+`","RegistrationID":"AOP-554"}`))
				req.Header.Set("Content-Type", "application/json")
				req.Header.Set(h.header, h.value)
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				res.Body.Close()
				if res.StatusCode != tt.want {
					t.Fatalf("%d, want %d", res.StatusCode, tt.want)
				}
			})
		}
	}
}

func TestSIGHUPReloadsFixtures(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixtures.yaml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("registrations: [{id: P-1}]\ntransactions:\n  - {registration: P-1, referenceid: FIRST, state: success}\n")
	url, out := startMock(t, []string{"--fixtures", path}, nil)
	if got := get(t, url+"/__admin/transactions/P-1/SECOND", ""); got != 404 {
		t.Fatalf("SECOND before the reload: %d", got)
	}
	write("registrations: [{id: P-1}]\ntransactions:\n  - {registration: P-1, referenceid: FIRST, state: success}\n  - {registration: P-1, referenceid: SECOND, state: failed}\n")
	if err := syscall.Kill(os.Getpid(), syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	err := testutil.Poll(5*time.Second, func() (bool, error) {
		return get(t, url+"/__admin/transactions/P-1/SECOND", "") == 200, nil
	})
	if err != nil {
		t.Fatalf("SECOND not loaded 5s after SIGHUP: %s", out.String())
	}
	// The reload is logged once it has taken effect, so after an enquiry
	// may already see it.
	err = testutil.Poll(5*time.Second, func() (bool, error) {
		return strings.Contains(out.String(), "fixtures reloaded on SIGHUP"), nil
	})
	if err != nil {
		t.Fatalf("the reload is not logged: %s", out.String())
	}
}

func TestIsLoopback(t *testing.T) {
	tests := []struct {
		name string
		addr net.Addr
		want bool
	}{
		{"IPv4 loopback", &net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}, true},
		{"IPv6 loopback", &net.TCPAddr{IP: net.ParseIP("::1"), Port: 8080}, true},
		{"every interface", &net.TCPAddr{IP: net.IPv4zero, Port: 8080}, false},
		{"every IPv6 interface", &net.TCPAddr{IP: net.IPv6unspecified, Port: 8080}, false},
		{"a LAN address", &net.TCPAddr{IP: net.ParseIP("192.168.1.20"), Port: 8080}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isLoopback(tt.addr); got != tt.want {
				t.Fatalf("isLoopback(%s) = %v, want %v", tt.addr, got, tt.want)
			}
		})
	}
}

func TestAllowedHostsFromTheEnvironment(t *testing.T) {
	url, _ := startMock(t, nil, map[string]string{"AOPAY_MOCK_ALLOWED_HOSTS": "mock, .example.test"})
	for host, want := range map[string]int{"mock:8080": 200, "a.example.test": 200, "127.0.0.1": 200, "evil.example": 403} {
		req, _ := http.NewRequest(http.MethodGet, url+"/__admin/clock", nil)
		req.Host = host
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != want {
			t.Errorf("Host %q: %d, want %d", host, res.StatusCode, want)
		}
	}
}

func TestExposureWarning(t *testing.T) {
	everywhere := &net.TCPAddr{IP: net.IPv4zero, Port: 8080}
	if w := exposureWarning(&net.TCPAddr{IP: net.ParseIP("127.0.0.1"), Port: 8080}, "", nil); w != "" {
		t.Errorf("on loopback: %q", w)
	}
	if w := exposureWarning(everywhere, "s3cret", nil); w != "" {
		t.Errorf("with a token: %q", w)
	}
	w := exposureWarning(everywhere, "", []string{"mock"})
	for _, want := range []string{"WARNING", "0.0.0.0:8080", "no admin token", "reset the sandbox", "--admin-token", EnvName("admin-token"), "mock", "-p 127.0.0.1:8080:8080"} {
		if !strings.Contains(w, want) {
			t.Errorf("the warning does not say %q:\n%s", want, w)
		}
	}
	if lines := strings.Count(w, "\n"); lines < 5 {
		t.Errorf("the warning is %d lines, want a block that stands out:\n%s", lines, w)
	}
}
