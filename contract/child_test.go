package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// The self-tests run the whole suite in a child process, as the
// aopay-contract command, since Ginkgo runs one suite per process.

// runMainEnv makes the test binary run the command instead of the tests.
const runMainEnv = "AOPAY_CONTRACT_SELF_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		cmd := contract.Command{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, StartMock: serveMock}
		os.Exit(cmd.Main(os.Args[1:]))
	}
	testutil.Main(m)
}

// child is the program a run of the suite executes.
type child struct {
	path string
	env  []string
}

// racedChild is this test binary run as aopay-contract: with the race
// detector when the tests have it. Runs against hostile endpoints and
// broken ones that cut exchanges off midway use it, since they take the
// suite's paths of failed exchanges, timeouts and interrupted runs, which
// the in-process TestContract does not.
func racedChild() child {
	return child{path: os.Args[0], env: []string{runMainEnv + "=1"}}
}

// commandChild is the aopay-contract command built without the race
// detector, for runs whose subject is the verdict the command gives of an
// endpoint: they pass the mock, or catch one broken promise of it. A raced
// binary starts and runs the suite several times slower. The code they run
// is raced in process: the suite against the mock by TestContract, its
// failures and reports by the runs of racedChild, the command's flags and
// exit codes by package framework and cmd/aopay-contract.
func commandChild(t *testing.T) child {
	t.Helper()
	skipShort(t)
	return child{path: testutil.BuildBinaryWithoutRace(t, "github.com/aopay-sandbox/rechargestatus/cmd/aopay-contract")}
}

// run is how a child run of the suite ended.
type run struct {
	code   int
	output string
	report types.Report
}

// runSuite runs the suite as aopay-contract with args and env added to an
// environment without AOPAY_CONTRACT_* variables of its own, and reads its
// JSON report.
func runSuite(t *testing.T, c child, env []string, args ...string) run {
	t.Helper()
	reportFile := filepath.Join(t.TempDir(), "report.json")
	r := runCommand(t, c, env, append([]string{"--json-report=" + reportFile}, args...)...)
	raw, err := os.ReadFile(reportFile)
	if err != nil {
		return r
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("report %s: %v", reportFile, err)
	}
	r.report = reports[0]
	return r
}

// runCommand runs the suite as aopay-contract, without a report. The quick
// loop of -short leaves the runs out.
func runCommand(t *testing.T, c child, env []string, args ...string) run {
	t.Helper()
	skipShort(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, c.path, append([]string{"--no-color"}, args...)...)
	cmd.Env = slices.Clone(c.env)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, framework.EnvPrefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	r := run{}
	var exit *exec.ExitError
	switch err := cmd.Run(); {
	case errors.As(err, &exit):
		r.code = exit.ExitCode()
	case err != nil:
		t.Fatalf("run the suite: %v", err)
	}
	r.output = out.String()
	return r
}

// skipShort leaves the runs out of the quick loop of -short.
func skipShort(t *testing.T) {
	t.Helper()
	if testing.Short() {
		t.Skip("runs the whole suite in a process of its own")
	}
}

// summaryLine is the count the suite prints after its last spec.
var summaryLine = regexp.MustCompile(`Ran (\d+) of (\d+) specs on target \w+ at \S+: (\d+) passed, (\d+) failed\.`)

// counts reads the summary line of the output: specs that ran, of all,
// passed and failed; ok is false when there is none.
func (r run) counts() (ran, total, passed, failed int, ok bool) {
	m := summaryLine.FindStringSubmatch(r.output)
	if m == nil {
		return 0, 0, 0, 0, false
	}
	n := make([]int, 4)
	for i := range n {
		n[i], _ = strconv.Atoi(m[i+1])
	}
	return n[0], n[1], n[2], n[3], true
}

// specs counts the report's specs (It nodes) in state.
func (r run) specs(state types.SpecState) int {
	n := 0
	for _, s := range r.report.SpecReports {
		if s.LeafNodeType == types.NodeTypeIt && s.State.Is(state) {
			n++
		}
	}
	return n
}

// failures lists the failed specs and the first line of their failure.
func (r run) failures() string {
	var b strings.Builder
	for _, s := range r.report.SpecReports {
		if s.State.Is(types.SpecStateFailureStates) {
			msg, _, _ := strings.Cut(s.Failure.Message, "\n")
			fmt.Fprintf(&b, "  FAILED %s: %s\n", s.FullText(), msg)
		}
	}
	return b.String()
}

// caught is a broken promise the suite must report: every spec whose full
// text holds spec and that ran fails, and one of them says message.
type caught struct {
	spec, message string
}

func (r run) expectCaught(t *testing.T, c caught) {
	t.Helper()
	matched, said := 0, false
	for _, s := range r.report.SpecReports {
		if !strings.Contains(s.FullText(), c.spec) || s.State.Is(types.SpecStateSkipped) {
			continue
		}
		matched++
		if !s.State.Is(types.SpecStateFailureStates) {
			t.Errorf("spec %q %s, it should have failed", s.FullText(), s.State)
			continue
		}
		if strings.Contains(s.Failure.Message, c.message) {
			said = true
		}
	}
	switch {
	case matched == 0:
		t.Errorf("no spec ran whose text holds %q", c.spec)
	case !said:
		t.Errorf("no spec %q says %q; failures:\n%s", c.spec, c.message, r.failures())
	}
}
