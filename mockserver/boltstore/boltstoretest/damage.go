// Package boltstoretest makes state files for tests: real ones written
// through boltstore, and the same damaged in the ways disks, copies and
// careless hands damage files.
package boltstoretest

import (
	"context"
	"encoding/binary"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// PageSize is bbolt's page size on the machines the tests run on.
var PageSize = os.Getpagesize()

// Sizes of a bbolt page header and of one element (item header) after it.
const (
	pageHeaderSize  = 16
	itemHeaderSize  = 16
	writeBatch      = 200
	sampleCreatedAt = "2026-03-05T12:00:00Z"
)

var padding = strings.Repeat("sample ", 250)

// WriteState writes a state file at path through boltstore, as the sandbox
// does, until its pages take at least minBytes, then deletes one
// transaction in ten so that it has free pages too.
func WriteState(path string, minBytes int64) error {
	created, _ := time.Parse(time.RFC3339, sampleCreatedAt)
	var written []transaction.Key
	for n := 0; ; n++ {
		size, err := dataSize(path)
		if err != nil {
			return err
		}
		if size >= minBytes {
			break
		}
		s, err := boltstore.Open(path)
		if err != nil {
			return err
		}
		for i := range writeBatch {
			key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: fmt.Sprintf("SAMPLE-%d-%d", n, i)}
			// The scenario, informative only, pads each value so that
			// few writes make a file of many pages.
			t := recharge.Transaction{Key: key, State: transaction.StateSuccess, Origin: transaction.OriginAuto, Scenario: padding}
			recharge.Generator{Seed: int64(n)}.Fill(&t, created)
			if err := s.Put(context.Background(), t); err != nil {
				s.Close()
				return err
			}
			written = append(written, key)
		}
		if err := s.Close(); err != nil {
			return err
		}
	}
	s, err := boltstore.Open(path)
	if err != nil {
		return err
	}
	for i := 0; i < len(written); i += 10 {
		if err := s.Delete(context.Background(), written[i]); err != nil {
			s.Close()
			return err
		}
	}
	return s.Close()
}

// dataSize is how far the pages of the file at path reach; 0 when there is
// no file yet.
func dataSize(path string) (int64, error) {
	if _, err := os.Stat(path); os.IsNotExist(err) {
		return 0, nil
	}
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true})
	if err != nil {
		return 0, err
	}
	defer db.Close()
	var size int64
	err = db.View(func(tx *bolt.Tx) error {
		size = tx.Size()
		return nil
	})
	return size, err
}

// Damage is one way to damage a state file in place.
type Damage struct {
	Name  string
	Apply func(path string) error
}

// Damages lists the damage a state file must survive being refused for:
// cut short, and garbage or zeros over the headers of every kind of page and
// over the item headers that follow them. Each leaves the file no valid
// bbolt database.
func Damages() []Damage {
	damages := []Damage{
		{"cut to 1 MiB", func(path string) error { return os.Truncate(path, 1<<20) }},
		{"cut to 8 KiB", func(path string) error { return os.Truncate(path, 8<<10) }},
	}
	damages = append(damages, Damage{
		Name: "a flipped bit sending a branch item past the end of the file",
		Apply: func(path string) error {
			id, _, err := pageOfKind(path, "branch")
			if err != nil {
				return err
			}
			// A branch item is its key's position and size (4 bytes
			// each), then the page ID of its child.
			at := int64(id)*int64(PageSize) + pageHeaderSize + 8 + 2
			return flipBit(path, at, 4)
		},
	})
	for _, fill := range []string{"garbage", "zeros"} {
		damages = append(damages, Damage{
			Name: fill + " over both meta pages",
			Apply: func(path string) error {
				return overwrite(path, fill, []span{{0, int64(PageSize)}, {int64(PageSize), int64(PageSize)}})
			},
		})
		for _, kind := range []string{"branch", "leaf", "freelist"} {
			damages = append(damages,
				Damage{
					Name:  fmt.Sprintf("%s over a %s page header", fill, kind),
					Apply: func(path string) error { return overwritePage(path, kind, fill, false) },
				},
				Damage{
					Name:  fmt.Sprintf("%s over a %s page's item headers", fill, kind),
					Apply: func(path string) error { return overwritePage(path, kind, fill, true) },
				})
		}
	}
	return damages
}

type span struct{ offset, length int64 }

// overwritePage overwrites the header of a page of the given kind, or the
// item headers that follow it, with fill. The page chosen is the middle one
// of its kind.
func overwritePage(path, kind, fill string, items bool) error {
	id, count, err := pageOfKind(path, kind)
	if err != nil {
		return err
	}
	at := span{int64(id) * int64(PageSize), pageHeaderSize}
	if items {
		at = span{at.offset + pageHeaderSize, int64(count) * itemHeaderSize}
		if max := int64(PageSize) - pageHeaderSize; at.length > max {
			at.length = max
		}
	}
	return overwrite(path, fill, []span{at})
}

// pageOfKind finds the middle page of a kind with at least one item.
func pageOfKind(path, kind string) (id, count int, err error) {
	db, err := bolt.Open(path, 0o600, &bolt.Options{ReadOnly: true, PreLoadFreelist: true})
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	type page struct{ id, count int }
	var found []page
	err = db.View(func(tx *bolt.Tx) error {
		for i := 2; ; i++ {
			info, err := tx.Page(i)
			if err != nil {
				return err
			}
			if info == nil {
				return nil
			}
			if info.Type == kind && info.Count > 0 {
				found = append(found, page{info.ID, info.Count})
			}
		}
	})
	if err != nil {
		return 0, 0, err
	}
	if len(found) == 0 {
		return 0, 0, fmt.Errorf("%s has no %s page with items", path, kind)
	}
	slices.SortFunc(found, func(a, b page) int { return a.id - b.id })
	p := found[len(found)/2]
	return p.id, p.count, nil
}

// overwrite writes fill over each span of the file: zeros, or garbage that
// is the same for the same file and spans, so a failure can be reproduced.
func overwrite(path, fill string, spans []span) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	for _, s := range spans {
		b := make([]byte, s.length)
		if fill == "garbage" {
			h := fnv.New64a()
			fmt.Fprint(h, s.offset, s.length)
			rng := rand.New(rand.NewPCG(h.Sum64(), 0x5eed))
			for i := 0; i < len(b); i += 8 {
				var word [8]byte
				binary.LittleEndian.PutUint64(word[:], rng.Uint64())
				copy(b[i:], word[:])
			}
		}
		if _, err := f.WriteAt(b, s.offset); err != nil {
			f.Close()
			return err
		}
	}
	return f.Close()
}

// flipBit flips one bit of the byte at offset.
func flipBit(path string, offset int64, bit uint) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, offset); err != nil {
		f.Close()
		return err
	}
	b[0] ^= 1 << bit
	if _, err := f.WriteAt(b, offset); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
