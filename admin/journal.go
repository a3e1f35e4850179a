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
	Fault          string  `json:"fault,omitempty"`
	DurationMillis float64 `json:"durationMs"`
}

// JournalList is the answer of GET /__admin/requests, oldest first.
type JournalList struct {
	Requests []JournalEntry `json:"requests"`
}

// JournalQuery narrows the journal; empty fields match everything.
type JournalQuery struct {
	RegistrationID string
	ReferenceID    string
	// Since and Until bound the entries' times on the sandbox clock, Since
	// included and Until excluded.
	Since, Until time.Time
	// Limit keeps the last Limit entries of a listing; 0 keeps them all.
	// Counts ignore it.
	Limit int
}

// Count is the answer of GET /__admin/requests/count.
type Count struct {
	Count int `json:"count"`
}
