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
// runs it, against aopay-mock run as the image runs it, and reads the JUnit
// report it writes. The mock workflow's arguments differ by --json-report
// alone, which TestWorkflowAgainstTheMock holds to aopay-contract's flags.
func TestSuiteRunsAgainstTheImageMock(t *testing.T) {
	t.Parallel()
	b := binaries(t)
	mock := startMock(t, b.mock, envList(os.Environ(), imageEnv(t, loadDockerfile(t), t.TempDir())))

	args := slices.Clone(loadCompose(t).Services["contract"].Command)
	report := ""
	for i := 0; i+1 < len(args); i++ {
		switch args[i] {
		case "--base-url":
			args[i+1] = mock.URL
		case "--junit-report":
			report = filepath.Join(t.TempDir(), filepath.Base(args[i+1]))
			args[i+1] = report
		}
	}
	if report == "" {
		t.Fatal("docker-compose.yml's contract service writes no --junit-report")
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
}
