package conformance

import (
	"context"
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Sources of a violation: which part of the contract found it.
const (
	SourceOpenAPI    = "openapi"    // the schema of openapi.yaml
	SourceInvariants = "invariants" // the rules the schema cannot express
	SourceStrict     = "strict"     // the bytes of the answer, read strictly
)

// Finding is a violation and the part of the contract that found it.
type Finding struct {
	Source string `json:"source"`
	Violation
}

// Exchange is what the judge is shown of one enquiry: the request as routed,
// the answer as it came, and the known dialects the caller holds the
// endpoint to besides the page.
type Exchange struct {
	// Enquiry names the transaction asked for.
	Enquiry rechargestatus.Enquiry
	// Request is the request as the spec routes it (method, path, headers);
	// its body is RequestBody.
	Request     *http.Request
	RequestBody []byte
	// Status, Header and Body are the answer.
	Status int
	Header http.Header
	Body   []byte
	// Accept names known dialects besides the page: an answer that matches
	// one of them, and not the page, is judged in the page form it stands
	// for. Names the judge's Dialects do not know are ignored.
	Accept []string
}

// DialectMatch is a known dialect an answer matches whole.
type DialectMatch struct {
	Dialect string
	// Account says which known dialect and why, citing what is known of it.
	Account string
}

// Dialects knows the provider's dialects: which of them an answer matches,
// and the page form an answer of one stands for. The dialect package
// provides one; without it every answer is judged as it came.
type Dialects interface {
	// Match lists the known dialects whose shape the answer has and whose
	// page form holds, as holds tells.
	Match(status int, body []byte, holds func(pageBody []byte) bool) []DialectMatch
	// Normalize rewrites an answer of the dialect named name in the page
	// form it stands for; false when the answer is not in that dialect.
	Normalize(name string, status int, body []byte) ([]byte, bool)
	// Page is the name of the page's own dialect.
	Page() string
}

// Verdict is what the judge finds of one answer.
type Verdict struct {
	// Findings are the ways the answer, as judged, breaks the contract.
	Findings []Finding
	// Matches are the known dialects the answer as it came matches whole;
	// none without Dialects.
	Matches []DialectMatch
	// JudgedAs is the accepted dialect whose page form was judged; empty
	// when the answer was judged as it came.
	JudgedAs string
}

// MatchNames lists the dialects the answer matches.
func (v Verdict) MatchNames() []string {
	out := make([]string, len(v.Matches))
	for i, m := range v.Matches {
		out[i] = m.Dialect
	}
	return out
}

// Judge holds answers to the whole contract: the bytes read strictly, the
// spec's schema, the invariants and, across answers, the stability of final
// transactions. The contract suite and the proxy judge with it alike,
// configured by options. It is safe for concurrent use.
type Judge struct {
	validator *Validator
	history   *History
	dialects  Dialects
}

// Option configures a Judge.
type Option func(*Judge)

// WithHistoryLimit remembers the final answers of at most n transactions
// (DefaultHistoryLimit when zero or less).
func WithHistoryLimit(n int) Option {
	return func(j *Judge) { j.history = NewHistory(n) }
}

// WithDialects names the known dialects an answer matches, and judges an
// answer in an accepted one in its page form.
func WithDialects(d Dialects) Option {
	return func(j *Judge) { j.dialects = d }
}

// NewJudge judges with v as opts configure it.
func NewJudge(v *Validator, opts ...Option) *Judge {
	j := &Judge{validator: v}
	for _, o := range opts {
		o(j)
	}
	if j.history == nil {
		j.history = NewHistory(0)
	}
	return j
}

// Forget drops what the judge remembers of q's transaction, for when it is
// replaced on purpose.
func (j *Judge) Forget(q rechargestatus.Enquiry) { j.history.Forget(q) }

// Judge lists every way the answer of ex breaks the contract, and what the
// known dialects tell of it. A problem found by two parts of the contract is
// listed once, as the first one's: the strict reading, then the schema, then
// the invariants.
func (j *Judge) Judge(ctx context.Context, ex Exchange) Verdict {
	var v Verdict
	judged := ex.Body
	if j.dialects != nil {
		v.Matches = j.dialects.Match(ex.Status, ex.Body, func(pageBody []byte) bool {
			return len(j.validator.CheckResponse(ctx, ex.Request, ex.RequestBody, ex.Status, ex.Header, pageBody)) == 0 &&
				len(Check(ex.Enquiry, ex.Status, ex.Header, pageBody)) == 0
		})
		if name := j.acceptedMatch(ex.Accept, v.Matches); name != "" {
			judged, _ = j.dialects.Normalize(name, ex.Status, ex.Body)
			v.JudgedAs = name
		}
	}
	seen := map[[2]string]bool{}
	add := func(source string, vs []Violation) {
		for _, x := range vs {
			k := [2]string{x.Rule, x.Pointer}
			if seen[k] {
				continue
			}
			seen[k] = true
			v.Findings = append(v.Findings, Finding{Source: source, Violation: x})
		}
	}
	// The bytes as they came: a dialect's page form is the judge's own.
	add(SourceStrict, ReadStrictly(ex.Body))
	add(SourceOpenAPI, j.validator.CheckResponse(ctx, ex.Request, ex.RequestBody, ex.Status, ex.Header, judged))
	add(SourceInvariants, Check(ex.Enquiry, ex.Status, ex.Header, judged))
	add(SourceInvariants, j.history.Observe(ex.Enquiry, ex.Status, judged))
	return v
}

// acceptedMatch is the accepted dialect an answer is judged as: none when it
// matches the page.
func (j *Judge) acceptedMatch(accept []string, matches []DialectMatch) string {
	for _, m := range matches {
		if m.Dialect == j.dialects.Page() {
			return ""
		}
	}
	for _, name := range accept {
		for _, m := range matches {
			if m.Dialect == name {
				return name
			}
		}
	}
	return ""
}
