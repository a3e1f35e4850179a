package admin

import "github.com/aopay-sandbox/rechargestatus/transaction"

// FaultHeader is the request header that picks a fault for one enquiry:
// `<kind>[=<value>][;<name>=<value>...]`, where the names are FaultRule's
// (status, retryAfter, latency, latencyMin, latencyMax) and the first value is
// the kind's main one (`status=503`, `latency=2s`, `hang=1s`). Spaces around
// names, values, `=` and `;` are allowed; an empty parameter and one given
// twice are refused.
const FaultHeader = "X-Mock-Fault"

// MaxFaultRules is the most fault rules a sandbox holds, whether they come
// one by one (AddFault) or all at once (ReplaceFaults): each is tried on
// every enquiry.
const MaxFaultRules = 100

// FaultKind is a way the RechargeStatus endpoint fails on purpose.
type FaultKind string

const (
	// FaultLatency answers normally after the delay.
	FaultLatency FaultKind = "latency"
	// FaultStatus answers an HTTP error in the provider's envelope.
	FaultStatus FaultKind = "status"
	// FaultReset resets the TCP connection.
	FaultReset FaultKind = "reset"
	// FaultEmpty answers 200 with no body.
	FaultEmpty FaultKind = "empty"
	// FaultTruncated cuts the answer in the middle.
	FaultTruncated FaultKind = "truncated"
	// FaultMalformed answers JSON with a syntax error.
	FaultMalformed FaultKind = "malformed"
	// FaultContentType answers as text/html.
	FaultContentType FaultKind = "content-type"
	// FaultTrickle sends the answer a few bytes at a time over the latency.
	FaultTrickle FaultKind = "trickle"
	// FaultHang answers nothing until the client gives up or the latency
	// (30s by default) passes, then closes the connection.
	FaultHang FaultKind = "hang"
)

// FaultKinds lists every kind, in the order the documentation presents them.
var FaultKinds = []FaultKind{FaultLatency, FaultStatus, FaultReset, FaultEmpty, FaultTruncated, FaultMalformed, FaultContentType, FaultTrickle, FaultHang}

// FaultStatuses are the HTTP statuses a status fault may answer.
var FaultStatuses = []int{404, 412, 429, 500, 502, 503, 504}

// FaultRule says which enquiries fail and how. Rules are tried in order; the
// first whose scope matches and whose probability draw succeeds applies.
type FaultRule struct {
	// ID names the rule; the sandbox gives one when it is left out.
	ID   string    `json:"id,omitempty"`
	Kind FaultKind `json:"kind"`
	// Status is the HTTP status of a status fault, one of FaultStatuses.
	Status int `json:"status,omitempty"`
	// RetryAfter is the Retry-After header of a 429, in seconds; "1" when
	// left out.
	RetryAfter string `json:"retryAfter,omitempty"`
	// Latency delays the fault; or LatencyMin and LatencyMax bound a
	// uniform draw of the delay.
	Latency    transaction.Duration `json:"latency,omitempty"`
	LatencyMin transaction.Duration `json:"latencyMin,omitempty"`
	LatencyMax transaction.Duration `json:"latencyMax,omitempty"`
	// ReferenceID and RegistrationID, when set, scope the rule to the
	// enquiries that name them.
	ReferenceID    string `json:"referenceId,omitempty"`
	RegistrationID string `json:"registrationId,omitempty"`
	// Probability is the chance a matching enquiry gets the fault; 1 when nil.
	Probability *float64 `json:"probability,omitempty"`
	// Count limits the rule to the next Count matching enquiries; 0 is no limit.
	Count int `json:"count,omitempty"`
	// Remaining is what is left of Count; set by the sandbox only.
	Remaining *int `json:"remaining,omitempty"`
	// Injected counts the faults the rule injected; set by the sandbox only.
	Injected int `json:"injected"`
}

// FaultList is the body of the fault list operations.
type FaultList struct {
	Faults []FaultRule `json:"faults"`
	// Next, in a page of GET /__admin/faults, is the PageQuery.After of the
	// next page; "" on the last, and ignored on input.
	Next string `json:"next,omitempty"`
}
