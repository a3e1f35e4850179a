package journal

import (
	"bytes"
	"context"
	"encoding/json"
	"sync"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

// Feed carries journal entries between the sandbox processes that share one
// store (Redis), so that the journal of each covers the requests of all.
type Feed interface {
	// Publish adds an entry of origin's to the feed. Having returned nil,
	// it holds on to no part of entry.
	Publish(ctx context.Context, origin string, entry []byte) error
	// Since is what the feed holds after cursor ("" for all), the cursor
	// to read on from, and the feed's epoch, which a Clear moves on.
	Since(ctx context.Context, cursor string) (items []FeedItem, next string, epoch int64, err error)
	// Clear empties the feed and moves its epoch on, to the epoch it
	// answers.
	Clear(ctx context.Context) (epoch int64, err error)
}

// FeedItem is one entry of the feed and the process it came from.
type FeedItem struct {
	Origin string
	Entry  []byte
}

// feedTimeout bounds one exchange with the feed: a journal that cannot
// reach it carries on with its own entries.
const feedTimeout = 2 * time.Second

// shared is a journal's link to its feed.
type shared struct {
	feed   Feed
	origin string
	// mu orders pulls; cursor and epoch are what the last one read.
	mu     sync.Mutex
	cursor string
	epoch  int64
}

// feedEntry is an entry as the feed carries it, with its bodies whole.
type feedEntry struct {
	admin.JournalEntry
	RequestBytes  []byte `json:"requestBytes"`
	ResponseBytes []byte `json:"responseBytes"`
}

// Share links j to feed as origin: each entry j adds is published, and
// Pull adds the entries of the other processes.
func (j *Journal) Share(feed Feed, origin string) {
	j.shared = &shared{feed: feed, origin: origin}
}

// feedBuffers hold entries as they are published: every request of a
// shared sandbox publishes one, and a buffer used again spares the
// collector a copy of each.
var feedBuffers = sync.Pool{New: func() any { return new(bytes.Buffer) }}

// publish sends an entry j added to the feed.
func (j *Journal) publish(e admin.JournalEntry, requestBody, responseBody []byte) {
	buf := feedBuffers.Get().(*bytes.Buffer)
	buf.Reset()
	if err := json.NewEncoder(buf).Encode(feedEntry{JournalEntry: e, RequestBytes: requestBody, ResponseBytes: responseBody}); err != nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), feedTimeout)
	defer cancel()
	// An entry the feed could not take stays in this process's journal;
	// the store's outage is answered and logged where it is met. The feed
	// may still hold such an entry's bytes: its buffer is not used again.
	if j.shared.feed.Publish(ctx, j.shared.origin, buf.Bytes()) == nil {
		feedBuffers.Put(buf)
	}
}

// Pull adds to j the entries other processes published since the last
// pull, and empties j when another process cleared the feed. A journal
// that shares no feed has nothing to pull.
func (j *Journal) Pull(ctx context.Context) error {
	s := j.shared
	if s == nil {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, feedTimeout)
	defer cancel()
	items, next, epoch, err := s.feed.Since(ctx, s.cursor)
	if err != nil {
		return err
	}
	if epoch != s.epoch {
		j.clearLocal()
		s.epoch = epoch
		if items, next, _, err = s.feed.Since(ctx, ""); err != nil {
			return err
		}
	}
	s.cursor = next
	for _, it := range items {
		if it.Origin == s.origin {
			continue
		}
		var e feedEntry
		if json.Unmarshal(it.Entry, &e) != nil {
			continue
		}
		j.add(e.JournalEntry, e.RequestBytes, e.ResponseBytes)
	}
	return nil
}
