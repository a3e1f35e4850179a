package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// Exchange is one request and what came back of it.
type Exchange struct {
	Method        string
	URL           string
	Path          string
	RequestHeader http.Header
	RequestBody   []byte
	Enquiry       rechargestatus.Enquiry

	// Status, Header and Body are the answer; Status is zero when none came.
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration
	// Err is why no complete answer came: a refused or reset connection, a
	// timeout, a body cut short.
	Err error
}

// dumpBodyLimit bounds how much of a body a dump shows.
const dumpBodyLimit = 2048

// Dump shows the exchange as a person debugging it wants to read it: what was
// asked, what came back, how long it took.
func (ex *Exchange) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "→ %s %s\n", ex.Method, ex.URL)
	writeHeaders(&b, ex.RequestHeader)
	writeBody(&b, ex.RequestBody)
	switch {
	case ex.Status == 0 && ex.Err != nil:
		fmt.Fprintf(&b, "← no answer after %s: %v\n", ex.Elapsed.Round(time.Millisecond), ex.Err)
	default:
		fmt.Fprintf(&b, "← HTTP %d %s (%s)\n", ex.Status, http.StatusText(ex.Status), ex.Elapsed.Round(time.Millisecond))
		writeHeaders(&b, ex.Header)
		writeBody(&b, ex.Body)
		if ex.Err != nil {
			fmt.Fprintf(&b, "  (the answer broke off: %v)\n", ex.Err)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

func writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		for _, v := range h[name] {
			if rechargestatus.IsSecretHeader(name) {
				v = "(redacted)"
			}
			fmt.Fprintf(b, "  %s: %s\n", name, v)
		}
	}
}

func writeBody(b *strings.Builder, body []byte) {
	if len(body) == 0 {
		b.WriteString("  (no body)\n")
		return
	}
	shown := body
	if len(shown) > dumpBodyLimit {
		shown = shown[:dumpBodyLimit]
	}
	if utf8.Valid(shown) {
		fmt.Fprintf(b, "  %s\n", shown)
	} else {
		fmt.Fprintf(b, "  %q\n", shown)
	}
	if len(body) > len(shown) {
		fmt.Fprintf(b, "  … %d more bytes\n", len(body)-len(shown))
	}
}

// Answer is the envelope of an answer, error or not.
type Answer struct {
	ResponseCode int    `json:"response_code"`
	Status       bool   `json:"status"`
	Message      string `json:"message"`
	Remarks      string `json:"remarks"`
	Data         *Data  `json:"data"`
}

// Data is a found transaction.
type Data struct {
	TxnID        string  `json:"txnid"`
	OperatorName string  `json:"operatorname"`
	CANumber     string  `json:"canumber"`
	Amount       string  `json:"amount"`
	Comm         string  `json:"comm"`
	TDS          string  `json:"tds"`
	Status       string  `json:"status"`
	RefID        string  `json:"refid"`
	OperatorID   string  `json:"operatorid"`
	DateAdded    string  `json:"dateadded"`
	Refunded     string  `json:"refunded"`
	RefundTxnID  string  `json:"refundtxnid"`
	DateRefunded *string `json:"daterefunded"`
}

// Phase is where the data places the transaction.
func (d *Data) Phase() conformance.Phase { return conformance.PhaseOf(d.Status, d.Refunded) }

// Answer decodes the envelope.
func (ex *Exchange) Answer() (Answer, error) {
	var a Answer
	if err := json.Unmarshal(ex.Body, &a); err != nil {
		return a, fmt.Errorf("the answer is not the JSON envelope: %w", err)
	}
	return a, nil
}

// Problems is everything wrong with one answer.
type Problems struct {
	// Transport is why no complete answer came.
	Transport error
	// Spec lists where the answer breaks openapi.yaml.
	Spec []conformance.Violation
	// Invariants lists the rules of package invariants it breaks.
	Invariants []conformance.Violation
}

// None reports whether the answer is a declared, consistent one.
func (p Problems) None() bool {
	return p.Transport == nil && len(p.Spec) == 0 && len(p.Invariants) == 0
}

func (p Problems) String() string {
	var b strings.Builder
	if p.Transport != nil {
		fmt.Fprintf(&b, "got no complete answer: %v\n", p.Transport)
	}
	if len(p.Spec) > 0 {
		b.WriteString("breaks openapi.yaml:\n")
		for _, v := range p.Spec {
			fmt.Fprintf(&b, "  %s\n", v)
		}
	}
	if len(p.Invariants) > 0 {
		b.WriteString("breaks the invariants:\n")
		for _, v := range p.Invariants {
			fmt.Fprintf(&b, "  %s\n", v)
		}
	}
	return strings.TrimRight(b.String(), "\n")
}

// Judge checks answers against openapi.yaml and the invariants, remembering
// final transactions across a run.
type Judge struct {
	Validator *conformance.Validator
	// Admin checks the answers of the sandbox's admin API and /metrics
	// against admin/openapi.yaml; Validator checks them when it is nil.
	Admin   *conformance.Validator
	History *conformance.History
}

// Problems judges ex. An enquiry's answer is held to the RechargeStatus
// operation whatever method or content type the request used, since every
// answer of that path is declared there; any other path is held to its own
// operation.
func (j *Judge) Problems(ctx context.Context, ex *Exchange) Problems {
	var p Problems
	if ex.Err != nil || ex.Status == 0 {
		p.Transport = ex.Err
		if p.Transport == nil {
			p.Transport = fmt.Errorf("no answer")
		}
		return p
	}
	method := ex.Method
	enquiry := ex.Path == rechargestatus.EnquiryPath
	if enquiry {
		method = http.MethodPost
	}
	route, err := http.NewRequestWithContext(ctx, method, "http://endpoint"+ex.Path, nil)
	if err != nil {
		p.Transport = err
		return p
	}
	if ex.RequestHeader != nil {
		route.Header = ex.RequestHeader.Clone()
	}
	if enquiry {
		route.Header.Set("Content-Type", "application/json")
	}
	validator := j.Validator
	if j.Admin != nil && (strings.HasPrefix(ex.Path, "/__admin/") || ex.Path == "/metrics") {
		validator = j.Admin
	}
	p.Spec = validator.CheckResponse(ctx, route, ex.RequestBody, ex.Status, ex.Header, ex.Body)
	if enquiry {
		p.Invariants = conformance.Check(ex.Enquiry, ex.Status, ex.Header, ex.Body)
		if j.History != nil {
			p.Invariants = append(p.Invariants, j.History.Observe(ex.Enquiry, ex.Status, ex.Body)...)
		}
	}
	return p
}
