package boltstore

import (
	"context"
	"encoding/json"

	bolt "go.etcd.io/bbolt"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// encoded is a transaction as the file keeps it.
type encoded struct {
	key, value []byte
	state      transaction.State
}

// Replace makes the whole change in one bbolt write transaction, committed
// with fsync: Update waits for it, a reader sees the file before or after
// it, and a crash leaves one or the other. The new transactions, records
// and settings are encoded before the write begins, so the writer lock is
// held only to apply them.
func (s *Store) Replace(_ context.Context, r recharge.Replacement) error {
	add := make([]encoded, 0, len(r.Add))
	for _, t := range r.Add {
		k, err := encodeKey(t.Key)
		if err != nil {
			return err
		}
		v, err := json.Marshal(t)
		if err != nil {
			return err
		}
		add = append(add, encoded{k, v, t.State})
	}
	for name, records := range r.Records {
		if name == "" {
			return transaction.Errorf(transaction.EINVALID, "a collection needs a name")
		}
		for _, rec := range records {
			if rec.Key == "" {
				return transaction.Errorf(transaction.EINVALID, "a record needs a key")
			}
		}
	}
	for name := range r.Settings {
		if name == "" {
			return transaction.Errorf(transaction.EINVALID, "a setting needs a name")
		}
	}
	return s.update(func(tx *bolt.Tx) error {
		if err := replaceTransactions(tx, r.Keep, add); err != nil {
			return err
		}
		if err := replaceRecords(tx, r.Records); err != nil {
			return err
		}
		settings := tx.Bucket(settingsBucket)
		for name, value := range r.Settings {
			if value == nil {
				// bbolt reads a nil value back as missing.
				value = []byte{}
			}
			if err := settings.Put([]byte(name), value); err != nil {
				return err
			}
		}
		if r.Made != nil {
			r.Made()
		}
		return nil
	})
}

// replaceTransactions keeps the transactions keep accepts (none when it is
// nil) and puts each of add whose key no kept one has, counting them by
// state in the counts record.
func replaceTransactions(tx *bolt.Tx, keep func(recharge.Transaction) bool, add []encoded) error {
	b := tx.Bucket(transactionsBucket)
	counts := stateCounts{}
	if keep == nil {
		// Dropping the bucket frees its pages at once, where deleting
		// its keys one by one would rewrite each page.
		if err := tx.DeleteBucket(transactionsBucket); err != nil {
			return err
		}
		var err error
		if b, err = tx.CreateBucket(transactionsBucket); err != nil {
			return err
		}
	} else {
		var drop [][]byte
		err := b.ForEach(func(k, v []byte) error {
			t, err := decode(k, v)
			if err != nil {
				return err
			}
			if keep(t) {
				counts[t.State]++
			} else {
				// bbolt's memory is valid only within the transaction,
				// and a cursor must not delete under itself.
				drop = append(drop, append([]byte(nil), k...))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range drop {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
	}
	for _, e := range add {
		if b.Get(e.key) != nil {
			continue
		}
		if err := b.Put(e.key, e.value); err != nil {
			return err
		}
		counts[e.state]++
	}
	return writeCounts(tx, counts)
}

// replaceRecords puts each collection's records in place of its old ones.
func replaceRecords(tx *bolt.Tx, collections map[string][]recharge.Record) error {
	parent := tx.Bucket(recordsBucket)
	for name, records := range collections {
		if parent.Bucket([]byte(name)) != nil {
			if err := parent.DeleteBucket([]byte(name)); err != nil {
				return err
			}
		}
		b, err := parent.CreateBucket([]byte(name))
		if err != nil {
			return err
		}
		for _, rec := range records {
			if rec.Value == nil {
				continue
			}
			if err := b.Put([]byte(rec.Key), rec.Value); err != nil {
				return err
			}
		}
	}
	return nil
}
