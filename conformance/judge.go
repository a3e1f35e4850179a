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
)

// Finding is a violation and the part of the contract that found it.
type Finding struct {
	Source string `json:"source"`
	Violation
}

// Judge holds answers to the whole contract: the spec's schema, the
// invariants and, across answers, the stability of final transactions. The
// contract suite and the proxy judge with it alike. It is safe for
// concurrent use.
type Judge struct {
	validator *Validator
	history   *History
}

// NewJudge judges with v, remembering the final answers of at most
// historyLimit transactions (DefaultHistoryLimit when zero or less).
func NewJudge(v *Validator, historyLimit int) *Judge {
	return &Judge{validator: v, history: NewHistory(historyLimit)}
}

// Validator is the spec validator the judge checks schemas with.
func (j *Judge) Validator() *Validator { return j.validator }

// Forget drops what the judge remembers of q's transaction, for when it is
// replaced on purpose.
func (j *Judge) Forget(q rechargestatus.Enquiry) { j.history.Forget(q) }

// Enquiry judges an answer to the enquiry q sent as r with body reqBody, and
// lists every way it breaks the contract; a problem found by both the schema
// and the invariants is listed once, as the schema's.
func (j *Judge) Enquiry(ctx context.Context, q rechargestatus.Enquiry, r *http.Request, reqBody []byte, status int, header http.Header, body []byte) []Finding {
	var out []Finding
	seen := map[[2]string]bool{}
	add := func(source string, vs []Violation) {
		for _, v := range vs {
			k := [2]string{v.Rule, v.Pointer}
			if seen[k] {
				continue
			}
			seen[k] = true
			out = append(out, Finding{Source: source, Violation: v})
		}
	}
	add(SourceOpenAPI, j.validator.CheckResponse(ctx, r, reqBody, status, header, body))
	add(SourceInvariants, Check(q, status, header, body))
	add(SourceInvariants, j.history.Observe(q, status, body))
	return out
}

// Answer judges an answer to any other operation of the spec against its
// schema alone.
func (j *Judge) Answer(ctx context.Context, r *http.Request, reqBody []byte, status int, header http.Header, body []byte) []Finding {
	vs := j.validator.CheckResponse(ctx, r, reqBody, status, header, body)
	out := make([]Finding, len(vs))
	for i, v := range vs {
		out[i] = Finding{Source: SourceOpenAPI, Violation: v}
	}
	return out
}
