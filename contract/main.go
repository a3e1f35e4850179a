package contract

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
)

// Exit codes of aopay-contract.
const (
	// ExitPassed: every spec that ran passed.
	ExitPassed = 0
	// ExitFailed: the endpoint broke the contract (a spec failed), or the run
	// ran out of time.
	ExitFailed = 1
	// ExitUsage: bad flags or variables, or no spec selected.
	ExitUsage = 2
	// ExitPreflight: the target cannot be checked as it stands (unreachable,
	// not answering in time or in the envelope, refusing the partner; a mock
	// refusing the admin token, with a moved clock or fault rules in the way).
	ExitPreflight = 3
)

// EnvPrefix prefixes the environment variable of every setting of
// aopay-contract: --base-url is AOPAY_CONTRACT_BASE_URL.
const EnvPrefix = framework.EnvPrefix

// Command is what aopay-contract needs from its process.
type Command struct {
	Stdout, Stderr io.Writer
	Getenv         func(string) string
	// StartMock serves the sandbox's mock in-process for --target mock
	// without --base-url, and returns its base URL and how to stop it; nil
	// makes --base-url required.
	StartMock func() (baseURL string, stop func(), err error)
}

// Main runs aopay-contract with args: it reads args over the environment
// over the defaults, runs the suite and returns the exit code (ExitPassed,
// ExitFailed, ExitUsage or ExitPreflight). The suite's report goes to
// standard output.
func (c Command) Main(args []string) int {
	cfg := framework.DefaultConfig()
	fs := flag.NewFlagSet("aopay-contract", flag.ContinueOnError)
	fs.SetOutput(c.Stderr)
	cfg.RegisterFlags(fs)
	version := fs.Bool("version", false, "print the version and exit")
	fs.Usage = func() { usage(fs, c.Stderr) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return ExitPassed
		}
		return ExitUsage
	}
	if *version {
		fmt.Fprintln(c.Stdout, buildinfo.String())
		return ExitPassed
	}
	if fs.NArg() > 0 {
		return c.usageError(fmt.Errorf("unexpected argument %q", fs.Arg(0)))
	}
	if err := cfg.LoadEnv(fs, c.Getenv); err != nil {
		return c.usageError(err)
	}
	if err := cfg.Validate(); err != nil {
		return c.usageError(err)
	}
	if cfg.BaseURL == "" {
		if c.StartMock == nil {
			return c.usageError(errors.New("--base-url is required"))
		}
		url, stop, err := c.StartMock()
		if err != nil {
			fmt.Fprintf(c.Stderr, "aopay-contract: %v\n", err)
			return ExitPreflight
		}
		defer stop()
		cfg.BaseURL = url
	}
	var t runOutcome
	out := Run(&t, cfg)
	for _, err := range []error{out.Unusable, out.Preflight} {
		if err != nil {
			fmt.Fprintf(c.Stderr, "aopay-contract: %v\n", err)
		}
	}
	return out.ExitCode()
}

func (c Command) usageError(err error) int {
	fmt.Fprintf(c.Stderr, "aopay-contract: %v\n", err)
	return ExitUsage
}

// runOutcome stands for testing.T when the suite runs outside `go test`.
type runOutcome struct{ failed bool }

func (o *runOutcome) Fail() { o.failed = true }

func usage(fs *flag.FlagSet, out io.Writer) {
	fmt.Fprintf(out, `Usage: aopay-contract [flags]

Checks an AOPay RechargeStatus endpoint, the real provider or the sandbox's
mock, against openapi.yaml and the invariants of its answers.

  aopay-contract                                    # an in-process mock
  aopay-contract --base-url http://127.0.0.1:8080 --reset   # a running aopay-mock
  aopay-contract --target real --base-url https://api.aopay.co.in \
      --registration-id AOP-554 --reference 12345678 --junit-report junit.xml

Exit codes: %d every spec that ran passed; %d the contract is broken (or the
run timed out); %d bad usage, no spec selected among them; %d the target
cannot be checked (preflight).

Flags (each also read from its environment variable):
`, ExitPassed, ExitFailed, ExitUsage, ExitPreflight)
	fs.VisitAll(func(f *flag.Flag) {
		env := ""
		if f.Name != "version" {
			env = " (" + framework.EnvName(f.Name) + ")"
		}
		def := ""
		if f.DefValue != "" && f.DefValue != "false" && f.DefValue != "0" {
			def = fmt.Sprintf(", default %s", f.DefValue)
		}
		fmt.Fprintf(out, "  --%s%s%s\n      %s\n", f.Name, env, def, f.Usage)
	})
	fmt.Fprintf(out, "\nFrom the environment only (values never shown):\n")
	for _, v := range [][2]string{
		{framework.EnvSecretHeader, "'Name: value' headers added to every request, one per line"},
		{framework.EnvAuthorisedKey, "sent as the Authorisedkey header"},
		{framework.EnvAdminToken, "the mock's --admin-token"},
		{framework.EnvSecureKey, "key of the mock's AOP-SECURE registration"},
		{framework.EnvTokenKey, "former name of " + framework.EnvName("partner-key")},
		{"NO_COLOR", "no colours, as --no-color"},
	} {
		fmt.Fprintf(out, "  %-31s%s\n", v[0], v[1])
	}
}
