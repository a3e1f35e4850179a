package dialect

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// Judge holds answers to the contract as conformance.Judge does and names
// the known dialects they match. The page's contract is the contract: an
// answer in another dialect breaks it, and its verdict says which known
// dialect it matches. With accepted dialects, an answer that matches one of
// them (and not the page) is judged in the page form it stands for, so a
// scheduled run holds the provider to that dialect as its known baseline
// instead of staying red. It is safe for concurrent use.
type Judge struct {
	judge  *conformance.Judge
	accept []string
}

// NewJudge judges with j, accepting the known dialects named in accept
// besides the page.
func NewJudge(j *conformance.Judge, accept ...string) (*Judge, error) {
	var a Accept
	if len(accept) > 0 {
		if err := a.Set(strings.Join(accept, ",")); err != nil {
			return nil, err
		}
	}
	return &Judge{judge: j, accept: a}, nil
}

// Conformance is the judge of the page's contract underneath.
func (j *Judge) Conformance() *conformance.Judge { return j.judge }

// Verdict is what a Judge finds of one answer.
type Verdict struct {
	// Findings are the ways the answer, as judged, breaks the contract.
	Findings []conformance.Finding
	// Matches are the known dialects the answer as it came matches whole,
	// judged by the spec's schema and the invariants.
	Matches []Match
	// JudgedAs is the accepted dialect whose page form was judged; empty
	// when the answer was judged as it came.
	JudgedAs string
}

// Enquiry judges an answer to the enquiry q sent as r with body reqBody.
func (j *Judge) Enquiry(ctx context.Context, q rechargestatus.Enquiry, r *http.Request, reqBody []byte, status int, header http.Header, body []byte) Verdict {
	v := Verdict{Matches: classify(status, body, func(pageBody []byte) bool {
		return len(j.judge.Validator().CheckResponse(ctx, r, reqBody, status, header, pageBody)) == 0 &&
			len(conformance.Check(q, status, header, pageBody)) == 0
	})}
	judged := body
	if name := j.acceptedMatch(v.Matches); name != "" {
		judged, _ = Normalize(name, status, body)
		v.JudgedAs = name
	}
	v.Findings = j.judge.Enquiry(ctx, q, r, reqBody, status, header, judged)
	return v
}

// acceptedMatch is the accepted dialect an answer is judged as: none when it
// matches the page.
func (j *Judge) acceptedMatch(matches []Match) string {
	for _, m := range matches {
		if m.Dialect == Page {
			return ""
		}
	}
	for _, name := range j.accept {
		for _, m := range matches {
			if m.Dialect == name {
				return name
			}
		}
	}
	return ""
}

// Explain says, for a report, what the known dialects tell of the answer:
// that a failing answer matches a known dialect (a known inconsistency of
// the provider rather than a new break), or which accepted dialect it was
// judged as. Empty when they tell nothing.
func (v Verdict) Explain() string {
	var known []string
	var names []string
	for _, m := range v.Matches {
		if m.Dialect != Page {
			known = append(known, m.String())
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
