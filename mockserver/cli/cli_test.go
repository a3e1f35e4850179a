package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/transaction"
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
		{"unknown dialect", []string{"--dialect", "aggregator"}, nil, 2, `unknown dialect "aggregator", want page or upstream`},
		{"unknown dialect variable", nil, map[string]string{"AOPAY_MOCK_DIALECT": "upstream;jwt-failure=code9"}, 2, "AOPAY_MOCK_DIALECT"},
		{"bad knob", []string{"--auth-failure-body", "code9"}, nil, 2, "want code7, code5 or code25"},
		{"accepted dialect without an upstream", []string{"--accept-dialect", "upstream"}, nil, 2, "needs --proxy-upstream"},
		{"unknown accepted dialect", []string{"--accept-dialect", "aggregator", "--proxy-upstream", "http://127.0.0.1:1"}, nil, 2, `unknown dialect "aggregator"`},
		{"journal too large to allocate", []string{"--journal-size", "2000000000"}, nil, 2, "journal-size"},
		{"journal of no bytes", []string{"--journal-bytes", "0"}, nil, 2, "journal-bytes"},
		{"negative held faults", []string{"--max-held-faults", "-1"}, nil, 2, "max-held-faults must not be negative"},
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

// TestExitCodes: a misused flag is one line and the usage, exit 2; a
// failure of any other error type exits 1; --help is the usage alone.
func TestExitCodes(t *testing.T) {
	var stderr bytes.Buffer
	if code := Run(context.Background(), []string{"--nope"}, envOf(nil), io.Discard, &stderr); code != 2 {
		t.Fatalf("exit %d for an unknown flag, want 2", code)
	}
	if got := stderr.String(); !strings.HasPrefix(got, "aopay-mock: flag provided but not defined: -nope\nUsage: aopay-mock [flags]\n") ||
		strings.Count(got, "not defined") != 1 || !strings.Contains(got, "--max-held-faults") {
		t.Fatalf("stderr %q, want the error once, then the usage", got)
	}
	stderr.Reset()
	if code := Run(context.Background(), []string{"--help"}, envOf(nil), io.Discard, &stderr); code != 0 || !strings.HasPrefix(stderr.String(), "Usage: aopay-mock [flags]\n") {
		t.Fatalf("--help: exit %d, stderr %q; want 0 and the usage alone", code, &stderr)
	}
	stderr.Reset()
	if code := ExitCode(fmt.Errorf("listen: %w", io.ErrUnexpectedEOF), &stderr); code != 1 || stderr.String() != "aopay-mock: listen: unexpected EOF\n" {
		t.Fatalf("exit %d, stderr %q; want 1 and one line", code, &stderr)
	}
	if code := ExitCode(nil, &stderr); code != 0 {
		t.Fatalf("exit %d for no error", code)
	}
}

// TestDialectFlags: --dialect names the bundle, a knob set on its own (on
// the command line or in its variable) overrides it, and the former flags
// keep their names and meaning.
func TestDialectFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
		// header is whether X-Mock-Dialect is honoured.
		header bool
	}{
		{"the page by default", nil, nil, "page", true},
		{"a bundle", []string{"--dialect", "upstream"}, nil, "upstream", true},
		{"a bundle and its knobs in one", []string{"--dialect", "upstream;auth-failure-body=code5"}, nil, "upstream;auth-failure-body=code5", true},
		{"a knob over the bundle", []string{"--dialect", "upstream", "--validation-status", "400"}, nil, "upstream;validation-status=400", true},
		{"a knob from the environment over the flag's bundle", []string{"--dialect", "upstream"}, map[string]string{"AOPAY_MOCK_JWT_FAILURE": "code7"}, "upstream;jwt-failure=code7", true},
		{"the former flags", []string{"--validation-status", "401", "--pending-status", "3", "--case-insensitive-fields"}, nil,
			"page;validation-status=401;pending-status=3;case-insensitive-fields=true", true},
		{"the header switched off", nil, map[string]string{"AOPAY_MOCK_DIALECT_HEADER": "false"}, "page", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, cfg, err := configOf(t, tt.args, tt.env)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.Dialect.String() != tt.want || cfg.DisableDialectHeader == tt.header {
				t.Fatalf("dialect %q, header honoured %t; want %q, %t", cfg.Dialect, !cfg.DisableDialectHeader, tt.want, tt.header)
			}
		})
	}
}

// TestAFixtureNamingNoDialectIsOneLine: a registration of the fixtures
// naming no known dialect stops the start with one line saying which.
func TestAFixtureNamingNoDialectIsOneLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "fixtures.yaml")
	if err := os.WriteFile(path, []byte("registrations:\n  - id: AOP-UP\n    dialect: aggregator\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	code := Run(context.Background(), []string{"--fixtures", path, "--addr", "127.0.0.1:0"}, envOf(nil), io.Discard, &stderr)
	want := `registrations[0] (AOP-UP): unknown dialect "aggregator", want page or upstream`
	if code != 1 || strings.Count(stderr.String(), "\n") != 1 || !strings.Contains(stderr.String(), want) {
		t.Fatalf("exit %d, stderr %q; want 1 and one line saying %q", code, stderr.String(), want)
	}
}

func TestParseResolveRule(t *testing.T) {
	if r, err := ParseResolveRule("5"); err != nil || r.AfterEnquiries != 5 {
		t.Fatalf("5: %+v %v", r, err)
	}
	if r, err := ParseResolveRule("90s"); err != nil || r.After != transaction.Duration(90*time.Second) {
		t.Fatalf("90s: %+v %v", r, err)
	}
}

// runMock runs aopay-mock in process, as Run does, until ctx is done: the
// channels it returns give the URL it listens on, once it listens, and its
// exit code.
func runMock(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) (listening <-chan string, exited <-chan int) {
	urls := make(chan string, 1)
	codes := make(chan int, 1)
	go func() {
		codes <- ExitCode(run(ctx, args, getenv, stdout, stderr, func(url string) { urls <- url }), stderr)
	}()
	return urls, codes
}

// waitForURL waits until the in-process server listens, and returns its
// URL; out is its log, for the failure message.
func waitForURL(t *testing.T, listening <-chan string, exited <-chan int, out fmt.Stringer) string {
	t.Helper()
	select {
	case url := <-listening:
		return url
	case code := <-exited:
		t.Fatalf("server exited with %d before listening: %s", code, out)
	case <-time.After(testutil.StartTimeout):
		t.Fatalf("server not listening after %v: %s", testutil.StartTimeout, out)
	}
	return ""
}

func TestRunServesAndShutsDown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testutil.SyncBuffer
	listening, exited := runMock(ctx, []string{"--addr", "127.0.0.1:0", "--log-format", "text"}, envOf(map[string]string{"AOPAY_MOCK_LOG_LEVEL": "info"}), &out, io.Discard)
	url := waitForURL(t, listening, exited, &out)
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
	if !strings.Contains(out.String(), "msg=request") || !strings.Contains(out.String(), "referenceid=12345678") || !strings.Contains(out.String(), "dialect=page") {
		t.Fatalf("no request log: %s", out.String())
	}
}

func TestLogLevelWarnSilencesRequestLogs(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testutil.SyncBuffer
	listening, exited := runMock(ctx, []string{"--addr", "127.0.0.1:0", "--log-level", "warn", "--log-format", "json"}, envOf(nil), &out, io.Discard)
	url := waitForURL(t, listening, exited, &out)
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
	// A normal start and stop is no warning.
	if log := out.String(); log != "" {
		t.Fatalf("start, an enquiry and stop logged at warn level: %s", log)
	}
}

// TestStartUpIsLoggedAtInfo: the start-up line, which scripts read the
// address from, is logged at INFO: it reports nothing wrong.
func TestStartUpIsLoggedAtInfo(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var out testutil.SyncBuffer
	listening, exited := runMock(ctx, []string{"--addr", "127.0.0.1:0", "--log-format", "json"}, envOf(nil), &out, io.Discard)
	url := waitForURL(t, listening, exited, &out)
	cancel()
	if code := <-exited; code != 0 {
		t.Fatalf("exit %d", code)
	}
	log := out.String()
	if got := testutil.ListeningURL(log); got != url {
		t.Fatalf("log names %q, the server listens on %q: %s", got, url, log)
	}
	for _, msg := range []string{"aopay-mock listening", "aopay-mock shutting down"} {
		if !strings.Contains(log, `"level":"INFO","msg":"`+msg+`"`) {
			t.Errorf("%q is not logged at INFO: %s", msg, log)
		}
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
		_, cfg, err := configOf(t, tt.args, tt.env)
		if err != nil || cfg.JournalBytes != tt.want {
			t.Errorf("%s: JournalBytes %d, %v; want %d", tt.name, cfg.JournalBytes, err, tt.want)
		}
	}
}

// configOf is the options and server configuration args and env make,
// failing the test when the flags themselves are refused.
func configOf(t *testing.T, args []string, env map[string]string) (options, mockserver.Config, error) {
	t.Helper()
	o, err := parseFlags(args, envOf(env), io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := o.config(nil)
	return o, cfg, err
}
