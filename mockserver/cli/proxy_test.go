package cli

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
)

func TestProxyFlags(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "rec")
	tests := []struct {
		name        string
		args        []string
		env         map[string]string
		wantProxy   string
		wantTimeout time.Duration
		wantRecord  string
	}{
		{name: "off by default", wantTimeout: proxy.DefaultTimeout},
		{name: "flags", args: []string{"--proxy-upstream", "https://api.aopay.co.in", "--proxy-timeout", "3s", "--record", dir},
			wantProxy: "https://api.aopay.co.in", wantTimeout: 3 * time.Second, wantRecord: dir},
		{name: "environment", env: map[string]string{"AOPAY_MOCK_PROXY_UPSTREAM": "http://127.0.0.1:9000/gw", "AOPAY_MOCK_RECORD": dir, "AOPAY_MOCK_PROXY_TIMEOUT": "500ms"},
			wantProxy: "http://127.0.0.1:9000/gw", wantTimeout: 500 * time.Millisecond, wantRecord: dir},
		{name: "zero timeout without an upstream means nothing", env: map[string]string{"AOPAY_MOCK_PROXY_TIMEOUT": "0"}},
		{name: "huge timeout without an upstream means nothing", args: []string{"--proxy-timeout", "5m"}, wantTimeout: 5 * time.Minute},
		{name: "same port on another host", args: []string{"--addr", "127.0.0.1:8080", "--proxy-upstream", "http://10.0.0.8:8080"},
			wantProxy: "http://10.0.0.8:8080", wantTimeout: proxy.DefaultTimeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, cfg, err := configOf(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.ProxyUpstream != tt.wantProxy || cfg.RecordDir != tt.wantRecord || (tt.wantProxy != "" && cfg.ProxyTimeout != tt.wantTimeout) || o.proxy.timeout != tt.wantTimeout {
				t.Fatalf("upstream %q timeout %s record %q", cfg.ProxyUpstream, cfg.ProxyTimeout, cfg.RecordDir)
			}
		})
	}
}

func TestProxyUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "not a URL", args: []string{"--proxy-upstream", "api.aopay.co.in"}, wantErr: "absolute http"},
		{name: "record without upstream", args: []string{"--record", "/tmp/x"}, wantErr: "--proxy-upstream"},
		{name: "zero timeout", args: []string{"--proxy-upstream", "https://api.aopay.co.in", "--proxy-timeout", "0s"}, wantErr: "proxy-timeout"},
		{name: "timeout beyond the write timeout", args: []string{"--proxy-upstream", "https://api.aopay.co.in", "--proxy-timeout", "2m"}, wantErr: "write timeout"},
		{name: "the write timeout itself", args: []string{"--proxy-upstream", "https://api.aopay.co.in", "--proxy-timeout", "60s"}, wantErr: "write timeout"},
		{name: "upstream is the listen address", args: []string{"--addr", "127.0.0.1:8181", "--proxy-upstream", "http://127.0.0.1:8181"}, wantErr: "own address"},
		{name: "upstream is localhost, listening everywhere", args: []string{"--addr", "0.0.0.0:8181", "--proxy-upstream", "http://localhost:8181/gw"}, wantErr: "own address"},
		{name: "upstream on the default port of its scheme", args: []string{"--addr", ":80", "--proxy-upstream", "http://127.0.0.1"}, wantErr: "own address"},
		{name: "credentials kept from a parse error", args: []string{"--proxy-upstream", "http://user:s3cret@[::1"}, wantErr: "not a valid URL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := Run(context.Background(), tt.args, envOf(nil), io.Discard, &stderr)
			if code != 2 || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want 2 mentioning %q", code, stderr.String(), tt.wantErr)
			}
			if strings.Contains(stderr.String(), "s3cret") {
				t.Fatalf("stderr shows the upstream's password: %q", stderr.String())
			}
		})
	}
}

// serve runs aopay-mock with args until the test ends and returns its URL.
func serve(t *testing.T, args ...string) string {
	t.Helper()
	url, _ := serveStoppable(t, args...)
	return url
}

// serveStoppable is serve with a function that shuts the server down
// gracefully and waits for it to exit.
func serveStoppable(t *testing.T, args ...string) (url string, stop func()) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out testutil.SyncBuffer
	listening, exited := runMock(ctx, append([]string{"--addr", "127.0.0.1:0", "--log-format", "text"}, args...), envOf(nil), &out, io.Discard)
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if code := <-exited; code != 0 {
				t.Errorf("aopay-mock %v exited %d: %s", args, code, out.String())
			}
		})
	}
	t.Cleanup(stop)
	return waitForURL(t, listening, exited, &out), stop
}

// postEnquiry posts body and checks the answer against openapi.yaml.
func postEnquiry(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	res, err := http.Post(url+rechargestatus.EnquiryPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	v, err := conformance.LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	check, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, nil)
	check.Header.Set("Content-Type", "application/json")
	if viol := v.CheckResponse(context.Background(), check, []byte(body), res.StatusCode, res.Header, got); len(viol) > 0 {
		t.Fatalf("answer %d %s breaks openapi.yaml: %v", res.StatusCode, got, viol)
	}
	return res, string(got)
}

// TestProxyRecordAndReplayCommands runs the commands the README shows: a
// proxy recording what an upstream answers, then a mock replaying the
// recording with no upstream at all.
func TestProxyRecordAndReplayCommands(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "recorded")
	upstream := serve(t)
	proxyURL, stopProxy := serveStoppable(t, "--proxy-upstream", upstream, "--record", dir, "--proxy-timeout", "2s")
	const enquiry = `{"referenceid":"REFUND-1001","RegistrationID":"AOP-554"}`
	res, proxied := postEnquiry(t, proxyURL, enquiry)
	if res.StatusCode != http.StatusOK || res.Header.Get(admin.ContractViolationsHeader) != "0" || !strings.Contains(proxied, `"refunded":"1"`) {
		t.Fatalf("through the proxy: %d %s=%q %s", res.StatusCode, admin.ContractViolationsHeader, res.Header.Get(admin.ContractViolationsHeader), proxied)
	}
	// A graceful stop writes what the recording holds.
	stopProxy()
	recorded, err := os.ReadFile(filepath.Join(dir, proxy.RecordTransactionsFile))
	if err != nil || !strings.Contains(string(recorded), "REFUND-1001") {
		t.Fatalf("not recorded: %v %s", err, recorded)
	}
	replay := serve(t, "--fixtures", dir, "--unknown", "notfound")
	res, replayed := postEnquiry(t, replay, enquiry)
	if res.StatusCode != http.StatusOK || replayed != proxied {
		t.Fatalf("replayed %d %s\nproxied %s", res.StatusCode, replayed, proxied)
	}
	if res.Header.Get(admin.ContractViolationsHeader) != "" {
		t.Fatal("the replaying mock, no proxy, sent a violation count")
	}
}
