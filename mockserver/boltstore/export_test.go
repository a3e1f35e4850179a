package boltstore

import (
	"time"

	bolt "go.etcd.io/bbolt"
)

// OpenCapped opens a store whose file may not grow past maxBytes, as a full
// disk would stop it, with a clock of the test's for rate limiting.
func OpenCapped(path string, maxBytes int, now func() time.Time) (*Store, error) {
	s, err := open(path, bolt.Options{MaxSize: maxBytes})
	if err != nil {
		return nil, err
	}
	s.health.now = now
	return s, nil
}

// PagesWritten is how many pages the store's commits have written.
func PagesWritten(s *Store) int64 {
	st := s.db.Stats()
	return st.TxStats.GetWrite()
}

// DropCounts removes the counts record, as a file written before it was
// kept lacks it.
func DropCounts(s *Store) error {
	return s.db.Update(func(tx *bolt.Tx) error { return tx.Bucket(metaBucket).Delete(countsKey) })
}
