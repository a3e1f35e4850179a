package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

func noEnv(string) string { return "" }

// TestAuditOfARunningSandbox: a client that polled a pending transaction
// at once is reported in text, JSON and JUnit, and the exit code follows
// --fail-on and --waive.
func TestAuditOfARunningSandbox(t *testing.T) {
	t.Parallel()
	mock := mocktest.New(t)
	for range 2 {
		res, err := http.Post(mock.EnquiryURL(), "application/json", strings.NewReader(`{"referenceid":"STUCK-1","RegistrationID":"AOP-554"}`))
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
	}
	dir := t.TempDir()
	junitPath, jsonPath := filepath.Join(dir, "audit.xml"), filepath.Join(dir, "audit.json")
	var stdout, stderr bytes.Buffer
	code := run([]string{"--base-url", mock.URL, "--junit-report", junitPath, "--json-report", jsonPath}, &stdout, &stderr, noEnv)
	if code != exitFindings || !strings.Contains(stdout.String(), "ERROR poll-too-fast AOP-554/STUCK-1") {
		t.Fatalf("exit %d, stdout:\n%s\nstderr: %s\nwant 1 and the finding", code, stdout.String(), stderr.String())
	}
	var report audit.Report
	if b, err := os.ReadFile(jsonPath); err != nil || json.Unmarshal(b, &report) != nil || len(report.Findings) != 1 || report.Findings[0].Rule != audit.PollTooFast {
		t.Errorf("JSON report %+v (%v), want the finding", report, err)
	}
	var suite struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
	}
	if b, err := os.ReadFile(junitPath); err != nil || xml.Unmarshal(b, &suite) != nil || suite.Tests != len(audit.Rules()) || suite.Failures != 1 {
		t.Errorf("JUnit report %+v (%v), want a case per rule and one failure", suite, err)
	}
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--fail-on", "error", "--waive", "poll-too-fast=STUCK-1"}, exitClean},
		{[]string{"--waive", "poll-too-fast=OTHER"}, exitFindings},
		{[]string{"--min-poll-interval", "1ns"}, exitClean},
		{[]string{"--reference", "12345678"}, exitClean},
		{[]string{"--format", "json"}, exitFindings},
		{[]string{"--fail-on", "fatal"}, exitUsage},
		{[]string{"--waive", "no-such-rule"}, exitUsage},
		{[]string{"--backoff-retries", "0"}, exitUsage},
		{[]string{"--since", "yesterday"}, exitUsage},
	} {
		stdout.Reset()
		stderr.Reset()
		if got := run(append([]string{"--base-url", mock.URL}, tc.args...), &stdout, &stderr, noEnv); got != tc.want {
			t.Errorf("%v: exit %d, want %d; stderr: %s", tc.args, got, tc.want, stderr.String())
		}
		if tc.args[0] == "--format" && !json.Valid(stdout.Bytes()) {
			t.Errorf("--format json wrote %s", stdout.String())
		}
	}
}

// TestUnreachableSandbox: a sandbox that cannot be asked is exit 3 with one
// line saying so.
func TestUnreachableSandbox(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	var stdout, stderr bytes.Buffer
	if code := run([]string{"--base-url", "http://" + addr}, &stdout, &stderr, noEnv); code != exitSandbox || strings.Count(stderr.String(), "\n") != 1 {
		t.Errorf("exit %d, stderr %q; want 3 and one line", code, stderr.String())
	}
}
