package framework

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/ginkgo/v2/reporters"
	"github.com/onsi/ginkgo/v2/types"
)

// Summary counts the specs of a run: how many ran on the target, how they
// ended, and why the others did not run.
type Summary struct {
	Target  Target
	BaseURL string
	Total   int
	Ran     int
	Passed  int
	Failed  int
	// Skipped counts the specs that did not run, by reason, in the order
	// the reasons first came.
	Skipped []SkipCount
	// Stopped is what ended the run early, if anything did.
	Stopped string
}

// SkipCount is how many specs did not run for one reason.
type SkipCount struct {
	Reason string
	Count  int
}

// Summarize reads a run's report.
func Summarize(report types.Report, cfg Config, redactor *Redactor) Summary {
	sum := Summary{Target: cfg.Target, BaseURL: redactor.URL(cfg.BaseURL), Stopped: stoppedBy(report)}
	for _, spec := range report.SpecReports {
		if spec.LeafNodeType != types.NodeTypeIt {
			continue
		}
		sum.Total++
		switch {
		case spec.State.Is(types.SpecStatePassed):
			sum.Ran++
			sum.Passed++
		case spec.State.Is(types.SpecStateFailureStates):
			sum.Ran++
			sum.Failed++
		default:
			sum.skip(SkipReason(spec, report, cfg))
		}
	}
	return sum
}

func (s *Summary) skip(reason string) {
	for i := range s.Skipped {
		if s.Skipped[i].Reason == reason {
			s.Skipped[i].Count++
			return
		}
	}
	s.Skipped = append(s.Skipped, SkipCount{Reason: reason, Count: 1})
}

func (s Summary) String() string {
	var b strings.Builder
	if s.Total == 0 && s.Stopped != "" {
		fmt.Fprintf(&b, "No spec ran on target %s at %s: %s", s.Target, s.BaseURL, s.Stopped)
		return b.String()
	}
	fmt.Fprintf(&b, "Ran %d of %d specs on target %s at %s: %d passed, %d failed.", s.Ran, s.Total, s.Target, s.BaseURL, s.Passed, s.Failed)
	for _, skip := range s.Skipped {
		fmt.Fprintf(&b, "\n  %d did not run: %s", skip.Count, skip.Reason)
	}
	return b.String()
}

// SkipReason says why spec did not run: a label the target leaves out, the
// run stopping before it, or the filters the run was given.
func SkipReason(spec types.SpecReport, report types.Report, cfg Config) string {
	if spec.State.Is(types.SpecStatePending) {
		return "pending"
	}
	labels := spec.Labels()
	for _, e := range cfg.Exclusions() {
		if slices.Contains(labels, e.Label) {
			return fmt.Sprintf("on target %s, specs labelled %s %s", cfg.Target, e.Label, e.Reason)
		}
	}
	if stopped := stoppedBy(report); stopped != "" {
		return "the run stopped before it: " + stopped
	}
	if spec.Failure.Message != "" {
		return spec.Failure.Message
	}
	return "not selected by --label-filter or --focus"
}

// stoppedBy says what ended the run early, if anything did.
func stoppedBy(report types.Report) string {
	for _, spec := range report.SpecReports {
		if spec.LeafNodeType.Is(types.NodeTypesForSuiteLevelNodes) && spec.State.Is(types.SpecStateFailureStates) {
			msg, _, _ := strings.Cut(spec.Failure.Message, "\n")
			return msg
		}
		if spec.State.Is(types.SpecStateInterrupted | types.SpecStateTimedout | types.SpecStateAborted) {
			return fmt.Sprintf("the run was %s (--suite-timeout)", spec.State)
		}
	}
	if len(report.SpecialSuiteFailureReasons) > 0 {
		return strings.Join(report.SpecialSuiteFailureReasons, "; ")
	}
	return ""
}

// WriteReports writes the JUnit and JSON reports cfg names, each skipped
// spec carrying why it did not run.
func WriteReports(report types.Report, cfg Config) error {
	for i, spec := range report.SpecReports {
		if spec.LeafNodeType == types.NodeTypeIt && spec.State.Is(types.SpecStateSkipped) {
			report.SpecReports[i].Failure.Message = SkipReason(spec, report, cfg)
		}
	}
	var errs []error
	if cfg.JUnitReport != "" {
		if err := reporters.GenerateJUnitReport(report, cfg.JUnitReport); err != nil {
			errs = append(errs, fmt.Errorf("write the JUnit report: %w", err))
		}
	}
	if cfg.JSONReport != "" {
		if err := reporters.GenerateJSONReport(report, cfg.JSONReport); err != nil {
			errs = append(errs, fmt.Errorf("write the JSON report: %w", err))
		}
	}
	return errors.Join(errs...)
}
