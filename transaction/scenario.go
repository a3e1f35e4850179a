package transaction

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Scenario is what an unknown referenceid answers when its transaction is
// made on first enquiry. A client developer needs no setup at all: a prefix
// of the referenceid picks it, and where the referenceids cannot carry one
// (UUIDs, a partner's own format) a request's X-Mock-Scenario header or a
// pattern rule of the fixtures names it by its Keyword.
type Scenario struct {
	// Keyword names the scenario in an X-Mock-Scenario header and a
	// pattern rule, such as pending or authfail.
	Keyword string
	// Prefix is matched case-insensitively at the start of the referenceid.
	Prefix string
	// Name is what the transaction, the journal and the metrics call the
	// scenario, such as pending-success.
	Name string
	// Summary says what the enquiries answer, for docs and listings.
	Summary string
	// State is the initial state; empty when no transaction is made.
	State State
	// Resolve is where a pending transaction goes by the default rule.
	Resolve State
	// RefundAfterFailure chains a refund after the transaction fails.
	RefundAfterFailure bool
	// Stuck keeps a pending transaction pending until told otherwise.
	Stuck bool
	// NotFound answers "No Transaction found" and makes nothing.
	NotFound bool
	// AuthMessage answers an authentication failure with this message and
	// makes nothing.
	AuthMessage string
	// TokenRejected words that failure as the JWT decoder's refusal of the
	// Token, which a dialect may answer apart (Error.TokenRejected).
	TokenRejected bool
}

// Resolves reports whether a transaction of the scenario leaves pending by
// a rule, which a ChosenScenario may set.
func (s Scenario) Resolves() bool { return s.State == StatePending && !s.Stuck }

// Scenarios are the scenarios with a referenceid prefix, most specific
// prefix first.
var Scenarios = []Scenario{
	{Keyword: "pendrefund", Prefix: "PENDREFUND-", Name: "pending-failed-refunded", Summary: "pending, then failed, then refunded, each by the default rule", State: StatePending, Resolve: StateFailed, RefundAfterFailure: true},
	{Keyword: "pendfail", Prefix: "PENDFAIL-", Name: "pending-failed", Summary: "pending, then failed by the default rule", State: StatePending, Resolve: StateFailed},
	{Keyword: "pending", Prefix: "PENDING-", Name: "pending-success", Summary: "pending, then success by the default rule", State: StatePending, Resolve: StateSuccess},
	{Keyword: "stuck", Prefix: "STUCK-", Name: "pending-forever", Summary: "pending until an admin transition", State: StatePending, Stuck: true},
	{Keyword: "failed", Prefix: "FAILED-", Name: "failed", Summary: "failed, not refunded", State: StateFailed},
	{Keyword: "refunded", Prefix: "REFUND-", Name: "refunded", Summary: "failed and refunded (refund fields set)", State: StateRefunded},
	{Keyword: "notfound", Prefix: "NOTFOUND-", Name: "not-found", Summary: `HTTP 200, response_code 2, "No Transaction found"`, NotFound: true},
	{Keyword: "authfail", Prefix: "AUTHFAIL-", Name: "auth-failed", Summary: `HTTP 401, response_code 7, "Authentication failed"; the dialect's answer to a failed authentication`, AuthMessage: rechargestatus.MessageAuthenticationFailed},
	{Keyword: "badsig", Prefix: "BADSIG-", Name: "invalid-signature", Summary: `HTTP 401, response_code 7, "Invalid signature encoding" (the page's 401 example); the dialect's answer to a rejected Token`, AuthMessage: rechargestatus.MessageInvalidSignatureEncoding, TokenRejected: true},
}

// DefaultScenario is the scenario of a referenceid with no known prefix.
var DefaultScenario = Scenario{Keyword: "success", Name: "success", Summary: "success", State: StateSuccess}

// ScenarioFor picks the scenario whose prefix referenceID starts with.
func ScenarioFor(referenceID string) Scenario {
	for _, s := range Scenarios {
		if len(referenceID) >= len(s.Prefix) && strings.EqualFold(referenceID[:len(s.Prefix)], s.Prefix) {
			return s
		}
	}
	return DefaultScenario
}

// ScenarioKeywords lists every scenario's Keyword, the default's first.
func ScenarioKeywords() []string {
	out := []string{DefaultScenario.Keyword}
	for _, s := range Scenarios {
		out = append(out, s.Keyword)
	}
	return out
}

// scenarioNamed finds the scenario a Keyword or Name names, in any letter
// case.
func scenarioNamed(name string) (Scenario, bool) {
	for _, s := range append([]Scenario{DefaultScenario}, Scenarios...) {
		if strings.EqualFold(name, s.Keyword) || strings.EqualFold(name, s.Name) {
			return s, true
		}
	}
	return Scenario{}, false
}

// ChosenScenario is a scenario as an X-Mock-Scenario header or a pattern
// rule names it, with the rule that replaces the default one for its
// transaction when it names one.
type ChosenScenario struct {
	Scenario Scenario
	// Rule, when set, is when the transaction leaves pending, and when it
	// is refunded after failing, in place of the default rule; its To is
	// the scenario's.
	Rule *Rule
}

// String writes c as ParseScenario reads it.
func (c ChosenScenario) String() string {
	if c.Rule == nil {
		return c.Scenario.Keyword
	}
	after := time.Duration(c.Rule.After).String()
	if c.Rule.AfterEnquiries > 0 {
		after = strconv.Itoa(c.Rule.AfterEnquiries)
	}
	return c.Scenario.Keyword + "; resolve=" + after
}

// ParseScenario reads a scenario as the X-Mock-Scenario header and a
// pattern rule write it. Its one grammar:
//
//	value = scenario *( ";" param )
//	param = "resolve" "=" ( enquiries / duration )
//
// with optional spaces around every name, value, "=" and ";". scenario is a
// Keyword (or a Name) of Scenarios or DefaultScenario, in any letter case;
// resolve, for the scenarios that leave pending by a rule, is a number of
// enquiries (2) or a duration on the sandbox clock (30m). An empty segment,
// a parameter without a value, an unknown parameter and one given twice are
// refused rather than guessed at.
func ParseScenario(v string) (ChosenScenario, error) {
	segments := strings.Split(v, ";")
	name := strings.TrimSpace(segments[0])
	sc, ok := scenarioNamed(name)
	if !ok {
		return ChosenScenario{}, fmt.Errorf("unknown scenario %q, want one of %s", name, strings.Join(ScenarioKeywords(), ", "))
	}
	c := ChosenScenario{Scenario: sc}
	for i, seg := range segments[1:] {
		k, val, hasValue := strings.Cut(seg, "=")
		k, val = strings.TrimSpace(k), strings.TrimSpace(val)
		switch {
		case strings.TrimSpace(seg) == "":
			return c, fmt.Errorf("parameter %d after the scenario is empty; separate parameters with one ;", i+1)
		case !hasValue:
			return c, fmt.Errorf("parameter %q must be name=value", k)
		case k == "":
			return c, errors.New("a parameter has a value but no name")
		case val == "":
			return c, fmt.Errorf("parameter %s has no value", k)
		case !strings.EqualFold(k, "resolve"):
			return c, fmt.Errorf("unknown parameter %q (resolve)", k)
		case c.Rule != nil:
			return c, fmt.Errorf("parameter %s is given twice", k)
		case !sc.Resolves():
			return c, fmt.Errorf("resolve applies to the scenarios that leave pending by a rule (pending, pendfail, pendrefund), not %s", sc.Keyword)
		}
		r, err := ParseRuleAfter(val)
		if err != nil {
			return c, fmt.Errorf("resolve %q: %w", val, err)
		}
		c.Rule = &r
	}
	return c, nil
}

// ParseRuleAfter reads when a rule moves a transaction on, as a person
// writes it: a number of enquiries (3) or a positive duration on the
// sandbox clock (10m).
func ParseRuleAfter(s string) (Rule, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n <= 0 {
			return Rule{}, errors.New("the number of enquiries must be positive")
		}
		return Rule{AfterEnquiries: n}, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return Rule{}, errors.New("want a number of enquiries (3) or a positive duration (10m)")
	}
	return Rule{After: Duration(d)}, nil
}

// ScenarioPattern chooses the scenario of the unknown referenceids its
// regular expression matches: a pattern rule of the fixtures.
type ScenarioPattern struct {
	Match  *regexp.Regexp
	Choice ChosenScenario
}

// CompileScenarioPattern reads a pattern rule: match is a regular
// expression (Go's RE2 syntax, matching anywhere in the referenceid unless
// anchored), scenario is in ParseScenario's grammar.
func CompileScenarioPattern(match, scenario string) (ScenarioPattern, error) {
	if match == "" {
		return ScenarioPattern{}, errors.New("match is required: a regular expression on the referenceid")
	}
	re, err := regexp.Compile(match)
	if err != nil {
		return ScenarioPattern{}, fmt.Errorf("match %q is not a regular expression: %w", match, err)
	}
	c, err := ParseScenario(scenario)
	if err != nil {
		return ScenarioPattern{}, fmt.Errorf("scenario %q: %w", scenario, err)
	}
	return ScenarioPattern{Match: re, Choice: c}, nil
}

// MatchScenario is the choice of the first of patterns that referenceID
// matches; false when none does.
func MatchScenario(patterns []ScenarioPattern, referenceID string) (ChosenScenario, bool) {
	for _, p := range patterns {
		if p.Match.MatchString(referenceID) {
			return p.Choice, true
		}
	}
	return ChosenScenario{}, false
}
