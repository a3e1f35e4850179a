package framework

import (
	"context"
	"fmt"
	"net/http"
	"strings"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// Problems is everything wrong with one answer.
type Problems struct {
	// Transport is why there is no answer to judge.
	Transport error
	// Findings list where the answer breaks openapi.yaml or the invariants.
	Findings []conformance.Finding
	// Explanation says what the known dialects of the provider tell of the
	// answer: that a failing answer matches one, citing the provider notes,
	// or which accepted dialect it was judged as (dialect.Explain).
	Explanation string
}

// None reports whether the answer is a declared, consistent one.
func (p Problems) None() bool { return p.Transport == nil && len(p.Findings) == 0 }

func (p Problems) String() string {
	var b strings.Builder
	if p.Transport != nil {
		fmt.Fprintf(&b, "got no answer to judge: %v\n", p.Transport)
	}
	for _, source := range []struct{ name, title string }{
		{conformance.SourceStrict, "is not read alike by every JSON reader:"},
		{conformance.SourceOpenAPI, "breaks openapi.yaml:"},
		{conformance.SourceInvariants, "breaks the invariants:"},
	} {
		title := false
		for _, f := range p.Findings {
			if f.Source != source.name {
				continue
			}
			if !title {
				b.WriteString(source.title + "\n")
				title = true
			}
			fmt.Fprintf(&b, "  %s\n", f.Violation)
		}
	}
	if p.Explanation != "" {
		fmt.Fprintf(&b, "known dialect: %s\n", p.Explanation)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Judge holds ex, an exchange with the RechargeStatus path, to the contract
// with j, which remembers final transactions across the run and names the
// known dialects of the provider an answer matches. Its answer is held to
// the RechargeStatus operation whatever method or content type the request
// used, since every answer of that path is declared there.
func Judge(ctx context.Context, j *conformance.Judge, ex *Exchange) Problems {
	if err := ex.Failure(); err != nil {
		return Problems{Transport: err}
	}
	if ex.Path != rechargestatus.EnquiryPath {
		return Problems{Transport: fmt.Errorf("%s is not the RechargeStatus path; only its answers are judged", ex.Path)}
	}
	route, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://endpoint"+ex.Path, nil)
	if err != nil {
		return Problems{Transport: err}
	}
	route.Header = ex.RequestHeader.Clone()
	if route.Header == nil {
		route.Header = http.Header{}
	}
	route.Header.Set("Content-Type", "application/json")
	v := j.Judge(ctx, conformance.Exchange{Enquiry: ex.Enquiry, Request: route, RequestBody: ex.RequestBody,
		Status: ex.Status, Header: ex.Header, Body: ex.Body, Accept: ex.accept})
	return Problems{Findings: v.Findings, Explanation: dialect.Explain(v)}
}
