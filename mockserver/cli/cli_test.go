package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

func envOf(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestParseFlagsPrecedence(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantAddr string
		wantSeed int64
	}{
		{"defaults", nil, nil, "127.0.0.1:8080", 1},
		{"environment", nil, map[string]string{"AOPAY_MOCK_ADDR": "127.0.0.1:9999", "AOPAY_MOCK_SEED": "5"}, "127.0.0.1:9999", 5},
		{"flag over environment", []string{"--addr", "127.0.0.1:7777"}, map[string]string{"AOPAY_MOCK_ADDR": "127.0.0.1:9999"}, "127.0.0.1:7777", 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o, err := parseFlags(tt.args, envOf(tt.env), io.Discard)
			if err != nil {
				t.Fatal(err)
			}
			if o.addr != tt.wantAddr || o.seed != tt.wantSeed {
				t.Fatalf("addr %q seed %d", o.addr, o.seed)
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		env      map[string]string
		wantCode int
		wantErr  string
	}{
		{"help", []string{"--help"}, nil, 0, "AOPAY_MOCK_ADDR"},
		{"unknown flag", []string{"--nope"}, nil, 2, "nope"},
		{"stray argument", []string{"serve"}, nil, 2, "unexpected argument"},
		{"bad env value", nil, map[string]string{"AOPAY_MOCK_SEED": "x"}, 2, "AOPAY_MOCK_SEED"},
		{"bad log level", []string{"--log-level", "loud"}, nil, 2, "log level"},
		{"bad log format", []string{"--log-format", "xml"}, nil, 2, "log format"},
		{"bad unknown policy", []string{"--unknown", "maybe"}, nil, 2, "notfound"},
		{"bad resolve-after", []string{"--resolve-after", "soon"}, nil, 2, "resolve-after"},
		{"zero resolve-after", []string{"--resolve-after", "0"}, nil, 2, "positive"},
		{"bad validation status", []string{"--validation-status", "422"}, nil, 2, "400 or 401"},
		{"pending status of a success", []string{"--pending-status", "1"}, nil, 2, "pending-status"},
		{"pending status of a failure", []string{"--pending-status", "0"}, nil, 2, "pending-status"},
		{"journal too large to allocate", []string{"--journal-size", "2000000000"}, nil, 2, "journal-size"},
		{"journal of no bytes", []string{"--journal-bytes", "0"}, nil, 2, "journal-bytes"},
		{"allowed host with a port", nil, map[string]string{"AOPAY_MOCK_ALLOWED_HOSTS": "mock:8080"}, 2, "allowed-hosts"},
		{"missing spec", []string{"--spec", "/does/not/exist.yaml"}, nil, 2, "spec"},
		{"missing fixtures", []string{"--fixtures", "/does/not/exist.yaml", "--addr", "127.0.0.1:0"}, nil, 1, "fixtures"},
		{"busy address", []string{"--addr", "256.0.0.1:1"}, nil, 1, "aopay-mock"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			code := Run(context.Background(), tt.args, envOf(tt.env), io.Discard, &stderr)
			if code != tt.wantCode || !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("exit %d, stderr %q; want %d mentioning %q", code, stderr.String(), tt.wantCode, tt.wantErr)
			}
		})
	}
}

func TestParseResolveRule(t *testing.T) {
	if r, err := ParseResolveRule("5"); err != nil || r.AfterEnquiries != 5 {
		t.Fatalf("5: %+v %v", r, err)
	}
	if r, err := ParseResolveRule("90s"); err != nil || r.After != recharge.Duration(90*time.Second) {
		t.Fatalf("90s: %+v %v", r, err)
	}
}

// lockedBuffer is written by the server's logger while the test reads it.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// waitForURL waits until the in-process server logs the URL it listens on.
func waitForURL(t *testing.T, out *lockedBuffer, exited <-chan int) string {
	t.Helper()
	var url string
	err := testutil.Poll(testutil.StartTimeout, func() (bool, error) {
		select {
		case code := <-exited:
			return false, fmt.Errorf("server exited with %d before listening", code)
		default:
		}
		url = testutil.ListeningURL(out.String())
		return url != "", nil
	})
	if err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	return url
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- Run(ctx, []string{"--addr", "127.0.0.1:0", "--log-format", "text"}, envOf(map[string]string{"AOPAY_MOCK_LOG_LEVEL": "info"}), &out, io.Discard)
	}()
	url := waitForURL(t, &out, exited)
	res, err := http.Post(url+"/api/AOP/RechargeStatus", "application/json", strings.NewReader(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), `"txnid":"6469"`) {
		t.Fatalf("%d %s", res.StatusCode, body)
	}
	cancel()
	select {
	case code := <-exited:
		if code != 0 {
			t.Fatalf("exit %d", code)
		}
	case <-time.After(ShutdownTimeout + 5*time.Second):
		t.Fatal("no shutdown")
	}
	if !strings.Contains(out.String(), "msg=request") || !strings.Contains(out.String(), "referenceid=12345678") {
		t.Fatalf("no request log: %s", out.String())
	}
}

func TestLogLevelWarnSilencesRequestLogs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out lockedBuffer
	exited := make(chan int, 1)
	go func() {
		exited <- Run(ctx, []string{"--addr", "127.0.0.1:0", "--log-level", "warn", "--log-format", "json"}, envOf(nil), &out, io.Discard)
	}()
	url := waitForURL(t, &out, exited)
	res, err := http.Post(url+"/api/AOP/RechargeStatus", "application/json", strings.NewReader(`{"referenceid":"1","RegistrationID":"AOP-554"}`))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("exit %d", code)
	}
	if strings.Contains(out.String(), `"msg":"request"`) {
		t.Fatalf("request logged at warn level: %s", out.String())
	}
}

func TestEveryFlagIsInTheReadmeConfigurationTable(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var o options
	newFlagSet(&o, io.Discard).VisitAll(func(f *flag.Flag) {
		row := fmt.Sprintf("| `--%s` | `%s` |", f.Name, EnvName(f.Name))
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no configuration row starting %q", row)
		}
	})
}

func TestJournalBytesFlag(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want int64
	}{
		{"default", nil, nil, mockserver.DefaultJournalBytes},
		{"environment", nil, map[string]string{"AOPAY_MOCK_JOURNAL_BYTES": "1048576"}, 1 << 20},
		{"flag", []string{"--journal-bytes", "2097152"}, map[string]string{"AOPAY_MOCK_JOURNAL_BYTES": "1048576"}, 2 << 20},
	}
	for _, tt := range tests {
		o, err := parseFlags(tt.args, envOf(tt.env), io.Discard)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := o.config(nil)
		if err != nil || cfg.JournalBytes != tt.want {
			t.Errorf("%s: JournalBytes %d, %v; want %d", tt.name, cfg.JournalBytes, err, tt.want)
		}
	}
}
