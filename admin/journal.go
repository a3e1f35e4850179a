package admin

import "time"

// JournalEntry is one request to the provider's endpoint (or any path but the
// admin API's) and the answer it got. Secret headers are redacted; bodies and
// headers are clipped to 8 KiB.
type JournalEntry struct {
	ID              uint64              `json:"id"`
	Time            time.Time           `json:"time"`
	Method          string              `json:"method"`
	Path            string              `json:"path"`
	RemoteAddr      string              `json:"remoteAddr"`
	RequestHeaders  map[string][]string `json:"requestHeaders"`
	RequestBody     string              `json:"requestBody"`
	RegistrationID  string              `json:"registrationId,omitempty"`
	ReferenceID     string              `json:"referenceId,omitempty"`
	Status          int                 `json:"status"`
	ResponseHeaders map[string][]string `json:"responseHeaders"`
	ResponseBody    string              `json:"responseBody"`
	// Scenario is what was answered, such as pending-success or fault:status.
	Scenario string `json:"scenario,omitempty"`
	// Fault is the fault injected, and by which rule or header.
	Fault string `json:"fault,omitempty"`
	// Dialect is the dialect answered in, once chosen, as dialect.Parse
	// reads it.
	Dialect        string  `json:"dialect,omitempty"`
	DurationMillis float64 `json:"durationMs"`
	// Started is when the request came, on the sandbox clock; Time is when
	// it was answered.
	Started time.Time `json:"started"`
	// SystemStarted is when the request came on the system clock, which
	// runs on while the sandbox clock stands still.
	SystemStarted time.Time `json:"systemStarted"`
	// StartedAfter is the ID of the last request journaled when this one
	// came: those with IDs above it and below this one's were in flight at
	// the same time as this one.
	StartedAfter uint64 `json:"startedAfter"`
	// TokenDigest tells a Token sent again from a new one without showing
	// it: the first 16 hex digits of the SHA-256 of the Token header.
	TokenDigest string `json:"tokenDigest,omitempty"`
}

// JournalList is the answer of GET /__admin/requests: a page of the
// journal, oldest first.
type JournalList struct {
	Requests []JournalEntry `json:"requests"`
	// NextAfter is the After of the next page: the ID of the last entry
	// listed or, on an empty page, the After asked (without one, the ID of
	// the latest request journaled), so that a client can page on, or wait
	// for what comes next.
	NextAfter uint64 `json:"nextAfter"`
	// HasMore says the next page already holds entries.
	HasMore bool `json:"hasMore"`
}

// Pages of the journal (GET /__admin/requests, Admin.ListRequestPage).
const (
	// DefaultJournalPage is the entries of a page when no limit is asked.
	DefaultJournalPage = 100
	// MaxJournalPage is the most entries a page holds; a page also stops
	// before a few MiB of entries.
	MaxJournalPage = 1000
)

// JournalQuery narrows the journal; empty fields match everything.
type JournalQuery struct {
	RegistrationID string
	ReferenceID    string
	// Since and Until bound the entries' times on the sandbox clock, Since
	// included and Until excluded.
	Since, Until time.Time
	// After, when set, selects only the entries with a greater ID; a page
	// then holds the first of them. Set it to a page's NextAfter to read
	// the next, or to 0 to read the journal from its start.
	After *uint64
	// Limit bounds a listing. A page (ListRequestPage) holds at most Limit
	// entries, from 1 to MaxJournalPage, DefaultJournalPage when 0: the
	// first ones with After, otherwise the last ones. ListRequests keeps
	// the last Limit entries it selects; 0 keeps them all. Counts ignore
	// it.
	Limit int
}

// AfterID is a JournalQuery.After of id.
func AfterID(id uint64) *uint64 { return &id }

// Count is the answer of GET /__admin/requests/count.
type Count struct {
	Count int `json:"count"`
}
