package mockserver

import (
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// JournalEntry is one request and the answer it got.
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
	Scenario        string              `json:"scenario,omitempty"`
	Fault           string              `json:"fault,omitempty"`
	DurationMillis  float64             `json:"durationMs"`
}

// JournalFilter narrows a journal query; empty fields match everything.
type JournalFilter struct {
	ReferenceID    string
	RegistrationID string
	Since, Until   time.Time
	Path           string
}

func (f JournalFilter) match(e *JournalEntry) bool {
	return (f.ReferenceID == "" || e.ReferenceID == f.ReferenceID) &&
		(f.RegistrationID == "" || e.RegistrationID == f.RegistrationID) &&
		(f.Path == "" || e.Path == f.Path) &&
		(f.Since.IsZero() || !e.Time.Before(f.Since)) &&
		(f.Until.IsZero() || e.Time.Before(f.Until))
}

// Journal keeps the last entries in a fixed-size ring.
type Journal struct {
	mu      sync.Mutex
	entries []JournalEntry
	next    int
	full    bool
	lastID  uint64
}

// NewJournal returns a journal keeping the last size entries.
func NewJournal(size int) *Journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &Journal{entries: make([]JournalEntry, size)}
}

// Add records e, evicting the oldest entry when full, and returns its ID.
func (j *Journal) Add(e JournalEntry) uint64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lastID++
	e.ID = j.lastID
	j.entries[j.next] = e
	j.next++
	if j.next == len(j.entries) {
		j.next = 0
		j.full = true
	}
	return e.ID
}

func (j *Journal) each(fn func(*JournalEntry)) {
	start, n := 0, j.next
	if j.full {
		start, n = j.next, len(j.entries)
	}
	for i := range n {
		fn(&j.entries[(start+i)%len(j.entries)])
	}
}

// Entries lists the matching entries, oldest first.
func (j *Journal) Entries(f JournalFilter) []JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []JournalEntry{}
	j.each(func(e *JournalEntry) {
		if f.match(e) {
			out = append(out, *e)
		}
	})
	return out
}

// Count counts the matching entries.
func (j *Journal) Count(f JournalFilter) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	j.each(func(e *JournalEntry) {
		if f.match(e) {
			n++
		}
	})
	return n
}

// Len is how many entries the journal holds.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.full {
		return len(j.entries)
	}
	return j.next
}

// Clear forgets every entry.
func (j *Journal) Clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.next, j.full = 0, false
}

// RedactHeaders copies h with secret values replaced.
func RedactHeaders(h http.Header) map[string][]string {
	n := 0
	for _, v := range h {
		n += len(v) + 1
	}
	// One array holds every value: every request is journaled, and a slice
	// per header would be an allocation per header per request.
	values := make([]string, 0, n)
	out := make(map[string][]string, len(h))
	for k, v := range h {
		start := len(values)
		switch {
		case rechargestatus.IsSecretHeader(k):
			values = append(values, redacted)
		case len(v) == 0:
			out[k] = nil
			continue
		default:
			values = append(values, v...)
		}
		out[k] = values[start:len(values):len(values)]
	}
	return out
}

// redacted stands for a secret header's value.
const redacted = "[REDACTED]"

// journalHeaderLimit bounds the bytes of names and values the journal keeps
// of one request's or answer's headers, as journalBodyLimit bounds a body.
const journalHeaderLimit = 8 << 10

// journalHeaders is h as the journal keeps it: h itself when it holds no
// secret and fits journalHeaderLimit, since a finished request's headers are
// never written again, and otherwise a redacted copy, its values cut to fit.
func journalHeaders(h http.Header) map[string][]string {
	size, secret := 0, false
	for k, v := range h {
		secret = secret || rechargestatus.IsSecretHeader(k)
		size += len(k)
		for _, s := range v {
			size += len(s)
		}
	}
	switch {
	case size > journalHeaderLimit:
		return clipHeaders(RedactHeaders(h))
	case secret:
		return RedactHeaders(h)
	}
	return h
}

// clipHeaders cuts the values of h, in name order, once their bytes pass
// journalHeaderLimit; a name past it keeps one value saying so. A redacted
// value stays as it is, to say a secret was there.
func clipHeaders(h map[string][]string) map[string][]string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	left := journalHeaderLimit
	for _, k := range names {
		left -= len(k)
		v := h[k]
		for i, s := range v {
			if len(s) <= left || s == redacted {
				left -= len(s)
				continue
			}
			cut := max(left, 0)
			h[k] = append(v[:i:i], s[:cut]+"…[truncated]")
			left = 0
			break
		}
	}
	return h
}

const journalBodyLimit = 8 << 10

func clip(b []byte) string {
	if len(b) <= journalBodyLimit {
		return string(b)
	}
	return string(b[:journalBodyLimit]) + "…[truncated]"
}

func isAdminPath(p string) bool { return strings.HasPrefix(p, "/__admin/") || p == "/metrics" }
