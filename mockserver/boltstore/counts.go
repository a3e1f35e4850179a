package boltstore

import (
	"context"
	"encoding/json"
	"fmt"

	bolt "go.etcd.io/bbolt"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var (
	// metaBucket holds what the store keeps about its transactions.
	metaBucket = []byte("meta")
	// countsKey is the transactions by state, a JSON object of state names,
	// changed in the same write transaction as the transactions it counts,
	// so that Counts never lists the store.
	countsKey = []byte("counts")
)

// stateCounts counts transactions by state name; any state is kept, so a
// count is never lost to a state this release does not know.
type stateCounts map[transaction.State]int

func readCounts(tx *bolt.Tx) (stateCounts, error) {
	c := stateCounts{}
	v := tx.Bucket(metaBucket).Get(countsKey)
	if v == nil {
		return c, nil
	}
	if err := json.Unmarshal(v, &c); err != nil {
		return nil, fmt.Errorf("stored transaction counts: %w", err)
	}
	return c, nil
}

func writeCounts(tx *bolt.Tx, c stateCounts) error {
	for st, n := range c {
		if n == 0 {
			delete(c, st)
		}
	}
	v, err := json.Marshal(c)
	if err != nil {
		return err
	}
	return tx.Bucket(metaBucket).Put(countsKey, v)
}

// countChange is a transaction more (n = 1) or less (n = -1) in a state.
type countChange struct {
	state transaction.State
	n     int
}

// adjustCounts applies changes to the counts record within tx.
func adjustCounts(tx *bolt.Tx, changes ...countChange) error {
	if len(changes) == 0 {
		return nil
	}
	c, err := readCounts(tx)
	if err != nil {
		return err
	}
	for _, ch := range changes {
		c[ch.state] += ch.n
	}
	return writeCounts(tx, c)
}

// stateOf reads the state of a stored transaction.
func stateOf(key, value []byte) (transaction.State, error) {
	var t struct {
		State transaction.State `json:"state"`
	}
	if err := json.Unmarshal(value, &t); err != nil {
		_, derr := decode(key, value)
		return "", derr
	}
	return t.State, nil
}

// countAll counts the stored transactions by state, reading each: a file
// written before the counts record was kept gets it so, once, at Open.
func countAll(tx *bolt.Tx) (stateCounts, error) {
	c := stateCounts{}
	err := tx.Bucket(transactionsBucket).ForEach(func(k, v []byte) error {
		st, err := stateOf(k, v)
		c[st]++
		return err
	})
	return c, err
}

// prepareCounts makes the counts record when the file lacks it.
func prepareCounts(tx *bolt.Tx) error {
	b, err := tx.CreateBucketIfNotExists(metaBucket)
	if err != nil {
		return err
	}
	if b.Get(countsKey) != nil {
		return nil
	}
	c, err := countAll(tx)
	if err != nil {
		return err
	}
	return writeCounts(tx, c)
}

// Counts reads the counts record: one small value, whatever the number of
// transactions.
func (s *Store) Counts(context.Context) (map[transaction.State]int, error) {
	out := make(map[transaction.State]int, len(transaction.States))
	err := s.db.View(func(tx *bolt.Tx) error {
		c, err := readCounts(tx)
		for _, st := range transaction.States {
			out[st] = c[st]
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
