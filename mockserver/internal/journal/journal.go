// Package journal keeps the mock's recent requests for the admin API: a ring
// bounded by entries and by bytes, with secrets redacted and bodies clipped.
package journal

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"slices"
	"sort"
	"sync"
	"sync/atomic"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
)

// Bounds of a journal, and of one page of its listing: no listing answers
// a huge body.
const (
	DefaultSize  = 1000
	DefaultBytes = 64 << 20
	MaxPageBytes = 4 << 20
)

// matches reports whether q selects e.
func matches(q *admin.JournalQuery, e *admin.JournalEntry) bool {
	return (q.ReferenceID == "" || e.ReferenceID == q.ReferenceID) &&
		(q.RegistrationID == "" || e.RegistrationID == q.RegistrationID) &&
		(q.Since.IsZero() || !e.Time.Before(q.Since)) &&
		(q.Until.IsZero() || e.Time.Before(q.Until))
}

// Journal keeps the last requests to the provider's endpoint (or any path
// but the admin API's) in a ring bounded twice: by entries and by the bytes
// they hold. Once either bound would be passed, the oldest entries are
// forgotten first; the latest entry is always kept.
type Journal struct {
	mu sync.Mutex
	// ring holds the entries oldest first from start; it grows up to
	// maxEntries, so a journal that is never filled never costs its bound.
	ring       []record
	start, n   int
	maxEntries int
	maxBytes   int64
	bytes      int64
	lastID     uint64
	// published is lastID, for LastID to read without the lock on every
	// request's arrival.
	published atomic.Uint64
	// shared links the journal to the other processes of one sandbox;
	// nil when it has none.
	shared *shared
}

// record is an entry as the journal keeps it: its bodies as the bytes that
// came and went, written out as strings only when listed, which most
// entries never are.
type record struct {
	admin.JournalEntry
	requestBody, responseBody []byte
	// size is what the entry holds in memory, roughly.
	size int64
}

// entry is r as the admin API lists it.
func (r *record) entry() admin.JournalEntry {
	e := r.JournalEntry
	e.RequestBody, e.ResponseBody = clip(r.requestBody), clip(r.responseBody)
	return e
}

// recordOverhead is what an entry holds beside its strings, bodies and
// headers: the entry itself and its maps.
const recordOverhead = 512

// cost is roughly what r holds in memory.
func (r *record) cost() int64 {
	e := &r.JournalEntry
	n := recordOverhead + cap(r.requestBody) + cap(r.responseBody) +
		len(e.Method) + len(e.Path) + len(e.RemoteAddr) + len(e.RegistrationID) +
		len(e.ReferenceID) + len(e.Scenario) + len(e.Fault) + len(e.Dialect) + len(e.TokenDigest) +
		headersCost(e.RequestHeaders) + headersCost(e.ResponseHeaders)
	return int64(n)
}

func headersCost(h map[string][]string) int {
	// A map entry and a slice header per name, a string header per value.
	n := 0
	for k, v := range h {
		n += 64 + len(k)
		for _, s := range v {
			n += 16 + len(s)
		}
	}
	return n
}

// New returns a journal keeping at most maxEntries entries and
// maxBytes bytes of them; DefaultSize and DefaultBytes when
// not positive.
func New(maxEntries int, maxBytes int64) *Journal {
	if maxEntries <= 0 {
		maxEntries = DefaultSize
	}
	if maxBytes <= 0 {
		maxBytes = DefaultBytes
	}
	return &Journal{maxEntries: maxEntries, maxBytes: maxBytes}
}

// Add records e with its bodies, forgetting the oldest entries as the
// bounds ask, and returns its ID. The bodies are kept as they are, cut to
// what the journal shows: the caller must not write into them again.
func (j *Journal) Add(e admin.JournalEntry, requestBody, responseBody []byte) uint64 {
	id := j.add(e, requestBody, responseBody)
	if j.shared != nil {
		e.ID = id
		j.publish(e, requestBody, responseBody)
	}
	return id
}

// add is Add without publishing: for this process's entries and the ones
// pulled from the feed alike.
func (j *Journal) add(e admin.JournalEntry, requestBody, responseBody []byte) uint64 {
	rec := record{JournalEntry: e, requestBody: keepable(requestBody), responseBody: keepable(responseBody)}
	rec.size = rec.cost()
	j.mu.Lock()
	defer j.mu.Unlock()
	j.lastID++
	j.published.Store(j.lastID)
	rec.ID = j.lastID
	for j.n > 0 && (j.n >= j.maxEntries || j.bytes+rec.size > j.maxBytes) {
		j.dropOldest()
	}
	if j.n == len(j.ring) {
		j.grow()
	}
	j.ring[(j.start+j.n)%len(j.ring)] = rec
	j.n++
	j.bytes += rec.size
	return rec.ID
}

func (j *Journal) dropOldest() {
	j.bytes -= j.ring[j.start].size
	j.ring[j.start] = record{}
	j.start = (j.start + 1) % len(j.ring)
	j.n--
}

// grow doubles the ring, up to maxEntries.
func (j *Journal) grow() {
	next := make([]record, min(max(2*len(j.ring), 64), j.maxEntries))
	for i := range j.n {
		next[i] = *j.at(i)
	}
	j.ring, j.start = next, 0
}

// at is the i-th entry, oldest first.
func (j *Journal) at(i int) *record { return &j.ring[(j.start+i)%len(j.ring)] }

// keepable is b, or a copy of what the journal shows of it when b is
// longer, so that an entry never holds more.
func keepable(b []byte) []byte {
	if len(b) <= BodyLimit+1 {
		return b
	}
	return slices.Clone(b[:BodyLimit+1])
}

// firstAfter is the index of the oldest entry whose ID is greater than id:
// IDs grow along the ring.
func (j *Journal) firstAfter(id uint64) int {
	return sort.Search(j.n, func(i int) bool { return j.at(i).ID > id })
}

// Page lists a page of the entries q selects, oldest first: with q.After,
// the first q.Limit entries after it; without, the last q.Limit entries.
// A page also stops before it holds MaxPageBytes, keeping at least
// one entry. q.Limit must be from 1 to MaxJournalPage.
func (j *Journal) Page(q admin.JournalQuery) admin.JournalList {
	j.mu.Lock()
	defer j.mu.Unlock()
	page := admin.JournalList{Requests: []admin.JournalEntry{}}
	var bytes int64
	fits := func(r *record) bool {
		ok := len(page.Requests) < q.Limit && (len(page.Requests) == 0 || bytes+r.size <= MaxPageBytes)
		bytes += r.size
		return ok
	}
	if q.After == nil {
		for i := j.n - 1; i >= 0; i-- {
			r := j.at(i)
			if !matches(&q, &r.JournalEntry) {
				continue
			}
			if !fits(r) {
				break
			}
			page.Requests = append(page.Requests, r.entry())
		}
		slices.Reverse(page.Requests)
		page.NextAfter = j.lastID
		if len(page.Requests) > 0 {
			page.NextAfter = page.Requests[len(page.Requests)-1].ID
		}
		return page
	}
	page.NextAfter = *q.After
	for i := j.firstAfter(*q.After); i < j.n; i++ {
		r := j.at(i)
		if !matches(&q, &r.JournalEntry) {
			continue
		}
		if !fits(r) {
			page.HasMore = true
			break
		}
		page.Requests = append(page.Requests, r.entry())
		page.NextAfter = r.ID
	}
	return page
}

// Entries lists every entry q selects, oldest first, whatever their number
// and bytes: the last q.Limit of them when it is positive.
func (j *Journal) Entries(q admin.JournalQuery) []admin.JournalEntry {
	j.mu.Lock()
	defer j.mu.Unlock()
	out := []admin.JournalEntry{}
	for i := j.from(q); i < j.n; i++ {
		if r := j.at(i); matches(&q, &r.JournalEntry) {
			out = append(out, r.entry())
		}
	}
	if q.Limit > 0 && len(out) > q.Limit {
		out = out[len(out)-q.Limit:]
	}
	return out
}

// from is the index of the first entry q can select.
func (j *Journal) from(q admin.JournalQuery) int {
	if q.After == nil {
		return 0
	}
	return j.firstAfter(*q.After)
}

// Count counts the entries q selects, whatever its Limit.
func (j *Journal) Count(q admin.JournalQuery) int {
	j.mu.Lock()
	defer j.mu.Unlock()
	n := 0
	for i := j.from(q); i < j.n; i++ {
		if matches(&q, &j.at(i).JournalEntry) {
			n++
		}
	}
	return n
}

// LastID is the ID of the latest entry journaled, 0 before the first.
func (j *Journal) LastID() uint64 { return j.published.Load() }

// Scan calls visit with every entry after the ID after, oldest first, and
// its answer's body as kept, under the journal's lock: visit must not keep
// the entry's maps or the body, nor call the journal. It returns the ID
// of the oldest entry the journal still holds, LastID+1 when it is empty.
func (j *Journal) Scan(after uint64, visit func(e *admin.JournalEntry, responseBody []byte)) (oldest uint64) {
	j.mu.Lock()
	defer j.mu.Unlock()
	for i := j.firstAfter(after); i < j.n; i++ {
		r := j.at(i)
		visit(&r.JournalEntry, r.responseBody)
	}
	if j.n == 0 {
		return j.lastID + 1
	}
	return j.at(0).ID
}

// TokenDigest is what the journal keeps of a Token header: enough to tell
// the same Token sent again from a new one, nothing to sign with.
func TokenDigest(token string) string {
	if token == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:8])
}

// Len is how many entries the journal holds.
func (j *Journal) Len() int {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.n
}

// Bytes is roughly how many bytes the journal's entries hold.
func (j *Journal) Bytes() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.bytes
}

// Clear forgets every entry; IDs go on from the last one given, so that a
// client paging with After never sees an ID twice.
func (j *Journal) Clear() {
	j.clearLocal()
	if s := j.shared; s != nil {
		ctx, cancel := context.WithTimeout(context.Background(), feedTimeout)
		defer cancel()
		// The other processes empty theirs at their next pull.
		s.mu.Lock()
		if epoch, err := s.feed.Clear(ctx); err == nil {
			s.epoch, s.cursor = epoch, ""
		}
		s.mu.Unlock()
	}
}

func (j *Journal) clearLocal() {
	j.mu.Lock()
	defer j.mu.Unlock()
	j.ring, j.start, j.n, j.bytes = nil, 0, 0, 0
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

// headerLimit bounds the bytes of names and values the journal keeps
// of one request's or answer's headers, as BodyLimit bounds a body.
const headerLimit = 8 << 10

// Headers is h as the journal keeps it: h itself when it holds no
// secret and fits headerLimit, since a finished request's headers are
// never written again, and otherwise a redacted copy, its values cut to fit.
func Headers(h http.Header) map[string][]string {
	size, secret := 0, false
	for k, v := range h {
		secret = secret || rechargestatus.IsSecretHeader(k)
		size += len(k)
		for _, s := range v {
			size += len(s)
		}
	}
	switch {
	case size > headerLimit:
		return clipHeaders(redactHeaders(h))
	case secret:
		return redactHeaders(h)
	}
	return h
}

// clipHeaders cuts the values of h, in name order, once their bytes pass
// headerLimit; a name past it keeps one value saying so. A redacted
// value stays as it is, to say a secret was there.
func clipHeaders(h map[string][]string) map[string][]string {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	left := headerLimit
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

const BodyLimit = 8 << 10

func clip(b []byte) string {
	if len(b) <= BodyLimit {
		return string(b)
	}
	return string(b[:BodyLimit]) + "…[truncated]"
}
