package recharge

import (
	"context"
	"sort"
	"sync"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// DefaultMaxAutoCreated bounds the transactions made on first enquiry, so a
// client that sends a fresh referenceid with every call cannot grow the
// sandbox without limit.
const DefaultMaxAutoCreated = 100_000

// autoCreated remembers the transactions made on first enquiry, least
// recently enquired first, so that the one nobody has asked about for longest
// can be evicted once there are too many: a transaction a client is polling
// stays. Fixture and admin transactions never enter it, so they are never
// evicted. One deleted or taken over by an admin keeps its place until its
// turn comes and is then skipped, so the cap errs towards evicting early,
// never towards holding more than it allows.
type autoCreated struct {
	mu   sync.Mutex
	seq  uint64
	live map[transaction.Key]uint64 // key → sequence of its latest creation or enquiry
	// queue holds creations and enquiries in order; an entry whose sequence
	// is no longer live[key] is stale (the key was enquired again, or evicted
	// and created again) and skipped.
	queue []autoEntry
	head  int
}

type autoEntry struct {
	key transaction.Key
	seq uint64
}

// add records a creation of key and returns the keys to evict to keep at
// most limit; limit 0 keeps everything, and nothing need be recorded.
func (a *autoCreated) add(key transaction.Key, limit int) []transaction.Key {
	if limit <= 0 {
		return nil
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.live == nil {
		a.live = make(map[transaction.Key]uint64)
	}
	a.seq++
	a.live[key] = a.seq
	a.queue = append(a.queue, autoEntry{key: key, seq: a.seq})
	var evict []transaction.Key
	for len(a.live) > limit && a.head < len(a.queue) {
		e := a.queue[a.head]
		a.queue[a.head] = autoEntry{}
		a.head++
		if a.live[e.key] == e.seq {
			delete(a.live, e.key)
			evict = append(evict, e.key)
		}
	}
	a.compact()
	return evict
}

// touch moves a tracked key to the back of the queue, as the most recently
// enquired; an untracked key (a fixture, say) is left alone.
func (a *autoCreated) touch(key transaction.Key) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.live[key]; !ok {
		return
	}
	a.seq++
	a.live[key] = a.seq
	a.queue = append(a.queue, autoEntry{key: key, seq: a.seq})
	a.compact()
}

// compact drops consumed and stale entries once they make up most of the
// queue, keeping its memory proportional to the live transactions.
func (a *autoCreated) compact() {
	consumed := a.head >= 1024 && a.head >= len(a.queue)/2
	stale := len(a.queue)-a.head > 2*len(a.live)+1024
	if !consumed && !stale {
		return
	}
	kept := make([]autoEntry, 0, len(a.live)+len(a.live)/4)
	for _, e := range a.queue[a.head:] {
		if a.live[e.key] == e.seq {
			kept = append(kept, e)
		}
	}
	a.queue, a.head = kept, 0
}

func (a *autoCreated) tracked(key transaction.Key) bool {
	a.mu.Lock()
	defer a.mu.Unlock()
	_, ok := a.live[key]
	return ok
}

func (a *autoCreated) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.live, a.queue, a.head = nil, nil, 0
}

// ConditionalDeleter is a Store that can delete a transaction only while it
// satisfies a condition, atomically, so that eviction never removes a
// transaction an admin has just taken over.
type ConditionalDeleter interface {
	DeleteIf(ctx context.Context, key transaction.Key, cond func(Transaction) bool) (deleted bool, err error)
}

func isAutoCreated(t Transaction) bool { return t.Origin == transaction.OriginAuto }

// noteEnquired records an enquiry of key, which created the transaction
// when created is set, and evicts the least recently enquired auto-created
// transactions beyond MaxAutoCreated.
func (s *Service) noteEnquired(ctx context.Context, key transaction.Key, created bool) error {
	if s.MaxAutoCreated <= 0 {
		return nil
	}
	if !created {
		s.auto.touch(key)
		return nil
	}
	return s.noteCreated(ctx, key)
}

// noteCreated records a transaction made on first enquiry and evicts the
// least recently enquired auto-created ones beyond MaxAutoCreated.
func (s *Service) noteCreated(ctx context.Context, key transaction.Key) error {
	for _, k := range s.auto.add(key, s.MaxAutoCreated) {
		if err := s.evict(ctx, k); err != nil {
			return err
		}
	}
	return nil
}

func (s *Service) evict(ctx context.Context, key transaction.Key) error {
	if cd, ok := s.Store.(ConditionalDeleter); ok {
		_, err := cd.DeleteIf(ctx, key, isAutoCreated)
		return err
	}
	t, err := s.Store.Get(ctx, key)
	switch {
	case transaction.ErrorCode(err) == transaction.ENOTFOUND:
		return nil
	case err != nil:
		return err
	case !isAutoCreated(t):
		return nil
	}
	if err := s.Store.Delete(ctx, key); err != nil && transaction.ErrorCode(err) != transaction.ENOTFOUND {
		return err
	}
	return nil
}

// trackStored takes over the auto-created transactions already in the store,
// as a persistent store holds them after a restart, and evicts those beyond
// MaxAutoCreated. When they were last enquired is not stored, so they are
// taken oldest first, the newest counting as the most recently enquired.
func (s *Service) trackStored(ctx context.Context, all []Transaction) error {
	if s.MaxAutoCreated <= 0 {
		return nil
	}
	var untracked []Transaction
	for _, t := range all {
		if isAutoCreated(t) && !s.auto.tracked(t.Key) {
			untracked = append(untracked, t)
		}
	}
	// Creation time is not kept; the recharge date, made shortly before
	// creation, orders them close enough.
	sort.SliceStable(untracked, func(i, j int) bool { return untracked[i].DateAdded.Before(untracked[j].DateAdded) })
	for _, t := range untracked {
		if err := s.noteCreated(ctx, t.Key); err != nil {
			return err
		}
	}
	return nil
}
