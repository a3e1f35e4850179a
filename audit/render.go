package audit

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText writes r for a person: each finding with its evidence, advice
// and basis, then a count by severity.
func WriteText(w io.Writer, r Report) error {
	var b strings.Builder
	th := r.Thresholds
	fmt.Fprintf(&b, "Audit of %d exchange(s) of %d transaction(s), sandbox clock %s\n", r.Exchanges, r.Transactions, r.Now.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "Thresholds: minPollInterval %s, backoffRetries %d, backoffGrowth %g, maxAuthAttempts %d, giveUpAfter %s\n",
		th.MinPollInterval, th.BackoffRetries, th.BackoffGrowth, th.MaxAuthAttempts, th.GiveUpAfter)
	counts := map[Severity]int{}
	for _, f := range r.Findings {
		counts[f.Severity]++
		rule, _ := RuleOf(f.Rule)
		fmt.Fprintf(&b, "\n%s %s %s/%s: %s\n", strings.ToUpper(string(f.Severity)), f.Rule, f.RegistrationID, f.ReferenceID, f.Message)
		for _, e := range f.Evidence {
			fmt.Fprintf(&b, "  #%-6d %s  %3d %-12s %s\n", e.ID, e.Started.UTC().Format("2006-01-02T15:04:05.000Z"), e.Status, e.Answer, e.Note)
		}
		if more := f.Occurrences; len(f.Evidence) == MaxEvidence && more > 1 {
			fmt.Fprintf(&b, "  (evidence of the first occurrences of %d)\n", more)
		}
		fmt.Fprintf(&b, "  advice: %s\n  basis:  %s\n", f.Advice, rule.Basis)
	}
	fmt.Fprintf(&b, "\n%d finding(s): %d error, %d warning, %d info\n", len(r.Findings), counts[Error], counts[Warning], counts[Info])
	_, err := io.WriteString(w, b.String())
	return err
}

// junitSuite is the JUnit XML CI servers read: one test case per rule.
type junitSuite struct {
	XMLName  xml.Name    `xml:"testsuite"`
	Name     string      `xml:"name,attr"`
	Tests    int         `xml:"tests,attr"`
	Failures int         `xml:"failures,attr"`
	Cases    []junitCase `xml:"testcase"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	ClassName string        `xml:"classname,attr"`
	Failure   *junitFailure `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitFailure struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr"`
	Text    string `xml:",chardata"`
}

// WriteJUnit writes r as a JUnit test suite, one case per rule: a rule
// fails with its findings at least as severe as failOn that no waiver lets
// pass; the others are listed as its output.
func WriteJUnit(w io.Writer, r Report, failOn Severity, waivers ...Waiver) error {
	failing := map[RuleID][]Finding{}
	for _, f := range r.Failing(failOn, waivers...) {
		failing[f.Rule] = append(failing[f.Rule], f)
	}
	suite := junitSuite{Name: "aopay-audit"}
	for _, rule := range r.Rules {
		c := junitCase{Name: string(rule.ID), ClassName: "audit"}
		var out strings.Builder
		for _, f := range r.Findings {
			if f.Rule == rule.ID {
				fmt.Fprintln(&out, f.String())
			}
		}
		if fs := failing[rule.ID]; len(fs) > 0 {
			suite.Failures++
			c.Failure = &junitFailure{
				Message: fmt.Sprintf("%d transaction(s): %s", len(fs), rule.Advice),
				Type:    string(rule.Severity),
				Text:    out.String() + "basis: " + rule.Basis,
			}
		} else {
			c.SystemOut = out.String()
		}
		suite.Cases = append(suite.Cases, c)
	}
	suite.Tests = len(suite.Cases)
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(suite); err != nil {
		return err
	}
	_, err := io.WriteString(w, "\n")
	return err
}
