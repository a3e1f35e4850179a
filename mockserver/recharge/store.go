package recharge

import (
	"container/heap"
	"context"
	"slices"
	"sort"
	"sync"

	"github.com/aopay-sandbox/rechargestatus/internal/memo"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Filter narrows a listing; empty fields match everything.
type Filter struct {
	RegistrationID string
	State          transaction.State
	// After, when not nil, selects only the transactions ordered after
	// it (SortTransactions' order), so a listing can be read page by page.
	After *transaction.Key
	// Limit, when positive, keeps the first Limit transactions selected.
	// A store may return more, in order: PageOf keeps what was asked.
	Limit int
}

// KeyLess reports whether a comes before b: by registration, then reference.
func KeyLess(a, b transaction.Key) bool {
	if a.RegistrationID != b.RegistrationID {
		return a.RegistrationID < b.RegistrationID
	}
	return a.ReferenceID < b.ReferenceID
}

// PageOf is the part of sorted, a listing's answer, that f asks for: those
// after f.After, at most f.Limit of them. A store that pages itself
// answers just that, which PageOf keeps as it is.
func PageOf(sorted []Transaction, f Filter) []Transaction {
	if f.After != nil {
		i := sort.Search(len(sorted), func(i int) bool { return KeyLess(*f.After, sorted[i].Key) })
		sorted = sorted[i:]
	}
	if f.Limit > 0 && len(sorted) > f.Limit {
		sorted = sorted[:f.Limit]
	}
	return sorted
}

func (f Filter) match(t *Transaction) bool {
	return (f.RegistrationID == "" || t.RegistrationID == f.RegistrationID) &&
		(f.State == "" || t.State == f.State) &&
		(f.After == nil || KeyLess(*f.After, t.Key))
}

// UpdateFunc computes a transaction's new value from its current one (found
// is false when there is none). Returning an error writes nothing.
type UpdateFunc func(current Transaction, found bool) (Transaction, error)

// Store keeps transactions. Every method is safe for concurrent use, and
// Update is atomic for its key: concurrent updates of one transaction apply
// one after the other, each seeing the last one's result.
type Store interface {
	Get(ctx context.Context, key transaction.Key) (Transaction, error)
	Put(ctx context.Context, t Transaction) error
	Delete(ctx context.Context, key transaction.Key) error
	List(ctx context.Context, f Filter) ([]Transaction, error)
	Update(ctx context.Context, key transaction.Key, fn UpdateFunc) (Transaction, error)
	Count(ctx context.Context) (int, error)
	// Counts is how many transactions the store holds in each state, read
	// from counters the store keeps as it changes, never by listing it: it
	// costs the same whatever the number of transactions. Every state of
	// transaction.States is a key, with 0 when none is in it.
	Counts(ctx context.Context) (map[transaction.State]int, error)
	// Replace changes the whole store at once, as r says: every reader sees
	// the store as it was before or as it is after, never between, and a
	// persistent store commits the change as one durable write, so a crash
	// leaves one or the other.
	Replace(ctx context.Context, r Replacement) error
}

// EnquiryCounter is a Store that counts an enquiry of a count-only
// transaction (Transaction.CountOnly) itself, in one atomic step, instead of
// reading the transaction, answering the enquiry and writing it back: a
// shared store then spares the round trips and the retries of its
// compare-and-set.
type EnquiryCounter interface {
	// UpdateEnquiry is Update of fn, an enquiry (Service.Enquire), except
	// that a transaction stored count-only is counted without fn: one more
	// Enquiries and StateEnquiries, what Transaction.Enquire does to it.
	UpdateEnquiry(ctx context.Context, key transaction.Key, fn UpdateFunc) (Transaction, error)
}

// Replacement is a change to the whole store, which Store.Replace makes at
// once: a reset to the fixtures, or a reload of them.
type Replacement struct {
	// Keep says which stored transactions stay; nil keeps none.
	Keep func(Transaction) bool
	// Add are put where no kept transaction has their key.
	Add []Transaction
	// Records are collections put in place of every record they held; a
	// record with a nil Value is left out.
	Records map[string][]Record
	// Settings are saved with the transactions.
	Settings map[string][]byte
	// Made, when not nil, runs once the change is made and before any
	// Update sees it, so an Update reads what Made changes (the clock)
	// together with the new transactions. A persistent store runs it just
	// before the commit; if Replace then fails, the caller undoes it.
	Made func()
}

// kept reports whether t stays through the replacement.
func (r *Replacement) kept(t *Transaction) bool { return r.Keep != nil && r.Keep(*t) }

var (
	_ Store              = (*MemoryStore)(nil)
	_ ConditionalDeleter = (*MemoryStore)(nil)
)

const memoryShards = 64

// MemoryStore keeps transactions in memory, sharded by key so that enquiries
// of unrelated transactions do not wait on one another.
type MemoryStore struct {
	shards [memoryShards]memoryShard
	// replaceMu keeps List and Count from straddling a Replace: they hold
	// it for reading, Replace for writing. A single key's methods need only
	// its shard's lock, which Replace also holds, every shard at once.
	replaceMu sync.RWMutex

	// settingsMu guards the settings and the records.
	settingsMu sync.Mutex
	settings   map[string][]byte
	records    map[string]map[string][]byte
}

type memoryShard struct {
	mu  sync.Mutex
	txs map[transaction.Key]*Transaction
	// counts is the shard's transactions by state, kept with txs under mu.
	counts StateCounts
}

// StateCounts counts transactions by state, a slot per state of
// transaction.States in order and a last one for any other state, so that
// keeping it up to date on every write costs no map operation.
type StateCounts [maxStates + 1]int

// maxStates bounds transaction.States, so StateCounts can be an array.
const maxStates = 7

func init() {
	if len(transaction.States) > maxStates {
		panic("recharge: StateCounts has too few slots for transaction.States")
	}
}

// stateSlot is s's slot in StateCounts.
func stateSlot(s transaction.State) int {
	for i, st := range transaction.States {
		if st == s {
			return i
		}
	}
	return maxStates
}

// Add counts one transaction more (n = 1) or less (n = -1) in state s.
func (c *StateCounts) Add(s transaction.State, n int) { c[stateSlot(s)] += n }

// Map is c as Store.Counts answers it: every state of transaction.States.
func (c *StateCounts) Map() map[transaction.State]int {
	m := make(map[transaction.State]int, len(transaction.States))
	for i, st := range transaction.States {
		m[st] = c[i]
	}
	return m
}

// countStates counts txs by state.
func countStates(txs map[transaction.Key]*Transaction) StateCounts {
	var c StateCounts
	for _, t := range txs {
		c.Add(t.State, 1)
	}
	return c
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{}
	for i := range s.shards {
		s.shards[i].txs = make(map[transaction.Key]*Transaction)
	}
	return s
}

func (s *MemoryStore) shard(k transaction.Key) *memoryShard { return &s.shards[s.shardIndex(k)] }

func (s *MemoryStore) shardIndex(k transaction.Key) uint64 {
	return memo.Strings(k.RegistrationID, k.ReferenceID) % memoryShards
}

func (s *MemoryStore) Get(_ context.Context, key transaction.Key) (Transaction, error) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t, ok := sh.txs[key]
	if !ok {
		return Transaction{}, transaction.Errorf(transaction.ENOTFOUND, "no transaction %s", key)
	}
	return *t, nil
}

func (s *MemoryStore) Put(_ context.Context, t Transaction) error {
	sh := s.shard(t.Key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if old, ok := sh.txs[t.Key]; ok {
		sh.counts.Add(old.State, -1)
	}
	sh.txs[t.Key] = &t
	sh.counts.Add(t.State, 1)
	return nil
}

func (s *MemoryStore) Delete(_ context.Context, key transaction.Key) error {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	old, ok := sh.txs[key]
	if !ok {
		return transaction.Errorf(transaction.ENOTFOUND, "no transaction %s", key)
	}
	sh.counts.Add(old.State, -1)
	delete(sh.txs, key)
	return nil
}

// List with a Limit copies no more than Limit transactions, whatever the
// store holds: it keeps the first ones in a bounded heap as it goes.
func (s *MemoryStore) List(_ context.Context, f Filter) ([]Transaction, error) {
	s.replaceMu.RLock()
	defer s.replaceMu.RUnlock()
	var out []Transaction
	var first firstTransactions
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, t := range sh.txs {
			switch {
			case !f.match(t):
			case f.Limit > 0:
				first.offer(t, f.Limit)
			default:
				out = append(out, *t)
			}
		}
		sh.mu.Unlock()
	}
	if f.Limit > 0 {
		out = first.txs
	}
	SortTransactions(out)
	return out, nil
}

// firstTransactions keeps the first transactions offered, in key order, as
// a max-heap: the last of those kept is at the top, the one to drop when an
// earlier one comes.
type firstTransactions struct{ txs []Transaction }

func (h *firstTransactions) Len() int           { return len(h.txs) }
func (h *firstTransactions) Less(i, j int) bool { return KeyLess(h.txs[j].Key, h.txs[i].Key) }
func (h *firstTransactions) Swap(i, j int)      { h.txs[i], h.txs[j] = h.txs[j], h.txs[i] }
func (h *firstTransactions) Push(x any)         { h.txs = append(h.txs, x.(Transaction)) }
func (h *firstTransactions) Pop() any {
	last := h.txs[len(h.txs)-1]
	h.txs = h.txs[:len(h.txs)-1]
	return last
}

// offer keeps a copy of t if it is among the first limit offered so far.
func (h *firstTransactions) offer(t *Transaction, limit int) {
	switch {
	case len(h.txs) < limit:
		heap.Push(h, *t)
	case KeyLess(t.Key, h.txs[0].Key):
		h.txs[0] = *t
		heap.Fix(h, 0)
	}
}

func (s *MemoryStore) Update(_ context.Context, key transaction.Key, fn UpdateFunc) (Transaction, error) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	var current Transaction
	cur, found := sh.txs[key]
	if found {
		current = *cur
	}
	next, err := fn(current, found)
	if err != nil {
		return Transaction{}, err
	}
	next.Key = key
	if found && cur.State != next.State {
		sh.counts.Add(cur.State, -1)
		sh.counts.Add(next.State, 1)
	} else if !found {
		sh.counts.Add(next.State, 1)
	}
	if found {
		// Overwriting in place spares an allocation per enquiry; nothing
		// outside the lock holds the pointer, since readers get copies.
		*cur = next
	} else {
		// A copy of its own keeps next, returned by value, off the heap.
		stored := next
		sh.txs[key] = &stored
	}
	return next, nil
}

// DeleteIf deletes the transaction at key if it exists and cond accepts it.
func (s *MemoryStore) DeleteIf(_ context.Context, key transaction.Key, cond func(Transaction) bool) (bool, error) {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t, ok := sh.txs[key]
	if !ok || !cond(*t) {
		return false, nil
	}
	sh.counts.Add(t.State, -1)
	delete(sh.txs, key)
	return true, nil
}

func (s *MemoryStore) Count(context.Context) (int, error) {
	s.replaceMu.RLock()
	defer s.replaceMu.RUnlock()
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.txs)
		sh.mu.Unlock()
	}
	return n, nil
}

// Counts sums the shards' counters: its cost is the shards' and the
// states', whatever the number of transactions.
func (s *MemoryStore) Counts(context.Context) (map[transaction.State]int, error) {
	s.replaceMu.RLock()
	defer s.replaceMu.RUnlock()
	var total StateCounts
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for j, n := range sh.counts {
			total[j] += n
		}
		sh.mu.Unlock()
	}
	return total.Map(), nil
}

// Replace builds the new shards aside when it keeps nothing, then swaps
// them in while it holds every shard's lock, so no reader or writer of any
// key sees part of the change; one that ran before is overwritten by it.
func (s *MemoryStore) Replace(_ context.Context, r Replacement) error {
	var fresh [memoryShards]map[transaction.Key]*Transaction
	if r.Keep == nil {
		s.fillShards(&fresh, r.Add)
	}
	s.replaceMu.Lock()
	defer s.replaceMu.Unlock()
	for i := range s.shards {
		s.shards[i].mu.Lock()
		defer s.shards[i].mu.Unlock()
	}
	if r.Keep != nil {
		for i := range s.shards {
			fresh[i] = make(map[transaction.Key]*Transaction, len(s.shards[i].txs))
			for k, t := range s.shards[i].txs {
				if r.kept(t) {
					fresh[i][k] = t
				}
			}
		}
		s.fillShards(&fresh, r.Add)
	}
	if err := s.replaceSettings(r); err != nil {
		return err
	}
	for i := range s.shards {
		s.shards[i].txs = fresh[i]
		s.shards[i].counts = countStates(fresh[i])
	}
	if r.Made != nil {
		r.Made()
	}
	return nil
}

// fillShards puts each of add in its shard of fresh, unless one is there.
func (s *MemoryStore) fillShards(fresh *[memoryShards]map[transaction.Key]*Transaction, add []Transaction) {
	for i := range fresh {
		if fresh[i] == nil {
			fresh[i] = make(map[transaction.Key]*Transaction, len(add)/memoryShards+1)
		}
	}
	for _, t := range add {
		m := fresh[s.shardIndex(t.Key)]
		if _, ok := m[t.Key]; !ok {
			stored := t
			m[t.Key] = &stored
		}
	}
}

// replaceSettings saves r's records and settings; nothing when one is invalid.
func (s *MemoryStore) replaceSettings(r Replacement) error {
	for _, records := range r.Records {
		for _, rec := range records {
			if rec.Key == "" {
				return transaction.Errorf(transaction.EINVALID, "a record needs a key")
			}
		}
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	for name, records := range r.Records {
		if s.records == nil {
			s.records = make(map[string]map[string][]byte)
		}
		c := make(map[string][]byte, len(records))
		for _, rec := range records {
			if rec.Value != nil {
				c[rec.Key] = slices.Clone(rec.Value)
			}
		}
		s.records[name] = c
	}
	for name, value := range r.Settings {
		if s.settings == nil {
			s.settings = make(map[string][]byte)
		}
		s.settings[name] = slices.Clone(value)
	}
	return nil
}

// SortTransactions orders transactions by registration, then reference.
func SortTransactions(txs []Transaction) {
	sort.Slice(txs, func(i, j int) bool {
		if txs[i].RegistrationID != txs[j].RegistrationID {
			return txs[i].RegistrationID < txs[j].RegistrationID
		}
		return txs[i].ReferenceID < txs[j].ReferenceID
	})
}

// Settings keeps the sandbox's own state beside the transactions (the
// virtual clock, fault rules), so a persistent store keeps it across restarts.
type Settings interface {
	LoadSetting(ctx context.Context, name string) (value []byte, found bool, err error)
	SaveSetting(ctx context.Context, name string, value []byte) error
}

var _ Settings = (*MemoryStore)(nil)

// WriteHealth is a Store that knows whether it can keep what it is told:
// WriteError is the error of its latest write when that failed for want of
// storage (a full disk, an I/O error), nil once a write succeeds again. A
// health check answers unavailable while it is not nil.
type WriteHealth interface {
	WriteError() error
}

// LoadSetting reads a setting saved by SaveSetting.
func (s *MemoryStore) LoadSetting(_ context.Context, name string) ([]byte, bool, error) {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	v, ok := s.settings[name]
	return append([]byte(nil), v...), ok, nil
}

// SaveSetting stores a setting.
func (s *MemoryStore) SaveSetting(_ context.Context, name string, value []byte) error {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if s.settings == nil {
		s.settings = make(map[string][]byte)
	}
	s.settings[name] = append([]byte(nil), value...)
	return nil
}
