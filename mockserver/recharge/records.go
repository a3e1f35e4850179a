package recharge

import (
	"context"
	"errors"
	"slices"
	"strings"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Record is one item of a collection that Records keeps.
type Record struct {
	Key string
	// Value is the record's content; nil, in a change, removes the record.
	Value []byte
}

// Records keeps collections of small records beside the transactions (the
// fault rules), each record written on its own: a change to one record
// writes that record alone, not its whole collection.
type Records interface {
	// LoadRecords reads every record of collection, in key order.
	LoadRecords(ctx context.Context, collection string) ([]Record, error)
	// WriteRecords changes collection in one durable write: with replace,
	// every record of it is removed first; then each change is applied in
	// order, a nil Value removing its key.
	WriteRecords(ctx context.Context, collection string, replace bool, changes []Record) error
}

var _ Records = (*MemoryStore)(nil)

// LoadRecords reads every record of collection, in key order.
func (s *MemoryStore) LoadRecords(_ context.Context, collection string) ([]Record, error) {
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	out := make([]Record, 0, len(s.records[collection]))
	for k, v := range s.records[collection] {
		out = append(out, Record{Key: k, Value: slices.Clone(v)})
	}
	slices.SortFunc(out, func(a, b Record) int { return strings.Compare(a.Key, b.Key) })
	return out, nil
}

// WriteRecords changes collection at once.
func (s *MemoryStore) WriteRecords(_ context.Context, collection string, replace bool, changes []Record) error {
	for _, r := range changes {
		if r.Key == "" {
			return transaction.Errorf(transaction.EINVALID, "a record needs a key")
		}
	}
	s.settingsMu.Lock()
	defer s.settingsMu.Unlock()
	if s.records == nil {
		s.records = make(map[string]map[string][]byte)
	}
	c := s.records[collection]
	if c == nil || replace {
		c = make(map[string][]byte, len(changes))
		s.records[collection] = c
	}
	for _, r := range changes {
		if r.Value == nil {
			delete(c, r.Key)
			continue
		}
		c[r.Key] = slices.Clone(r.Value)
	}
	return nil
}

// Shared is a store that several sandbox processes use at once (Redis).
// Version changes whenever any of them changes a setting or a record
// collection, so each rereads the clock and the fault rules before it
// answers a request of its own.
//
// Version answers ErrLost once the store holds nothing of the sandbox any
// more: its server restarted without persistence, or it was emptied.
type Shared interface {
	Version(ctx context.Context) (int64, error)
}

// ErrLost is a Shared store's answer once it lost the sandbox's state. The
// processes sharing it then put their fixtures back, as a reload does.
var ErrLost = errors.New("the shared store holds none of the sandbox's state: its server restarted without persistence, or it was emptied")

// RecordUpdater is a Records shared by several processes that can change
// one record atomically with respect to all of them: fn computes the new
// value (nil removes the record) from the current one (nil when there is
// none), and runs again when another process changed the record meanwhile.
type RecordUpdater interface {
	UpdateRecord(ctx context.Context, collection, key string, fn func(current []byte) ([]byte, error)) error
}
