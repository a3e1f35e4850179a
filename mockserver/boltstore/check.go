package boltstore

import (
	"errors"
	"fmt"
	"hash/crc32"
	"os"
	"runtime/debug"

	bolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// CorruptError reports a state file whose content cannot be trusted: cut
// short, overwritten, or not a bbolt file at all.
type CorruptError struct {
	Path   string
	Reason string
}

func (e *CorruptError) Error() string {
	return fmt.Sprintf("state file %s is corrupt: %s; move it aside or restore a backup", e.Path, e.Reason)
}

// damaged is what a read of damaged data panicked with: bbolt trusts the
// file and, on damage, fails an assertion, indexes out of range or touches
// memory past the end of its mapping.
type damaged struct{ value any }

func (d damaged) Error() string {
	// A memory fault's panic value tells where it faulted.
	if _, ok := d.value.(interface{ Addr() uintptr }); ok {
		return "a page refers to data outside the file"
	}
	return fmt.Sprintf("damaged data (%v)", d.value)
}

// inconsistent is a finding of bbolt's consistency check.
type inconsistent struct{ error }

// guarded runs fn where reading damaged data cannot bring the process down:
// in a goroutine of its own that turns a memory fault on the mapped file
// into a panic, and the panic into an error.
func guarded(fn func() error) error {
	done := make(chan error, 1)
	go func() {
		debug.SetPanicOnFault(true)
		defer func() {
			if r := recover(); r != nil {
				done <- damaged{r}
			}
		}()
		done <- fn()
	}()
	return <-done
}

// isCorruption reports whether err, from opening or reading the file, says
// its content is damaged rather than that it could not be reached.
func isCorruption(err error) bool {
	var (
		d damaged
		i inconsistent
	)
	return errors.As(err, &d) || errors.As(err, &i) ||
		errors.Is(err, berrors.ErrInvalid) ||
		errors.Is(err, berrors.ErrChecksum) ||
		errors.Is(err, berrors.ErrVersionMismatch) ||
		errors.Is(err, berrors.ErrInvalidMapping)
}

// verify reads every page and item of the file at path, read-only, and
// fails with a *CorruptError if any is damaged. The check runs before the
// file is opened for writing, which would trust its free-page list, and
// before anything is served from it.
func verify(path string) error {
	info, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("open state file %s: %w", path, err)
	}
	db, err := openBolt(path, bolt.Options{ReadOnly: true, Timeout: LockTimeout})
	if err != nil {
		return err
	}
	defer db.Close()
	err = guarded(func() error {
		return db.View(func(tx *bolt.Tx) error {
			if tx.Size() > info.Size() {
				return fmt.Errorf("its pages reach byte %d but the file has %d bytes: it was cut short", tx.Size(), info.Size())
			}
			return tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				if b == nil {
					return fmt.Errorf("top-level entry %q is not a bucket", name)
				}
				return readBucket(name, b)
			})
		})
	})
	if err != nil {
		return &CorruptError{Path: path, Reason: err.Error()}
	}
	return nil
}

// readBucket reads every key and value of b and of the buckets it holds,
// decoding transactions, so that damage anywhere shows now.
func readBucket(name []byte, b *bolt.Bucket) error {
	return b.ForEach(func(k, v []byte) error {
		if v == nil {
			if child := b.Bucket(k); child != nil {
				return readBucket(k, child)
			}
			return nil
		}
		if string(name) == string(transactionsBucket) {
			_, err := decode(k, v)
			return err
		}
		// Other values are not the store's to decode; reading each byte
		// is what shows damage.
		_ = crc32.ChecksumIEEE(v)
		return nil
	})
}

// checkConsistency runs bbolt's own check of the page tree and free-page
// list, which finds pages lost or used twice; its first finding is the
// reason given.
func checkConsistency(db *bolt.DB) error {
	var first error
	more := 0
	err := db.View(func(tx *bolt.Tx) error {
		for err := range tx.Check() {
			if first == nil {
				first = err
			} else {
				more++
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	switch {
	case first == nil:
		return nil
	case more > 0:
		return inconsistent{fmt.Errorf("%w (and %d more problems)", first, more)}
	}
	return inconsistent{first}
}

// openBolt opens the bbolt file at path where damage in it cannot crash the
// process, and words the failure: ErrInUse when another process holds it, a
// *CorruptError when its content is damaged.
func openBolt(path string, options bolt.Options) (*bolt.DB, error) {
	var db *bolt.DB
	err := guarded(func() error {
		var err error
		db, err = bolt.Open(path, 0o600, &options)
		return err
	})
	if errors.Is(err, bolt.ErrTimeout) {
		return nil, fmt.Errorf("open %s: %w (no lock within %s)", path, ErrInUse, LockTimeout)
	}
	if err != nil {
		return nil, openError(path, err)
	}
	return db, nil
}

// openError words a failure to open the file, as corruption when it is.
func openError(path string, err error) error {
	if isCorruption(err) {
		return &CorruptError{Path: path, Reason: err.Error()}
	}
	return fmt.Errorf("open state file %s: %w", path, err)
}
