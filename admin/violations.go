package admin

import "time"

// Headers the sandbox's proxy mode adds to the answers it relays.
const (
	// ContractViolationsHeader carries how many contract violations the
	// upstream's answer showed.
	ContractViolationsHeader = "X-Contract-Violations"
	// UpstreamErrorHeader names the kind of upstream failure behind an answer.
	UpstreamErrorHeader = "X-Upstream-Error"
)

// Violation is one way an upstream answer broke the contract, found by the
// proxy.
type Violation struct {
	// Time is when the answer came, on the sandbox clock.
	Time           time.Time `json:"time"`
	RegistrationID string    `json:"registrationId"`
	ReferenceID    string    `json:"referenceId"`
	// Status is the upstream's HTTP status.
	Status int `json:"status"`
	// Source is the part of the contract that found it: strict (the bytes
	// read strictly), openapi (the schema) or invariants (the rules the
	// schema cannot express).
	Source string `json:"source"`
	// Pointer is the JSON pointer of the value at fault, "" for the status
	// line, the headers or the whole body.
	Pointer string `json:"pointer"`
	// Rule is the schema keyword or invariant broken.
	Rule    string `json:"rule"`
	Message string `json:"message"`
	// Dialects are the known dialects of the provider (such as upstream)
	// the answer matches whole: a violation of one of them is a known
	// inconsistency of the provider rather than a new break.
	Dialects []string `json:"dialects,omitempty"`
	// Explanation says so, citing the provider notes the dialect comes
	// from, or which accepted dialect the answer was judged as.
	Explanation string `json:"explanation,omitempty"`
}

// ViolationList is the answer of GET /__admin/violations.
type ViolationList struct {
	Violations []Violation `json:"violations"`
	// Total counts every violation since the start or the last clear,
	// including those the bounded list no longer holds.
	Total uint64 `json:"total"`
	// Next is the PageQuery.After of the next page; "" on the last.
	Next string `json:"next,omitempty"`
}

// ViolationQuery narrows the violations listed; empty fields match everything.
type ViolationQuery struct {
	RegistrationID string
	ReferenceID    string
	Rule           string
	// PageQuery selects a page (ListViolationPage); Violations reads
	// every page from After.
	PageQuery
}

// Matches reports whether q's filters select v, whatever its page.
func (q *ViolationQuery) Matches(v *Violation) bool {
	return (q.RegistrationID == "" || v.RegistrationID == q.RegistrationID) &&
		(q.ReferenceID == "" || v.ReferenceID == q.ReferenceID) &&
		(q.Rule == "" || v.Rule == q.Rule)
}
