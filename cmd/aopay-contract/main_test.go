package main

import (
	"bytes"
	"context"
	"encoding/xml"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
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
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], args...)
	cmd.Env = append([]string{runMainEnv + "=1"}, env...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, contract.EnvPrefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
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
	Skipped  int `xml:"disabled,attr"`
	Suites   []struct {
		Name  string `xml:"name,attr"`
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
				Text    string `xml:",chardata"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junit {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no JUnit report: %v", err)
	}
	var j junit
	if err := xml.Unmarshal(raw, &j); err != nil {
		t.Fatalf("JUnit report: %v", err)
	}
	return j
}

func TestUsage(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name       string
		env        []string
		args       []string
		code       int
		stdout     string
		stderrHave string
	}{
		{"version", nil, []string{"--version"}, 0, buildinfo.String() + "\n", ""},
		{"help", nil, []string{"--help"}, 0, "", "AOPAY_CONTRACT_BASE_URL"},
		{"unknown target", nil, []string{"--target=prod"}, 2, "", "want mock or real"},
		{"unknown flag", nil, []string{"--colour"}, 2, "", "flag provided but not defined"},
		{"argument", nil, []string{"extra"}, 2, "", `unexpected argument "extra"`},
		{"real target from the environment without a URL", []string{"AOPAY_CONTRACT_TARGET=real", "AOPAY_CONTRACT_REFERENCE=12345678"}, nil, 2, "", "needs --base-url"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, stdout, stderr := command(t, tc.env, tc.args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout: %s\nstderr: %s", code, tc.code, stdout, stderr)
			}
			if tc.stdout != "" && stdout != tc.stdout {
				t.Errorf("stdout %q, want %q", stdout, tc.stdout)
			}
			if !strings.Contains(stderr, tc.stderrHave) {
				t.Errorf("stderr lacks %q:\n%s", tc.stderrHave, stderr)
			}
		})
	}
}

func TestPassesAgainstTheInProcessMock(t *testing.T) {
	t.Parallel()
	report := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := command(t, []string{"AOPAY_CONTRACT_JUNIT_REPORT=" + report}, "--no-color")
	if code != 0 {
		t.Fatalf("exit %d against the mock\n%s\n%s", code, stdout, stderr)
	}
	j := readJUnit(t, report)
	if j.Tests < 50 || j.Failures != 0 || len(j.Suites) != 1 {
		t.Errorf("report: %d tests, %d failures, %d suites", j.Tests, j.Failures, len(j.Suites))
	}
	if !strings.Contains(stdout, "SUCCESS!") {
		t.Errorf("no success line in the output:\n%s", stdout)
	}
}

func TestFailsAgainstABrokenEndpoint(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusInternalServerError)
		_, _ = w.Write([]byte(`{"status":false,"response_code":5,"message":"Unable to process request"}`))
	}))
	defer srv.Close()
	report := filepath.Join(t.TempDir(), "junit.xml")
	code, stdout, stderr := command(t, nil, "--target", "real", "--base-url", srv.URL, "--reference", "12345678", "--rps", "50", "--junit-report", report, "--no-color")
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s\n%s", code, stdout, stderr)
	}
	j := readJUnit(t, report)
	if j.Failures == 0 {
		t.Fatalf("no failure in the JUnit report")
	}
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
	if !strings.Contains(stdout, "POST "+srv.URL+"/api/AOP/RechargeStatus") {
		t.Errorf("the output does not show the request:\n%s", stdout)
	}
}
