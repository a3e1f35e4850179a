package mockserver

import (
	"net/http"
	"slices"
	"sync"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
)

// matches reports whether q selects e.
func matches(q *admin.JournalQuery, e *admin.JournalEntry) bool {
	return (q.ReferenceID == "" || e.ReferenceID == q.ReferenceID) &&
		(q.RegistrationID == "" || e.RegistrationID == q.RegistrationID) &&
		(q.Since.IsZero() || !e.Time.Before(q.Since)) &&
		(q.Until.IsZero() || e.Time.Before(q.Until))
}

// journal keeps the last requests to the provider's endpoint (or any path
// but the admin API's) in a fixed-size ring.
type journal struct {
	mu      sync.Mutex
	entries []record
	next    int
	full    bool
	lastID  uint64
}

// record is an entry as the journal keeps it: its bodies as the bytes that
// came and went, written out as strings only when listed, which most
// entries never are.
type record struct {
	admin.JournalEntry
	requestBody, responseBody []byte
}

// entry is r as the admin API lists it.
func (r *record) entry() admin.JournalEntry {
	e := r.JournalEntry
	e.RequestBody, e.ResponseBody = clip(r.requestBody), clip(r.responseBody)
	return e
}

// newJournal returns a journal keeping the last size entries.
func newJournal(size int) *journal {
	if size <= 0 {
		size = DefaultJournalSize
	}
	return &journal{entries: make([]record, size)}
}

// Add records e with its bodies, evicting the oldest entry when full, and
// returns its ID. The bodies are kept as they are, cut to what the journal
// shows: the caller must not write into them again.
func (j *journal) Add(e admin.JournalEntry, requestBody, responseBody []byte) uint64 {
	rec := record{JournalEntry: e, requestBody: keepable(requestBody), responseBody: keepable(responseBody)}
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lastID++
	rec.ID = j.lastID
	j.entries[j.next] = rec
	j.next++
	if j.next == len(j.entries) {
		j.next = 0
		j.full = true
	}
	return rec.ID
}

// keepable is b, or a copy of what the journal shows of it when b is
// longer, so that an entry never holds more.
func keepable(b []byte) []byte {
	if len(b) <= journalBodyLimit+1 {
		return b
	}
	return slices.Clone(b[:journalBodyLimit+1])
}

func (j *journal) each(fn func(*record)) {
	start, n := 0, j.next
	if j.full {
		start, n = j.next, len(j.entries)
	}
	for i := range n {
		fn(&j.entries[(start+i)%len(j.entries)])
	}
}

// Entries lists the entries q selects, oldest first: the last q.Limit of
// them when it is positive.
func (j *journal) Entries(q admin.JournalQuery) []admin.JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []admin.JournalEntry{}
	j.each(func(r *record) {
		if matches(&q, &r.JournalEntry) {
			out = append(out, r.entry())
		}
	})
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out
}

// Count counts the entries q selects, whatever its Limit.
func (j *journal) Count(q admin.JournalQuery) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	j.each(func(r *record) {
		if matches(&q, &r.JournalEntry) {
			n++
		}
	})
	return n
}

// Len is how many entries the journal holds.
func (j *journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	if j.full {
		return len(j.entries)
	}
	return j.next
}

// Clear forgets every entry.
func (j *journal) Clear() {
	j.mu.Lock()
	defer j.mu.Unlock()
	clear(j.entries)
	j.next, j.full = 0, false
}

// redactHeaders copies h with secret values replaced.
func redactHeaders(h http.Header) map[string][]string {
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
		return clipHeaders(redactHeaders(h))
	case secret:
		return redactHeaders(h)
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
