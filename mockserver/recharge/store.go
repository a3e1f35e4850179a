package recharge

import (
	"context"
	"hash/maphash"
	"sort"
	"sync"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Filter narrows a listing; empty fields match everything.
type Filter struct {
	RegistrationID string
	State          transaction.State
}

func (f Filter) match(t *Transaction) bool {
	return (f.RegistrationID == "" || t.RegistrationID == f.RegistrationID) &&
		(f.State == "" || t.State == f.State)
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
}

var (
	_ Store              = (*MemoryStore)(nil)
	_ ConditionalDeleter = (*MemoryStore)(nil)
)

const memoryShards = 64

// MemoryStore keeps transactions in memory, sharded by key so that enquiries
// of unrelated transactions do not wait on one another.
type MemoryStore struct {
	seed   maphash.Seed
	shards [memoryShards]memoryShard

	// settingsMu guards the settings and the records.
	settingsMu sync.Mutex
	settings   map[string][]byte
	records    map[string]map[string][]byte
}

type memoryShard struct {
	mu  sync.Mutex
	txs map[transaction.Key]*Transaction
}

// NewMemoryStore returns an empty store.
func NewMemoryStore() *MemoryStore {
	s := &MemoryStore{seed: maphash.MakeSeed()}
	for i := range s.shards {
		s.shards[i].txs = make(map[transaction.Key]*Transaction)
	}
	return s
}

func (s *MemoryStore) shard(k transaction.Key) *memoryShard {
	var h maphash.Hash
	h.SetSeed(s.seed)
	h.WriteString(k.RegistrationID)
	h.WriteByte(0)
	h.WriteString(k.ReferenceID)
	return &s.shards[h.Sum64()%memoryShards]
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
	sh.txs[t.Key] = &t
	return nil
}

func (s *MemoryStore) Delete(_ context.Context, key transaction.Key) error {
	sh := s.shard(key)
	sh.mu.Lock()
	defer sh.mu.Unlock()
	if _, ok := sh.txs[key]; !ok {
		return transaction.Errorf(transaction.ENOTFOUND, "no transaction %s", key)
	}
	delete(sh.txs, key)
	return nil
}

func (s *MemoryStore) List(_ context.Context, f Filter) ([]Transaction, error) {
	var out []Transaction
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		for _, t := range sh.txs {
			if f.match(t) {
				out = append(out, *t)
			}
		}
		sh.mu.Unlock()
	}
	SortTransactions(out)
	return out, nil
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
	delete(sh.txs, key)
	return true, nil
}

func (s *MemoryStore) Count(context.Context) (int, error) {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += len(sh.txs)
		sh.mu.Unlock()
	}
	return n, nil
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
