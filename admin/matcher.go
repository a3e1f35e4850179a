package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// RequestMatcher selects journaled requests, as the body of POST
// /__admin/requests/find, /count and /near-misses. A request matches when
// it matches every field set; the zero RequestMatcher matches every
// request. A key the sandbox does not know is refused, never ignored.
type RequestMatcher struct {
	// Method is the HTTP method, in any letter case.
	Method string `json:"method,omitempty"`
	// Path is the URL path, exactly.
	Path string `json:"path,omitempty"`
	// Status is the HTTP status answered.
	Status int `json:"status,omitempty"`
	// Scenario is what was answered, such as success or fault:status.
	Scenario string `json:"scenario,omitempty"`
	// Fault is the fault injected: as the journal writes it (rule f1:
	// status=503), its source alone (rule f1, header) or its kind alone
	// (status, reset, latency, …).
	Fault string `json:"fault,omitempty"`
	// Dialect is the dialect answered in: its name in any letter case, or
	// its whole spec as the journal writes it.
	Dialect        string `json:"dialect,omitempty"`
	RegistrationID string `json:"registrationId,omitempty"`
	ReferenceID    string `json:"referenceId,omitempty"`
	// Headers match request headers by name, in any letter case; a
	// header matches when one of its values does.
	Headers map[string]HeaderMatch `json:"headers,omitempty"`
	// BodyFields match members of the JSON request body, by JSON pointer
	// (RFC 6901, such as /referenceid): the member must equal the value,
	// as JSON values are equal.
	BodyFields map[string]any `json:"bodyFields,omitempty"`
	// From and To bound the requests' times on the sandbox clock, From
	// included and To excluded.
	From *time.Time `json:"from,omitempty"`
	To   *time.Time `json:"to,omitempty"`
}

// HeaderMatch matches a header's value: exactly one of its fields.
type HeaderMatch struct {
	// Equals is the value, exactly.
	Equals *string `json:"equals,omitempty"`
	// Matches is a regular expression (Go's RE2 syntax) the value matches
	// somewhere; anchor it with ^ and $ to match it whole.
	Matches string `json:"matches,omitempty"`
}

// HeaderEquals matches a header whose value is v.
func HeaderEquals(v string) HeaderMatch { return HeaderMatch{Equals: &v} }

// HeaderMatches matches a header whose value matches the regular
// expression re.
func HeaderMatches(re string) HeaderMatch { return HeaderMatch{Matches: re} }

// FoundRequests is the answer of POST /__admin/requests/find.
type FoundRequests struct {
	// Requests are the matching requests, oldest first: the latest
	// MaxJournalPage of them.
	Requests []JournalEntry `json:"requests"`
	// Count is how many requests match, listed or not.
	Count int `json:"count"`
	// NearMisses are the requests closest to matching when none does.
	NearMisses []NearMiss `json:"nearMisses,omitempty"`
}

// NearMiss is a journaled request that does not match, and why.
type NearMiss struct {
	Request JournalEntry `json:"request"`
	// Differences name each field of the matcher the request missed.
	Differences []Difference `json:"differences"`
}

// Difference is one field of a matcher a request missed.
type Difference struct {
	// Field is the matcher's key, such as status, headers.X-Trace or
	// bodyFields./referenceid.
	Field string `json:"field"`
	// Want is what the matcher asked, Got what the request had ("" for
	// nothing).
	Want string `json:"want"`
	Got  string `json:"got"`
}

func (d Difference) String() string {
	return fmt.Sprintf("%s: want %s, got %s", d.Field, d.Want, d.Got)
}

// NearMissList is the answer of POST /__admin/requests/near-misses.
type NearMissList struct {
	NearMisses []NearMiss `json:"nearMisses"`
}

// MaxNearMisses is the most near misses an answer lists, the closest
// first.
const MaxNearMisses = 5

// CountExpectation is how many matching requests a verification expects:
// Exactly, AtLeast or Never make one.
type CountExpectation struct {
	min, max int // max < 0: no bound
}

// Exactly expects n requests.
func Exactly(n int) CountExpectation { return CountExpectation{n, n} }

// AtLeast expects n requests or more.
func AtLeast(n int) CountExpectation { return CountExpectation{n, -1} }

// Never expects no request.
func Never() CountExpectation { return Exactly(0) }

// Holds reports whether n requests meet the expectation.
func (e CountExpectation) Holds(n int) bool { return n >= e.min && (e.max < 0 || n <= e.max) }

func (e CountExpectation) String() string {
	switch {
	case e.max < 0:
		return fmt.Sprintf("at least %d", e.min)
	case e.max == 0:
		return "no request"
	}
	return fmt.Sprintf("exactly %d", e.min)
}

// VerificationError is a verification that failed: how many requests
// matched, and the near misses when none did.
type VerificationError struct {
	Expected   CountExpectation
	Matcher    RequestMatcher
	Count      int
	NearMisses []NearMiss
}

func (e *VerificationError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "expected %s matching %s, got %d", e.Expected, e.Matcher, e.Count)
	for _, m := range e.NearMisses {
		fmt.Fprintf(&b, "\n  near miss #%d %s %s:", m.Request.ID, m.Request.Method, m.Request.Path)
		for _, d := range m.Differences {
			b.WriteString("\n    " + d.String())
		}
	}
	return b.String()
}

// String is m in the words of its JSON.
func (m RequestMatcher) String() string {
	b, err := json.Marshal(m)
	if err != nil {
		return fmt.Sprintf("%+v", err)
	}
	return string(b)
}

// Verify checks that as many journaled requests as want match m, and
// otherwise returns a *VerificationError listing the near misses.
func Verify(ctx context.Context, a Admin, want CountExpectation, m RequestMatcher) error {
	n, err := a.CountMatching(ctx, m)
	if err != nil {
		return err
	}
	if want.Holds(n) {
		return nil
	}
	misses, err := a.NearMisses(ctx, m)
	if err != nil {
		return err
	}
	return &VerificationError{Expected: want, Matcher: m, Count: n, NearMisses: misses}
}
