package dialect

import (
	"fmt"
	"strings"

	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// Known are the known dialects as the judge reads them: a
// conformance.Judge made WithDialects(Known{}) names the dialects an answer
// matches and, for an exchange that accepts one (Accept), judges its
// answers in the page form they stand for. The page's contract is the
// contract: an answer in another dialect breaks it unless the exchange
// accepts that dialect, so a scheduled run holds the provider to an
// accepted dialect as its known baseline instead of staying red.
type Known struct{}

// Match lists the known dialects whose shape the answer has and whose page
// form holds, as holds tells.
func (Known) Match(status int, body []byte, holds func(pageBody []byte) bool) []conformance.DialectMatch {
	ms := classify(status, body, holds)
	out := make([]conformance.DialectMatch, len(ms))
	for i, m := range ms {
		out[i] = conformance.DialectMatch{Dialect: m.Dialect, Account: m.String()}
	}
	return out
}

// Normalize is Normalize.
func (Known) Normalize(name string, status int, body []byte) ([]byte, bool) {
	return Normalize(name, status, body)
}

// Page names the page's own dialect.
func (Known) Page() string { return Page }

// Explain says, for a report, what the known dialects tell of a verdict:
// that a failing answer matches a known dialect (a known inconsistency of
// the provider rather than a new break), or which accepted dialect it was
// judged as. Empty when they tell nothing.
func Explain(v conformance.Verdict) string {
	var known []string
	var names []string
	for _, m := range v.Matches {
		if m.Dialect != Page {
			known = append(known, m.Account)
			names = append(names, m.Dialect)
		}
	}
	switch {
	case v.JudgedAs != "":
		return fmt.Sprintf("judged in page form as %s, which --%s accepts", strings.Join(known, " and "), FlagAcceptDialect)
	case len(v.Findings) > 0 && len(known) > 0:
		return fmt.Sprintf("the answer matches %s. It is a known inconsistency of the provider rather than a new break; --%s %s holds the endpoint to that dialect instead",
			strings.Join(known, " and "), FlagAcceptDialect, strings.Join(names, ","))
	}
	return ""
}
