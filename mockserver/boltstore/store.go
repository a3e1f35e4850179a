// Package boltstore keeps the sandbox's transactions and settings in an
// embedded bbolt file, so that its state survives a restart or a crash.
//
// Every write is one bbolt transaction committed with fsync before the method
// returns: once a caller has seen a write succeed, the write is on disk, and
// a process killed at any instant leaves a file that reopens with every
// acknowledged write and no half-done one.
package boltstore

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var (
	_ recharge.Store              = (*Store)(nil)
	_ recharge.Settings           = (*Store)(nil)
	_ recharge.ConditionalDeleter = (*Store)(nil)
	_ recharge.Records            = (*Store)(nil)
)

var (
	transactionsBucket = []byte("transactions")
	settingsBucket     = []byte("settings")
	// recordsBucket holds a bucket per collection of recharge.Records.
	recordsBucket = []byte("records")
)

// LockTimeout is how long Open waits for the file lock another process
// holds before it gives up.
const LockTimeout = time.Second

// ErrInUse is returned by Open when another process holds the file.
var ErrInUse = errors.New("state file is in use by another process")

// Store is a recharge.Store and recharge.Settings backed by a bbolt file.
// Transactions are JSON documents keyed by registration ID, a NUL byte and
// reference ID, so the file's key order is the order of
// recharge.SortTransactions; a registration ID holding a NUL byte is refused.
type Store struct {
	db     *bolt.DB
	path   string
	health writeHealth
}

// Open opens the state file at path, creating it when missing; a missing or
// empty file starts an empty store. It fails within LockTimeout with
// ErrInUse when another process has it open, and with a *CorruptError when
// any page or item of the file is damaged: every one is read before Open
// returns, so a damaged file is refused at start rather than crashing the
// process later.
func Open(path string) (*Store, error) {
	return open(path, bolt.Options{})
}

// open is Open with bbolt options; the lock timeout is always LockTimeout.
func open(path string, options bolt.Options) (*Store, error) {
	options.Timeout = LockTimeout
	info, err := os.Stat(path)
	if err == nil && info.IsDir() {
		return nil, fmt.Errorf("state file %s is a directory: --state names the file to keep the state in, such as %s", path, filepath.Join(path, "state.db"))
	}
	if err == nil && info.Size() > 0 {
		if err := verify(path); err != nil {
			return nil, err
		}
	}
	db, err := openBolt(path, options)
	if err != nil {
		return nil, err
	}
	if err := guarded(func() error { return prepare(db) }); err != nil {
		db.Close()
		return nil, openError(path, err)
	}
	return &Store{db: db, path: path, health: writeHealth{now: time.Now}}, nil
}

// prepare checks the page tree and free-page list, then makes the buckets a
// new file lacks.
func prepare(db *bolt.DB) error {
	if err := checkConsistency(db); err != nil {
		return err
	}
	return db.Update(func(tx *bolt.Tx) error {
		for _, name := range [][]byte{transactionsBucket, settingsBucket, recordsBucket} {
			if _, err := tx.CreateBucketIfNotExists(name); err != nil {
				return err
			}
		}
		return prepareCounts(tx)
	})
}

// Close releases the file. The store must not be used afterwards.
func (s *Store) Close() error { return s.db.Close() }

// encodeKey is injective because a registration ID with a NUL byte is
// refused: the first NUL always ends the registration ID.
func encodeKey(k transaction.Key) ([]byte, error) {
	if strings.IndexByte(k.RegistrationID, 0) >= 0 {
		return nil, transaction.Errorf(transaction.EINVALID, "registrationId must not contain a NUL byte")
	}
	b := make([]byte, 0, len(k.RegistrationID)+1+len(k.ReferenceID))
	b = append(b, k.RegistrationID...)
	b = append(b, 0)
	b = append(b, k.ReferenceID...)
	return b, nil
}

func decode(key, value []byte) (recharge.Transaction, error) {
	var t recharge.Transaction
	if err := json.Unmarshal(value, &t); err != nil {
		return t, fmt.Errorf("stored transaction %q: %w", bytes.ReplaceAll(key, []byte{0}, []byte("/")), err)
	}
	return t, nil
}

func notFound(k transaction.Key) error {
	return transaction.Errorf(transaction.ENOTFOUND, "no transaction %s", k)
}

func (s *Store) Get(_ context.Context, key transaction.Key) (recharge.Transaction, error) {
	k, err := encodeKey(key)
	if err != nil {
		return recharge.Transaction{}, notFound(key)
	}
	var t recharge.Transaction
	err = s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(transactionsBucket).Get(k)
		if v == nil {
			return notFound(key)
		}
		var err error
		t, err = decode(k, v)
		return err
	})
	if err != nil {
		return recharge.Transaction{}, err
	}
	return t, nil
}

func (s *Store) Put(_ context.Context, t recharge.Transaction) error {
	k, err := encodeKey(t.Key)
	if err != nil {
		return err
	}
	v, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(transactionsBucket)
		changes := []countChange{{t.State, 1}}
		if old := b.Get(k); old != nil {
			st, err := stateOf(k, old)
			if err != nil {
				return err
			}
			changes = append(changes, countChange{st, -1})
		}
		if err := b.Put(k, v); err != nil {
			return err
		}
		return adjustCounts(tx, changes...)
	})
}

func (s *Store) Delete(_ context.Context, key transaction.Key) error {
	k, err := encodeKey(key)
	if err != nil {
		return notFound(key)
	}
	return s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(transactionsBucket)
		v := b.Get(k)
		if v == nil {
			return notFound(key)
		}
		st, err := stateOf(k, v)
		if err != nil {
			return err
		}
		if err := b.Delete(k); err != nil {
			return err
		}
		return adjustCounts(tx, countChange{st, -1})
	})
}

// DeleteIf deletes the transaction at key if it exists and cond accepts it,
// in one write transaction, so no update slips in between the check and the
// delete.
func (s *Store) DeleteIf(_ context.Context, key transaction.Key, cond func(recharge.Transaction) bool) (bool, error) {
	k, err := encodeKey(key)
	if err != nil {
		return false, nil
	}
	deleted := false
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(transactionsBucket)
		v := b.Get(k)
		if v == nil {
			return nil
		}
		t, err := decode(k, v)
		if err != nil {
			return err
		}
		if !cond(t) {
			return nil
		}
		deleted = true
		if err := b.Delete(k); err != nil {
			return err
		}
		return adjustCounts(tx, countChange{t.State, -1})
	})
	if err != nil {
		return false, err
	}
	return deleted, nil
}

func (s *Store) List(_ context.Context, f recharge.Filter) ([]recharge.Transaction, error) {
	var prefix []byte
	if f.RegistrationID != "" {
		k, err := encodeKey(transaction.Key{RegistrationID: f.RegistrationID})
		if err != nil {
			return nil, nil
		}
		prefix = k
	}
	start := prefix
	if f.After != nil {
		after, err := encodeKey(*f.After)
		if err != nil {
			return nil, err
		}
		if bytes.Compare(after, start) >= 0 {
			// The byte after the key's own is the least key greater.
			start = append(after, 0)
		}
	}
	var out []recharge.Transaction
	err := s.db.View(func(tx *bolt.Tx) error {
		c := tx.Bucket(transactionsBucket).Cursor()
		for k, v := c.Seek(start); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			if f.Limit > 0 && len(out) == f.Limit {
				return nil
			}
			t, err := decode(k, v)
			if err != nil {
				return err
			}
			if f.State == "" || t.State == f.State {
				out = append(out, t)
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Update runs fn inside a bbolt write transaction, so it is atomic for its
// key and for every other: bbolt runs one writer at a time. fn must not call
// the store, which would wait for itself.
func (s *Store) Update(_ context.Context, key transaction.Key, fn recharge.UpdateFunc) (recharge.Transaction, error) {
	k, err := encodeKey(key)
	if err != nil {
		return recharge.Transaction{}, err
	}
	var next recharge.Transaction
	err = s.update(func(tx *bolt.Tx) error {
		b := tx.Bucket(transactionsBucket)
		var current recharge.Transaction
		v := b.Get(k)
		if v != nil {
			var err error
			if current, err = decode(k, v); err != nil {
				return err
			}
		}
		updated, err := fn(current, v != nil)
		if err != nil {
			return err
		}
		updated.Key = key
		encoded, err := json.Marshal(updated)
		if err != nil {
			return err
		}
		if err := b.Put(k, encoded); err != nil {
			return err
		}
		var changes []countChange
		if v == nil {
			changes = []countChange{{updated.State, 1}}
		} else if current.State != updated.State {
			changes = []countChange{{current.State, -1}, {updated.State, 1}}
		}
		if err := adjustCounts(tx, changes...); err != nil {
			return err
		}
		next = updated
		return nil
	})
	if err != nil {
		return recharge.Transaction{}, err
	}
	return next, nil
}

func (s *Store) Count(context.Context) (int, error) {
	n := 0
	err := s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(transactionsBucket).Stats().KeyN
		return nil
	})
	return n, err
}

// LoadSetting reads a setting saved by SaveSetting.
func (s *Store) LoadSetting(_ context.Context, name string) ([]byte, bool, error) {
	var (
		value []byte
		found bool
	)
	err := s.db.View(func(tx *bolt.Tx) error {
		v := tx.Bucket(settingsBucket).Get([]byte(name))
		if v != nil {
			// bbolt's memory is valid only within the transaction.
			value, found = bytes.Clone(v), true
		}
		return nil
	})
	return value, found, err
}

// SaveSetting stores a setting durably.
func (s *Store) SaveSetting(_ context.Context, name string, value []byte) error {
	if name == "" {
		return transaction.Errorf(transaction.EINVALID, "a setting needs a name")
	}
	if value == nil {
		// bbolt reads a nil value back as missing.
		value = []byte{}
	}
	return s.update(func(tx *bolt.Tx) error {
		return tx.Bucket(settingsBucket).Put([]byte(name), value)
	})
}
