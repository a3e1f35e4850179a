package boltstore

import (
	"bytes"
	"context"

	bolt "go.etcd.io/bbolt"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// LoadRecords reads every record of collection, in key order.
func (s *Store) LoadRecords(_ context.Context, collection string) ([]recharge.Record, error) {
	var out []recharge.Record
	err := s.db.View(func(tx *bolt.Tx) error {
		b := tx.Bucket(recordsBucket).Bucket([]byte(collection))
		if b == nil {
			return nil
		}
		return b.ForEach(func(k, v []byte) error {
			// bbolt's memory is valid only within the transaction.
			out = append(out, recharge.Record{Key: string(k), Value: bytes.Clone(v)})
			return nil
		})
	})
	return out, err
}

// WriteRecords changes collection in one write transaction, committed with
// fsync: a record written alone costs the pages on its path, not the
// collection's.
func (s *Store) WriteRecords(_ context.Context, collection string, replace bool, changes []recharge.Record) error {
	if collection == "" {
		return transaction.Errorf(transaction.EINVALID, "a collection needs a name")
	}
	for _, r := range changes {
		if r.Key == "" {
			return transaction.Errorf(transaction.EINVALID, "a record needs a key")
		}
	}
	return s.update(func(tx *bolt.Tx) error {
		parent := tx.Bucket(recordsBucket)
		name := []byte(collection)
		if replace && parent.Bucket(name) != nil {
			if err := parent.DeleteBucket(name); err != nil {
				return err
			}
		}
		b, err := parent.CreateBucketIfNotExists(name)
		if err != nil {
			return err
		}
		for _, r := range changes {
			if r.Value == nil {
				err = b.Delete([]byte(r.Key))
			} else {
				err = b.Put([]byte(r.Key), r.Value)
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
}
