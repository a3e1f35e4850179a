package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// Matchers of an *Exchange. Each failure message says what was wanted and
// then shows the exchange once, request then answer.

// HonourContract succeeds when an *Exchange got an answer that openapi.yaml
// declares and that keeps the invariants. Its failure message names each
// broken rule with its JSON pointer.
func HonourContract(j *conformance.Judge) types.GomegaMatcher {
	return &contractMatcher{judge: j}
}

type contractMatcher struct {
	judge    *conformance.Judge
	problems Problems
}

func (m *contractMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	m.problems = Judge(context.Background(), m.judge, ex)
	return m.problems.None(), nil
}

func (m *contractMatcher) FailureMessage(actual any) string {
	return withDump(actual, "the answer does not honour the contract; it "+m.problems.String())
}

func (m *contractMatcher) NegatedFailureMessage(actual any) string {
	return withDump(actual, "the answer honours the contract, it should not have")
}

// HaveAnswered succeeds when an *Exchange got a complete answer in time that
// is not a redirect.
func HaveAnswered() types.GomegaMatcher { return answeredMatcher{} }

type answeredMatcher struct{}

func (answeredMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	return ex.Failure() == nil, nil
}

func (answeredMatcher) FailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return withDump(actual, fmt.Sprintf("no complete answer came: %v", ex.Failure()))
}

func (answeredMatcher) NegatedFailureMessage(actual any) string {
	return withDump(actual, "a complete answer came, none should have")
}

// HaveStatus succeeds when an *Exchange's HTTP status is one of statuses.
func HaveStatus(statuses ...int) types.GomegaMatcher {
	return &statusMatcher{
		want: "HTTP " + joinInts(statuses, " or "),
		ok:   func(s int) bool { return slices.Contains(statuses, s) },
	}
}

// HaveStatusIn succeeds when an *Exchange's HTTP status is within [low, high].
func HaveStatusIn(low, high int) types.GomegaMatcher {
	return &statusMatcher{
		want: fmt.Sprintf("an HTTP status from %d to %d", low, high),
		ok:   func(s int) bool { return s >= low && s <= high },
	}
}

type statusMatcher struct {
	want string
	ok   func(int) bool
}

func (m *statusMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	return ex.Status != 0 && m.ok(ex.Status), nil
}

func (m *statusMatcher) FailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return withDump(actual, fmt.Sprintf("want %s, got %s", m.want, describeStatus(ex)))
}

func (m *statusMatcher) NegatedFailureMessage(actual any) string {
	ex, _ := exchangeOf(actual)
	return withDump(actual, fmt.Sprintf("want anything but %s, got %s", m.want, describeStatus(ex)))
}

// HaveResponseCode matches an *Exchange's response_code, as an int, with
// inner; an answer without one fails.
func HaveResponseCode(inner types.GomegaMatcher) types.GomegaMatcher {
	return &partMatcher{name: "response_code", inner: inner, part: func(ex *Exchange) (any, error) {
		var v struct {
			ResponseCode *int `json:"response_code"`
		}
		if err := json.Unmarshal(ex.PageBody(), &v); err != nil || v.ResponseCode == nil {
			return nil, fmt.Errorf("the answer has no integer response_code")
		}
		return *v.ResponseCode, nil
	}}
}

// HaveMessage matches an *Exchange's message, as a string, with inner.
func HaveMessage(inner types.GomegaMatcher) types.GomegaMatcher {
	return stringMember("message", inner)
}

// HaveRemarks matches an *Exchange's remarks, as a string, with inner; an
// answer without remarks fails.
func HaveRemarks(inner types.GomegaMatcher) types.GomegaMatcher {
	return stringMember("remarks", inner)
}

func stringMember(name string, inner types.GomegaMatcher) types.GomegaMatcher {
	return &partMatcher{name: name, inner: inner, part: func(ex *Exchange) (any, error) {
		var v map[string]json.RawMessage
		var s string
		if err := json.Unmarshal(ex.PageBody(), &v); err != nil || json.Unmarshal(v[name], &s) != nil {
			return nil, fmt.Errorf("the answer has no string %s", name)
		}
		return s, nil
	}}
}

// HaveValidationDetail matches what a refused request's answer says was
// wrong with it, with inner: its message, or its remarks when a dialect the
// run accepts says it there. Its failure is the message's.
func HaveValidationDetail(inner types.GomegaMatcher) types.GomegaMatcher {
	return &detailMatcher{inner: inner}
}

type detailMatcher struct {
	inner types.GomegaMatcher
	part  types.GomegaMatcher
}

func (m *detailMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	m.part = HaveMessage(m.inner)
	if ok, err := m.part.Match(actual); ok || err != nil || !ex.detailInRemarks() {
		return ok, err
	}
	if ok, err := HaveRemarks(m.inner).Match(actual); ok || err != nil {
		return ok, err
	}
	return false, nil
}

func (m *detailMatcher) FailureMessage(actual any) string { return m.part.FailureMessage(actual) }

func (m *detailMatcher) NegatedFailureMessage(actual any) string {
	return m.part.NegatedFailureMessage(actual)
}

// HaveHeader matches an *Exchange's answer header name with inner.
func HaveHeader(name string, inner types.GomegaMatcher) types.GomegaMatcher {
	return &partMatcher{name: "the header " + name, inner: inner, part: func(ex *Exchange) (any, error) {
		return ex.Header.Get(name), nil
	}}
}

// HaveBody matches an *Exchange's answer body, as a string, with inner.
func HaveBody(inner types.GomegaMatcher) types.GomegaMatcher {
	return &partMatcher{name: "the body", inner: inner, part: func(ex *Exchange) (any, error) {
		return string(ex.Body), nil
	}}
}

// HaveElapsed matches how long an *Exchange took with inner.
func HaveElapsed(inner types.GomegaMatcher) types.GomegaMatcher {
	return &partMatcher{name: "the time it took", inner: inner, part: func(ex *Exchange) (any, error) {
		return ex.Elapsed, nil
	}}
}

// HaveFailed matches why an *Exchange got no complete answer with inner,
// such as MatchError(syscall.ECONNRESET); an exchange that got one fails.
func HaveFailed(inner types.GomegaMatcher) types.GomegaMatcher {
	return &partMatcher{name: "why no complete answer came", inner: inner, part: func(ex *Exchange) (any, error) {
		if ex.Err == nil {
			return nil, fmt.Errorf("a complete answer came (%s)", describeStatus(ex))
		}
		return ex.Err, nil
	}}
}

// partMatcher matches a part of an exchange with an inner matcher.
type partMatcher struct {
	name  string
	part  func(*Exchange) (any, error)
	inner types.GomegaMatcher
	// why is the part's absence, or the inner matcher's error
	why string
}

func (m *partMatcher) Match(actual any) (bool, error) {
	ex, err := exchangeOf(actual)
	if err != nil {
		return false, err
	}
	value, err := m.part(ex)
	if err != nil {
		m.why = err.Error()
		return false, nil
	}
	ok, err := m.inner.Match(value)
	if err != nil {
		m.why = err.Error()
		return false, nil
	}
	return ok, nil
}

func (m *partMatcher) message(actual any, negated bool) string {
	if m.why != "" {
		return withDump(actual, fmt.Sprintf("%s: %s", m.name, m.why))
	}
	ex, _ := exchangeOf(actual)
	value, _ := m.part(ex)
	inner := m.inner.FailureMessage(value)
	if negated {
		inner = m.inner.NegatedFailureMessage(value)
	}
	return withDump(actual, fmt.Sprintf("%s: %s", m.name, inner))
}

func (m *partMatcher) FailureMessage(actual any) string { return m.message(actual, false) }

func (m *partMatcher) NegatedFailureMessage(actual any) string { return m.message(actual, true) }

// MatchJSONBody succeeds when an *Exchange's body, in page form (PageBody),
// is the JSON document want, member for member. Its failure message says
// where they differ and shows both in the same key order.
func MatchJSONBody(want []byte) types.GomegaMatcher {
	return &partMatcher{name: "the body", inner: &jsonMatcher{want: want}, part: func(ex *Exchange) (any, error) {
		return ex.PageBody(), nil
	}}
}

func withDump(actual any, message string) string {
	ex, err := exchangeOf(actual)
	if err != nil {
		return printable(message, true)
	}
	return printable(message, true) + "\n\n" + ex.Dump()
}

func describeStatus(ex *Exchange) string {
	if ex.Status == 0 {
		return fmt.Sprintf("no answer (%v)", ex.Err)
	}
	return fmt.Sprint(ex.Status)
}

func joinInts(xs []int, sep string) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, sep)
}

func exchangeOf(actual any) (*Exchange, error) {
	ex, ok := actual.(*Exchange)
	if !ok || ex == nil {
		return nil, fmt.Errorf("want a *framework.Exchange, got %T", actual)
	}
	return ex, nil
}

// HaveDataMember matches a string member of an *Exchange's data with inner;
// an answer without data, or without the member as a string, fails.
func HaveDataMember(name string, inner types.GomegaMatcher) types.GomegaMatcher {
	return &partMatcher{name: "data." + name, inner: inner, part: func(ex *Exchange) (any, error) {
		var data map[string]json.RawMessage
		if err := json.Unmarshal(ex.Data(), &data); err != nil {
			return nil, fmt.Errorf("the answer has no data")
		}
		var v string
		if err := json.Unmarshal(data[name], &v); err != nil {
			return nil, fmt.Errorf("the data has no string %s", name)
		}
		return v, nil
	}}
}

// MatchJSONData succeeds when an *Exchange's data is the JSON document want,
// member for member, shown in the same key order when it is not.
func MatchJSONData(want []byte) types.GomegaMatcher {
	return &partMatcher{name: "data", inner: &jsonMatcher{want: want}, part: func(ex *Exchange) (any, error) {
		data := ex.Data()
		if data == nil {
			return nil, fmt.Errorf("the answer has no data")
		}
		return []byte(data), nil
	}}
}

// jsonMatcher matches a JSON document held as []byte.
type jsonMatcher struct {
	want        []byte
	explanation string
}

func (m *jsonMatcher) Match(actual any) (bool, error) {
	got, ok := actual.([]byte)
	if !ok {
		return false, fmt.Errorf("want JSON as []byte, got %T", actual)
	}
	var same bool
	same, m.explanation = CompareJSON(m.want, got)
	return same, nil
}

func (m *jsonMatcher) FailureMessage(any) string { return "it " + m.explanation }

func (m *jsonMatcher) NegatedFailureMessage(any) string { return "it is the JSON it should not be" }
