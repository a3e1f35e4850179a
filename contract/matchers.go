package contract

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/gomega/types"
)

// HonourContract succeeds when an *Exchange got a complete answer that
// openapi.yaml declares and that keeps the conformance. Its failure message
// names each broken rule with its JSON pointer, then dumps the exchange.
func HonourContract(j *Judge) types.GomegaMatcher {
	return &contractMatcher{judge: j}
}

type contractMatcher struct {
	judge    *Judge
	problems Problems
}

func (m *contractMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	m.problems = m.judge.Problems(context.Background(), ex)
	return m.problems.None(), nil
}

func (m *contractMatcher) FailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("the answer does not honour the contract; it %s\n%s", m.problems, ex.Dump())
}

func (m *contractMatcher) NegatedFailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("the answer honours the contract, it should not have\n\n%s", ex.Dump())
}

// HaveAnswered succeeds when an *Exchange got a complete answer in time.
func HaveAnswered() types.GomegaMatcher { return answeredMatcher{} }

type answeredMatcher struct{}

func (answeredMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	return ex.Err == nil && ex.Status != 0, nil
}

func (answeredMatcher) FailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("no complete answer came: %v\n\n%s", ex.Err, ex.Dump())
}

func (answeredMatcher) NegatedFailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("a complete answer came, none should have\n\n%s", ex.Dump())
}

// HaveStatus succeeds when an *Exchange's HTTP status is one of statuses.
func HaveStatus(statuses ...int) types.GomegaMatcher { return statusMatcher{want: statuses} }

type statusMatcher struct{ want []int }

func (m statusMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	return slices.Contains(m.want, ex.Status), nil
}

func (m statusMatcher) FailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("want HTTP %s, got %s\n\n%s", joinStatuses(m.want), describeStatus(ex), ex.Dump())
}

func (m statusMatcher) NegatedFailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("want any HTTP status but %s, got %s\n\n%s", joinStatuses(m.want), describeStatus(ex), ex.Dump())
}

// HaveStatusIn succeeds when an *Exchange's HTTP status is within [low, high].
func HaveStatusIn(low, high int) types.GomegaMatcher { return statusRangeMatcher{low: low, high: high} }

type statusRangeMatcher struct{ low, high int }

func (m statusRangeMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	return ex.Status >= m.low && ex.Status <= m.high, nil
}

func (m statusRangeMatcher) FailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("want an HTTP status from %d to %d, got %s\n\n%s", m.low, m.high, describeStatus(ex), ex.Dump())
}

func (m statusRangeMatcher) NegatedFailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return fmt.Sprintf("want an HTTP status outside %d to %d, got %s\n\n%s", m.low, m.high, describeStatus(ex), ex.Dump())
}

func describeStatus(ex *Exchange) string {
	if ex.Status == 0 {
		return fmt.Sprintf("no answer (%v)", ex.Err)
	}
	return fmt.Sprint(ex.Status)
}

func joinStatuses(statuses []int) string {
	parts := make([]string, len(statuses))
	for i, s := range statuses {
		parts[i] = fmt.Sprint(s)
	}
	return strings.Join(parts, " or ")
}

func exchangeOf(actual any) (*Exchange, error) {
	ex, ok := actual.(*Exchange)
	if !ok || ex == nil {
		return nil, fmt.Errorf("want a *contract.Exchange, got %T", actual)
	}
	return ex, nil
}
