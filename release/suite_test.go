package release

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSuiteRunsAgainstTheImageMock runs aopay-contract as docker-compose.yml
// and the mock workflow run it, against aopay-mock run as the image runs it,
// one after the other on the same state, and reads the JUnit report each
// writes.
func TestSuiteRunsAgainstTheImageMock(t *testing.T) {
	b := binaries(t)
	df := loadDockerfile(t)
	mockEnv := envList(os.Environ(), imageEnv(t, df, t.TempDir()))
	mock := startMock(t, b.mock, mockEnv)

	compose := loadCompose(t).Services["contract"]
	workflow := findContractRun(t, loadWorkflow(t, "contract-against-mock.yml").job())
	cases := []struct {
		name string
		args []string
	}{
		{"docker-compose.yml", compose.Command},
		{"contract-against-mock.yml", workflow.args},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			reports := t.TempDir()
			args := slices.Clone(tc.args)
			var report string
			for i := 0; i+1 < len(args); i++ {
				switch args[i] {
				case "--base-url":
					args[i+1] = mock.URL
				case "--junit-report", "--json-report":
					path := filepath.Join(reports, filepath.Base(args[i+1]))
					if args[i] == "--junit-report" {
						report = path
					}
					args[i+1] = path
				}
			}
			if report == "" {
				t.Fatalf("%s writes no --junit-report", tc.name)
			}
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AOPAY_CONTRACT_") })
			code, out := runExit(t, b.contract, append(env, "AOPAY_CONTRACT_NO_COLOR=true"), args...)
			if code != 0 {
				t.Fatalf("aopay-contract %q: exit %d, want 0\n%s", args, code, out)
			}
			data, err := os.ReadFile(report)
			if err != nil {
				t.Fatalf("no JUnit report: %v", err)
			}
			var suites struct {
				XMLName  xml.Name `xml:"testsuites"`
				Tests    int      `xml:"tests,attr"`
				Failures int      `xml:"failures,attr"`
				Errors   int      `xml:"errors,attr"`
			}
			if err := xml.Unmarshal(data, &suites); err != nil {
				t.Fatalf("JUnit report: %v", err)
			}
			if suites.Tests == 0 || suites.Failures != 0 || suites.Errors != 0 {
				t.Errorf("JUnit report: %d tests, %d failures, %d errors; want tests and no failure", suites.Tests, suites.Failures, suites.Errors)
			}
		})
	}
}
