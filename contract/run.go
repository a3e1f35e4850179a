package contract

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http/httptest"
	"os"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// SuiteName names the suite in reports.
const SuiteName = "AOPay RechargeStatus contract"

var defineOnce sync.Once

// RunSuite runs the contract suite under t as cfg says, and reports whether
// every spec passed. Ginkgo runs one suite per process, so RunSuite may be
// called once; its report goes to standard output, and to the report files
// cfg names. Ginkgo's own flags (-ginkgo.focus, -ginkgo.v...) still apply.
func RunSuite(t ginkgo.GinkgoTestingT, cfg Config) bool {
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", SuiteName, err)
		t.Fail()
		return false
	}
	doc, err := rechargestatus.LoadSpec("")
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", SuiteName, err)
		t.Fail()
		return false
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	defineOnce.Do(func() { defineSpecs(cfg, doc) })

	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	if filter := cfg.EffectiveLabelFilter(); filter != "" {
		if suiteConfig.LabelFilter != "" {
			filter = "(" + suiteConfig.LabelFilter + ") && " + filter
		}
		suiteConfig.LabelFilter = filter
	}
	if cfg.JUnitReport != "" {
		reporterConfig.JUnitReport = cfg.JUnitReport
	}
	if cfg.JSONReport != "" {
		reporterConfig.JSONReport = cfg.JSONReport
	}
	if cfg.Verbose && !reporterConfig.VeryVerbose {
		reporterConfig.Verbose = true
		reporterConfig.Succinct = false
	}
	if cfg.NoColor {
		reporterConfig.NoColor = true
	}
	where := cfg.BaseURL
	if where == "" {
		where = "an in-process mock"
	}
	return ginkgo.RunSpecs(t, fmt.Sprintf("%s (target %s, %s)", SuiteName, cfg.Target, where), suiteConfig, reporterConfig)
}

// defineSpecs builds the spec tree for cfg; Ginkgo runs it once RunSpecs is
// called.
func defineSpecs(cfg Config, doc *openapi3.T) {
	ginkgo.BeforeSuite(func() { setUpRun(cfg, doc) })
	describeKnownTransactions(cfg)
	describeUnknownTransaction()
	describeFixtureExamples(doc)
	describeLifecycle()
	describeAuthentication()
	describeMalformedRequests(doc)
	describeHeaderFaults()
	describeFaultRules()
	describeAdminScenarios()
}

// startMock serves the sandbox's mock with its built-in fixtures on a loopback
// port, with the mock's own timeouts.
func startMock() (baseURL string, stop func(), err error) {
	srv, err := mockserver.New(mockserver.Config{Seed: 1})
	if err != nil {
		return "", nil, fmt.Errorf("start the in-process mock: %w", err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config = mockserver.HTTPServer("", srv)
	ts.Start()
	return ts.URL, func() {
		ts.CloseClientConnections()
		ts.Close()
	}, nil
}

// Main is the aopay-contract command: it reads args over the environment over
// the defaults, runs the suite, and returns the exit code: 0 only when every
// spec passed, 1 when one did not, 2 for bad usage. The suite's report goes to
// standard output.
func Main(args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("aopay-contract", flag.ContinueOnError)
	fs.SetOutput(stderr)
	cfg.RegisterFlags(fs)
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { usage(fs, stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *version {
		fmt.Fprintln(stdout, buildinfo.String())
		return 0
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "aopay-contract: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if err := cfg.LoadEnv(fs, getenv); err != nil {
		fmt.Fprintf(stderr, "aopay-contract: %v\n", err)
		return 2
	}
	if err := cfg.Validate(); err != nil {
		fmt.Fprintf(stderr, "aopay-contract: %v\n", err)
		return 2
	}
	var t runOutcome
	if !RunSuite(&t, cfg) || t.failed {
		return 1
	}
	return 0
}

// runOutcome stands for testing.T when the suite runs outside `go test`.
type runOutcome struct{ failed bool }

func (o *runOutcome) Fail() { o.failed = true }

func usage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintf(out, `Usage: aopay-contract [flags]

Checks an AOPay RechargeStatus endpoint, the real provider or the sandbox's
mock, against openapi.yaml and the invariants of its answers. Exits 0 only when
every spec passed.

  aopay-contract                                    # an in-process mock
  aopay-contract --base-url http://127.0.0.1:8080   # a running aopay-mock
  aopay-contract --target real --base-url https://api.aopay.co.in \
      --registration-id AOP-554 --reference 12345678 --junit-report junit.xml

Flags (each also read from its environment variable):
`)
	fs.VisitAll(func(f *flag.Flag) {
		env := ""
		if f.Name != "version" {
			env = " (" + EnvName(f.Name) + ")"
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(", default %s", f.DefValue)
		}
		fmt.Fprintf(out, "  --%s%s%s\n      %s\n", f.Name, env, def, f.Usage)
	})
	fmt.Fprintf(out, "\nFrom the environment only:\n%s", strings.Join([]string{
		"  " + EnvTokenKey + "      HS256 key signing a Token header on every enquiry",
		"  " + EnvPartnerID + "     the token's partnerId (default: --registration-id)",
		"  " + EnvAuthorisedKey + " sent as the Authorisedkey header",
		"  " + EnvAdminToken + "    the mock's --admin-token",
		"  " + EnvSecureKey + "     key of the mock's AOP-SECURE registration",
	}, "\n")+"\n")
}
