// Package contract is the contract suite of AOPay's RechargeStatus endpoint: a
// Ginkgo v2 and Gomega suite that tells whether an endpoint, the real
// provider or the sandbox's mock, honours openapi.yaml and the invariants of
// package conformance. Each Describe is a capability of the endpoint, each It
// one behaviour; labels say which targets a spec needs (package framework
// names them). Run runs the suite from `go test`, Main from the
// aopay-contract command.
package contract

import (
	"errors"
	"fmt"
	"os"

	"github.com/onsi/ginkgo/v2"
	"github.com/onsi/ginkgo/v2/types"
	"github.com/onsi/gomega"

	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
)

// SuiteName names the suite in reports.
const SuiteName = "AOPay RechargeStatus contract"

// Outcome is how a run ended.
type Outcome struct {
	// Passed is true when every spec that ran passed and at least one ran.
	Passed bool
	// Summary counts the specs that ran and says why others did not.
	Summary framework.Summary
	// Unusable is why the run did not start: bad settings, or no spec
	// selected.
	Unusable error
	// Preflight is why the run stopped before its first spec.
	Preflight error
}

// Run runs the contract suite under t as cfg says: cfg must name the
// endpoint's base URL. Ginkgo runs one suite per process, so Run may be
// called once; its report goes to standard output, and to the report files
// cfg names. Ginkgo's own flags (-ginkgo.focus, -ginkgo.v...) still apply.
// A run that cannot start fails t and says why in Outcome.Unusable.
func Run(t ginkgo.GinkgoTestingT, cfg framework.Config) Outcome {
	out := Outcome{}
	if err := cfg.Validate(); err != nil {
		out.Unusable = err
		return fail(t, out)
	}
	doc, err := conformance.LoadSpec("")
	if err != nil {
		out.Unusable = err
		return fail(t, out)
	}
	s, err := framework.NewSuite(cfg, doc, ginkgo.GinkgoWriter)
	if err != nil {
		out.Unusable = err
		return fail(t, out)
	}
	gomega.RegisterFailHandler(ginkgo.Fail)
	defineSuite(s, &out)
	suiteConfig, reporterConfig := configure(cfg)
	description := fmt.Sprintf("%s (target %s at %s)", SuiteName, cfg.Target, s.Client.Redactor().URL(cfg.BaseURL))

	preview := ginkgo.PreviewSpecs(description, suiteConfig, reporterConfig)
	if selected := framework.Summarize(preview, cfg, s.Client.Redactor()); selected.Ran == 0 {
		out.Unusable = fmt.Errorf("no spec selected: %s", noneSelected(selected))
		return fail(t, out)
	}
	out.Passed = ginkgo.RunSpecs(t, description, suiteConfig, reporterConfig) && out.Summary.Ran > 0
	return out
}

// defineSuite builds the spec tree of s: the preflight, every capability's
// specs, and the summary and reports after the last spec.
func defineSuite(s *framework.Suite, out *Outcome) {
	ginkgo.SynchronizedBeforeSuite(func(ctx ginkgo.SpecContext) []byte {
		if !s.Config.Preflight {
			return nil
		}
		if err := framework.Preflight(ctx, s); err != nil {
			out.Preflight = err
			ginkgo.AbortSuite(err.Error())
		}
		return nil
	}, func([]byte) {})
	describeKnownTransactions(s)
	describeUnknownTransaction(s)
	describeUnknownPartner(s)
	describeMalformedRequests(s)
	describeTokens(s)
	describeAuthenticationConventions(s)
	describeFixtureExamples(s)
	describeLifecycle(s)
	describeFinalConventions(s)
	describeHeaderFaultAnswers(s)
	describeHeaderFaultBreaks(s)
	describeFaultRules(s)
	describeAdminScenarios(s)
	describeAdminClock(s)
	describeAdminReplacements(s)
	describeAdminViews(s)
	ginkgo.ReportAfterSuite("summary and reports", func(report ginkgo.Report) {
		if report.SuiteConfig.DryRun {
			return
		}
		out.Summary = framework.Summarize(report, s.Config, s.Client.Redactor())
		fmt.Fprintf(os.Stdout, "\n%s\n", out.Summary)
		if err := framework.WriteReports(report, s.Config); err != nil {
			ginkgo.Fail(err.Error())
		}
	})
}

// configure turns cfg into Ginkgo's settings, on top of Ginkgo's own flags.
func configure(cfg framework.Config) (types.SuiteConfig, types.ReporterConfig) {
	suiteConfig, reporterConfig := ginkgo.GinkgoConfiguration()
	if filter := cfg.EffectiveLabelFilter(); filter != "" {
		if suiteConfig.LabelFilter != "" {
			filter = "(" + suiteConfig.LabelFilter + ") && " + filter
		}
		suiteConfig.LabelFilter = filter
	}
	if cfg.Focus != "" {
		suiteConfig.FocusStrings = append(suiteConfig.FocusStrings, cfg.Focus)
	}
	suiteConfig.Timeout = cfg.SuiteTimeout
	if cfg.Verbose && !reporterConfig.VeryVerbose {
		reporterConfig.Verbose = true
		reporterConfig.Succinct = false
	}
	if cfg.NoColor || !isTerminal(os.Stdout) {
		reporterConfig.NoColor = true
	}
	return suiteConfig, reporterConfig
}

func noneSelected(sum framework.Summary) string {
	if len(sum.Skipped) == 0 {
		return "the suite has no spec"
	}
	reason := fmt.Sprintf("of %d specs,", sum.Total)
	for _, skip := range sum.Skipped {
		reason += fmt.Sprintf(" %d %s;", skip.Count, skip.Reason)
	}
	return reason[:len(reason)-1]
}

func fail(t ginkgo.GinkgoTestingT, out Outcome) Outcome {
	t.Fail()
	return out
}

// isTerminal reports whether f is a terminal, where colours belong.
func isTerminal(f *os.File) bool {
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

// ExitCode is the exit code of an aopay-contract run that ended as out.
func (out Outcome) ExitCode() int {
	switch {
	case out.Unusable != nil:
		return ExitUsage
	case errors.As(out.Preflight, new(*framework.PreflightError)):
		return ExitPreflight
	case !out.Passed:
		return ExitFailed
	}
	return ExitPassed
}
