package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// runMainEnv makes the test binary run main instead of the tests, so that
// each test runs the command as a process of its own: the suite runs once
// per process.
const runMainEnv = "RUN_AOPAY_CONTRACT_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

// command runs aopay-contract with args and env, and returns its exit code
// and output.
func command(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the command in a process of its own")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = []string{runMainEnv + "=1"}
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, framework.EnvPrefix) && !strings.HasPrefix(kv, "NO_COLOR=") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0, stdout.String(), stderr.String()
	case errors.As(err, &exit):
		return exit.ExitCode(), stdout.String(), stderr.String()
	}
	t.Fatalf("run aopay-contract: %v", err)
	return 0, "", ""
}

type junit struct {
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) (junit, string) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no JUnit report: %v", err)
	}
	var j junit
	if err := xml.Unmarshal(raw, &j); err != nil {
		t.Fatalf("JUnit report: %v", err)
	}
	return j, string(raw)
}

// TestUsage runs the command in the test's process where it stops before
// the suite, and in a process of its own where it builds the suite.
func TestUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		env        map[string]string
		args       []string
		code       int
		stdout     string
		stderrHave string
	}{
		{"version", nil, []string{"--version"}, contract.ExitPassed, buildinfo.String() + "\n", ""},
		{"help", nil, []string{"--help"}, contract.ExitPassed, "", "Exit codes: 0 every spec that ran passed; 1 the contract is broken"},
		{"help says the answer header bound", nil, []string{"--help"}, contract.ExitPassed, "", fmt.Sprintf("its header is bounded at %d bytes", framework.MaxAnswerHeaderBytes)},
		{"unknown flag", nil, []string{"--colour"}, contract.ExitUsage, "", "flag provided but not defined"},
		{"argument", nil, []string{"extra"}, contract.ExitUsage, "", `unexpected argument "extra"`},
		{"real target from the environment without a URL", map[string]string{"AOPAY_CONTRACT_TARGET": "real", "AOPAY_CONTRACT_REFERENCE": "12345678"}, nil, contract.ExitUsage, "", "needs --base-url"},
		{"a bad header", nil, []string{"--header", "X-Api-Key s3cret"}, contract.ExitUsage, "", "--header: want 'Name: value'"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var stdout, stderr bytes.Buffer
			cmd := contract.Command{Stdout: &stdout, Stderr: &stderr, Getenv: func(k string) string { return tc.env[k] }}
			if code := cmd.Main(tc.args); code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout.String(), stderr.String())
			}
			if tc.stdout != "" && stdout.String() != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.stdout)
			}
			if !strings.Contains(stderr.String(), tc.stderrHave) || strings.Contains(stderr.String(), "s3cret") {
				t.Errorf("stderr lacks %q, or shows a header's value:\n%s", tc.stderrHave, stderr.String())
			}
		})
	}
}

func TestNoSpecSelectedIsBadUsage(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := command(t, nil, "--base-url=http://127.0.0.1:1", "--label-filter=nosuchlabel")
	if want := "no spec selected: of 146 specs, 146 not selected by --label-filter or --focus"; code != contract.ExitUsage || !strings.Contains(stderr, want) {
		t.Errorf("exit %d, want %d saying %q\nstdout: %s\nstderr: %s", code, contract.ExitUsage, want, stdout, stderr)
	}
}

func TestPassesAgainstTheInProcessMock(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "junit.xml")
	// The fixtures' specs need the mock's own transactions: only the
	// in-process mock passes them.
	code, stdout, stderr := command(t, []string{"AOPAY_CONTRACT_JUNIT_REPORT=" + report}, "--label-filter=fixtures")
	if code != contract.ExitPassed {
		t.Fatalf("exit %d against the mock\n%s\n%s", code, stdout, stderr)
	}
	j, _ := readJUnit(t, report)
	if j.Tests < 146 || j.Failures != 0 || len(j.Suites) != 1 {
		t.Errorf("report: %d tests, %d failures, %d suites", j.Tests, j.Failures, len(j.Suites))
	}
	for _, want := range []string{"SUCCESS!", "Ran 14 of 146 specs on target mock at http://127.0.0.1:"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("the output lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "\x1b[") {
		t.Errorf("colours in an output that is not a terminal:\n%q", stdout[:200])
	}
}

func TestPreflightStopsAnUnreachableTarget(t *testing.T) {
	t.Parallel()
	closed := "http://" + testutil.RefusedAddr(t)
	code, stdout, stderr := command(t, nil, "--base-url", closed)
	if code != contract.ExitPreflight {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, contract.ExitPreflight, stdout, stderr)
	}
	if want := "aopay-contract: preflight: cannot use the mock's admin API at " + closed; !strings.Contains(stderr, want) || !strings.Contains(stderr, "connection refused") {
		t.Errorf("stderr lacks %q and the cause:\n%s", want, stderr)
	}
}

// TestFailsAgainstABrokenEndpointWithoutShowingSecrets runs against an
// endpoint that answers every enquiry HTTP 500, echoing every header it got,
// and checks that no secret given shows in the output or the reports.
func TestFailsAgainstABrokenEndpointWithoutShowingSecrets(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		var echo []string
		for name, values := range r.Header {
			echo = append(echo, name+"="+strings.Join(values, ","))
		}
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Echo", strings.Join(echo, ";"))
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = io.WriteString(w, `{"status":false,"response_code":5,"message":"Unable to process request","remarks":"`+strings.Join(echo, ";")+`"}`)
	}))
	defer srv.Close()
	dir := t.TempDir()
	junitFile, jsonFile := filepath.Join(dir, "junit.xml"), filepath.Join(dir, "report.json")
	secrets := []string{"team-payments-7", "s3cret-api-key", "s3cret-authorised", "s3cret-partner-key"}
	env := []string{
		framework.EnvSecretHeader + "=X-Api-Key: s3cret-api-key",
		framework.EnvAuthorisedKey + "=s3cret-authorised",
		framework.EnvName("partner-key") + "=s3cret-partner-key",
	}
	code, stdout, stderr := command(t, env, "--target", "real", "--base-url", srv.URL, "--reference", "12345678", "--rps", "1000",
		"--header", "X-Team: team-payments-7", "--verbose", "--junit-report", junitFile, "--json-report", jsonFile)
	if code != contract.ExitFailed {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, contract.ExitFailed, stdout, stderr)
	}
	j, junitRaw := readJUnit(t, junitFile)
	found := false
	for _, s := range j.Suites {
		for _, c := range s.Cases {
			if c.Failure != nil && strings.Contains(c.Name, "12345678") && strings.Contains(c.Failure.Text, "want HTTP 200, got 500") {
				found = true
			}
		}
	}
	if !found {
		t.Errorf("no failure of the 12345678 spec names the status in the report")
	}
	if !strings.Contains(stdout, "→ POST "+srv.URL+"/api/AOP/RechargeStatus") || !strings.Contains(stdout, "X-Api-Key: (redacted)") {
		t.Errorf("the output does not show the request with its headers redacted:\n%s", stdout)
	}
	jsonRaw, err := os.ReadFile(jsonFile)
	if err != nil {
		t.Fatal(err)
	}
	for _, secret := range secrets {
		for name, text := range map[string]string{"stdout": stdout, "stderr": stderr, "the JUnit report": junitRaw, "the JSON report": string(jsonRaw)} {
			if strings.Contains(text, secret) {
				t.Errorf("%s shows %q", name, secret)
			}
		}
	}
}
