package boltstore_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// store is what every implementation under test offers.
type store interface {
	recharge.Store
	recharge.Settings
	recharge.ConditionalDeleter
	recharge.Records
}

type constructor func(t *testing.T) store

func newMemory(*testing.T) store { return recharge.NewMemoryStore() }

func newBolt(t *testing.T) store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return s
}

// newRedis opens a store on a redis-server of the test's own.
func newRedis(t *testing.T) store {
	t.Helper()
	srv := redistest.Start(t)
	s, err := redisstore.Open(context.Background(), srv.URL, redisstore.Options{ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var implementations = []struct {
	name string
	open constructor
}{
	{"memory", newMemory},
	{"bolt", newBolt},
	{"redis", newRedis},
}

func TestConformance(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			testStore(t, impl.open)
		})
	}
}

var (
	base = time.Date(2026, 3, 14, 10, 30, 0, 0, rechargestatus.IST)
	// started carries a monotonic reading, as live times do.
	started = time.Now()
)

// txn builds a valid transaction whose times carry a location and a
// monotonic reading, to show what a store keeps of them.
func txn(reg, ref string, state transaction.State) recharge.Transaction {
	t := recharge.Transaction{
		Key:          transaction.Key{RegistrationID: reg, ReferenceID: ref},
		State:        state,
		TxnID:        "TX" + ref,
		OperatorName: "Airtel",
		CANumber:     "9876543210",
		Amount:       "199.00",
		Comm:         "1.99",
		TDS:          "0.10",
		DateAdded:    base,
		StateSince:   started,
		Origin:       transaction.OriginAdmin,
		Scenario:     "test",
	}
	switch state {
	case transaction.StatePending:
		t.Resolve = &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 3, After: transaction.Duration(10 * time.Minute)}
	case transaction.StateFailed:
		t.Refund = &transaction.Rule{After: transaction.Duration(time.Hour)}
	case transaction.StateRefunded:
		at := base.Add(time.Hour)
		t.RefundTxnID = "RF" + t.TxnID
		t.DateRefunded = &at
	case transaction.StateSuccess:
		t.OperatorID = "OP" + ref
	}
	return t
}

// comparable drops what a time loses in any encoding (monotonic reading,
// location name) so transactions compare by what they mean.
func comparable(t recharge.Transaction) recharge.Transaction {
	t.DateAdded = t.DateAdded.UTC()
	t.StateSince = t.StateSince.UTC()
	if t.DateRefunded != nil {
		at := t.DateRefunded.UTC()
		t.DateRefunded = &at
	}
	if t.Resolve != nil {
		r := *t.Resolve
		t.Resolve = &r
	}
	if t.Refund != nil {
		r := *t.Refund
		t.Refund = &r
	}
	return t
}

func assertSame(t *testing.T, got, want recharge.Transaction) {
	t.Helper()
	if g, w := comparable(got), comparable(want); !reflect.DeepEqual(g, w) {
		t.Errorf("transaction differs:\n got %+v\nwant %+v", g, w)
	}
}

func assertCode(t *testing.T, err error, code string) {
	t.Helper()
	if got := transaction.ErrorCode(err); got != code {
		t.Errorf("error %v has code %q, want %q", err, got, code)
	}
}

func keys(txs []recharge.Transaction) []string {
	out := make([]string, len(txs))
	for i, t := range txs {
		out[i] = t.Key.String()
	}
	return out
}

// testStore is the behaviour every recharge.Store and recharge.Settings
// shares, run against each implementation.
func testStore(t *testing.T, open constructor) {
	ctx := context.Background()
	cases := []struct {
		name string
		run  func(t *testing.T, s store)
	}{
		{"get of a missing key is not found", func(t *testing.T, s store) {
			_, err := s.Get(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "nope"})
			assertCode(t, err, transaction.ENOTFOUND)
		}},
		{"put then get keeps every field", func(t *testing.T, s store) {
			for _, st := range transaction.States {
				want := txn("R1", "ref-"+string(st), st)
				want.Enquiries, want.StateEnquiries = 7, 2
				if err := s.Put(ctx, want); err != nil {
					t.Fatal(err)
				}
				got, err := s.Get(ctx, want.Key)
				if err != nil {
					t.Fatal(err)
				}
				assertSame(t, got, want)
				if !got.DateAdded.Equal(base) || rechargestatus.FormatTime(got.DateAdded) != "2026-03-14 10:30:00" {
					t.Errorf("dateadded %v, want %v", got.DateAdded, base)
				}
			}
		}},
		{"put replaces", func(t *testing.T, s store) {
			first := txn("R1", "A", transaction.StatePending)
			second := txn("R1", "A", transaction.StateSuccess)
			for _, tx := range []recharge.Transaction{first, second} {
				if err := s.Put(ctx, tx); err != nil {
					t.Fatal(err)
				}
			}
			got, err := s.Get(ctx, first.Key)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, got, second)
			if n, _ := s.Count(ctx); n != 1 {
				t.Errorf("count %d after replacing, want 1", n)
			}
		}},
		{"delete removes, then is not found", func(t *testing.T, s store) {
			tx := txn("R1", "A", transaction.StateFailed)
			if err := s.Put(ctx, tx); err != nil {
				t.Fatal(err)
			}
			if err := s.Delete(ctx, tx.Key); err != nil {
				t.Fatal(err)
			}
			_, err := s.Get(ctx, tx.Key)
			assertCode(t, err, transaction.ENOTFOUND)
			assertCode(t, s.Delete(ctx, tx.Key), transaction.ENOTFOUND)
		}},
		{"delete if deletes only what the condition accepts", func(t *testing.T, s store) {
			auto := txn("R1", "auto", transaction.StateSuccess)
			auto.Origin = transaction.OriginAuto
			admin := txn("R1", "admin", transaction.StateSuccess)
			for _, tx := range []recharge.Transaction{auto, admin} {
				if err := s.Put(ctx, tx); err != nil {
					t.Fatal(err)
				}
			}
			isAuto := func(t recharge.Transaction) bool { return t.Origin == transaction.OriginAuto }
			for _, c := range []struct {
				key  transaction.Key
				want bool
			}{
				{admin.Key, false},
				{auto.Key, true},
				{auto.Key, false}, // already gone
				{transaction.Key{RegistrationID: "R1", ReferenceID: "missing"}, false},
			} {
				deleted, err := s.DeleteIf(ctx, c.key, isAuto)
				if err != nil || deleted != c.want {
					t.Errorf("DeleteIf(%s) = %v, %v, want %v", c.key, deleted, err, c.want)
				}
			}
			if got, err := s.List(ctx, recharge.Filter{}); err != nil || fmt.Sprint(keys(got)) != "[R1/admin]" {
				t.Errorf("left %v, %v, want only R1/admin", keys(got), err)
			}
		}},
		{"update of a missing key creates it under that key", func(t *testing.T, s store) {
			key := transaction.Key{RegistrationID: "R1", ReferenceID: "new"}
			got, err := s.Update(ctx, key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
				if found || !reflect.DeepEqual(cur, recharge.Transaction{}) {
					t.Errorf("update of a missing key saw found=%v %+v", found, cur)
				}
				// The store, not fn, decides the key.
				return txn("other", "key", transaction.StateSuccess), nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.Key != key {
				t.Errorf("update answered key %v, want %v", got.Key, key)
			}
			stored, err := s.Get(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, stored, got)
			if _, err := s.Get(ctx, transaction.Key{RegistrationID: "other", ReferenceID: "key"}); transaction.ErrorCode(err) != transaction.ENOTFOUND {
				t.Errorf("update stored under the key fn returned: %v", err)
			}
		}},
		{"update sees the current value and stores the next", func(t *testing.T, s store) {
			tx := txn("R1", "A", transaction.StatePending)
			if err := s.Put(ctx, tx); err != nil {
				t.Fatal(err)
			}
			now := time.Now().Add(time.Hour) // past the resolve rule's 10m
			got, err := s.Update(ctx, tx.Key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
				if !found {
					t.Error("update of a stored key saw found=false")
				}
				assertSame(t, cur, tx)
				cur.Enquire(now)
				return cur, nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if got.State != transaction.StateSuccess || got.Enquiries != 1 {
				t.Errorf("update answered state %s enquiries %d, want success 1", got.State, got.Enquiries)
			}
			stored, err := s.Get(ctx, tx.Key)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, stored, got)
		}},
		{"update that fails writes nothing", func(t *testing.T, s store) {
			tx := txn("R1", "A", transaction.StatePending)
			if err := s.Put(ctx, tx); err != nil {
				t.Fatal(err)
			}
			boom := transaction.Errorf(transaction.ECONFLICT, "no")
			for _, key := range []transaction.Key{tx.Key, {RegistrationID: "R1", ReferenceID: "missing"}} {
				_, err := s.Update(ctx, key, func(cur recharge.Transaction, _ bool) (recharge.Transaction, error) {
					cur.State = transaction.StateFailed
					return cur, boom
				})
				if !errors.Is(err, boom) {
					t.Errorf("update of %v answered %v, want fn's error", key, err)
				}
			}
			stored, err := s.Get(ctx, tx.Key)
			if err != nil {
				t.Fatal(err)
			}
			assertSame(t, stored, tx)
			if n, _ := s.Count(ctx); n != 1 {
				t.Errorf("count %d, want 1: a failed update created a transaction", n)
			}
		}},
		{"list filters by registration and state, ordered by key", func(t *testing.T, s store) {
			// "R1" is a prefix of "R10": a listing of R1 must not see R10's.
			all := []recharge.Transaction{
				txn("R10", "A", transaction.StatePending),
				txn("R1", "b", transaction.StateSuccess),
				txn("R1", "B", transaction.StatePending),
				txn("R2", "A", transaction.StateFailed),
				txn("R1", "A-2", transaction.StateSuccess),
				txn("R1", "A", transaction.StateRefunded),
			}
			for _, tx := range all {
				if err := s.Put(ctx, tx); err != nil {
					t.Fatal(err)
				}
			}
			filters := []struct {
				filter recharge.Filter
				want   []string
			}{
				{recharge.Filter{}, []string{"R1/A", "R1/A-2", "R1/B", "R1/b", "R10/A", "R2/A"}},
				{recharge.Filter{RegistrationID: "R1"}, []string{"R1/A", "R1/A-2", "R1/B", "R1/b"}},
				{recharge.Filter{State: transaction.StatePending}, []string{"R1/B", "R10/A"}},
				{recharge.Filter{RegistrationID: "R1", State: transaction.StateSuccess}, []string{"R1/A-2", "R1/b"}},
				{recharge.Filter{RegistrationID: "R3"}, nil},
				{recharge.Filter{RegistrationID: "R", State: transaction.StatePending}, nil},
			}
			for _, f := range filters {
				got, err := s.List(ctx, f.filter)
				if err != nil {
					t.Fatal(err)
				}
				if g := keys(got); len(g) != len(f.want) || (len(g) > 0 && !reflect.DeepEqual(g, f.want)) {
					t.Errorf("list %+v = %v, want %v", f.filter, g, f.want)
				}
			}
			if n, err := s.Count(ctx); err != nil || n != len(all) {
				t.Errorf("count = %d, %v, want %d", n, err, len(all))
			}
		}},
		{"list and count of an empty store", func(t *testing.T, s store) {
			got, err := s.List(ctx, recharge.Filter{})
			if err != nil || len(got) != 0 {
				t.Errorf("list = %v, %v, want nothing", got, err)
			}
			if n, err := s.Count(ctx); err != nil || n != 0 {
				t.Errorf("count = %d, %v, want 0", n, err)
			}
		}},
		{"settings save, load, replace", func(t *testing.T, s store) {
			if _, found, err := s.LoadSetting(ctx, "clock"); err != nil || found {
				t.Fatalf("load of a missing setting: found=%v err=%v", found, err)
			}
			value := []byte(`{"offset":3600000000000}`)
			if err := s.SaveSetting(ctx, "clock", value); err != nil {
				t.Fatal(err)
			}
			value[0] = 'X' // the store keeps its own copy
			got, found, err := s.LoadSetting(ctx, "clock")
			if err != nil || !found || string(got) != `{"offset":3600000000000}` {
				t.Fatalf("load = %q, %v, %v", got, found, err)
			}
			got[0] = 'Y' // and hands out copies
			if err := s.SaveSetting(ctx, "faults", []byte(`[]`)); err != nil {
				t.Fatal(err)
			}
			if err := s.SaveSetting(ctx, "clock", []byte(`{"offset":0}`)); err != nil {
				t.Fatal(err)
			}
			for name, want := range map[string]string{"clock": `{"offset":0}`, "faults": `[]`} {
				got, found, err := s.LoadSetting(ctx, name)
				if err != nil || !found || string(got) != want {
					t.Errorf("load %s = %q, %v, %v, want %q", name, got, found, err, want)
				}
			}
		}},
		{"an empty setting is found", func(t *testing.T, s store) {
			if err := s.SaveSetting(ctx, "faults", nil); err != nil {
				t.Fatal(err)
			}
			got, found, err := s.LoadSetting(ctx, "faults")
			if err != nil || !found || len(got) != 0 {
				t.Errorf("load = %q, %v, %v, want empty and found", got, found, err)
			}
		}},
		{"settings and transactions do not mix", func(t *testing.T, s store) {
			if err := s.SaveSetting(ctx, "R1\x00A", []byte("x")); err != nil {
				t.Fatal(err)
			}
			if n, _ := s.Count(ctx); n != 0 {
				t.Errorf("a setting counts as %d transactions", n)
			}
			_, err := s.Get(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "A"})
			assertCode(t, err, transaction.ENOTFOUND)
		}},
		{"concurrent updates of one key all apply", func(t *testing.T, s store) {
			testConcurrentUpdates(t, s)
		}},
		{"replace keeps, adds and saves as it is told", testReplaceSemantics},
		{"replace is atomic to every reader", func(t *testing.T, s store) {
			// A bbolt write costs an fsync, so its readers see fewer
			// replaces; each replaces the large store whole all the same.
			// Redis builds the new content aside and swaps it in one
			// script, so that its window is there whatever the size, and
			// each of its readers' lists crosses the network.
			bulk := 20_000
			switch s.(type) {
			case *recharge.MemoryStore:
			case *redisstore.Store:
				bulk = 1_000
			default:
				bulk = 3_000
			}
			testReplaceIsAtomic(t, s, bulk)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.run(t, open(t))
		})
	}
}

// testConcurrentUpdates has many goroutines count enquiries of one hot key
// and of keys of their own; with updates atomic per key none is lost.
func testConcurrentUpdates(t *testing.T, s store) {
	const (
		workers = 12
		rounds  = 15
	)
	ctx := context.Background()
	hot := transaction.Key{RegistrationID: "R1", ReferenceID: "hot"}
	count := func(key transaction.Key) error {
		_, err := s.Update(ctx, key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
			if !found {
				cur = txn(key.RegistrationID, key.ReferenceID, transaction.StateSuccess)
			}
			cur.Enquiries++
			return cur, nil
		})
		return err
	}
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			own := transaction.Key{RegistrationID: "R1", ReferenceID: fmt.Sprintf("own-%02d", w)}
			for range rounds {
				for _, key := range []transaction.Key{hot, own} {
					if err := count(key); err != nil {
						return err
					}
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, hot)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enquiries != workers*rounds {
		t.Errorf("hot key counted %d enquiries, want %d", got.Enquiries, workers*rounds)
	}
	all, err := s.List(ctx, recharge.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != workers+1 {
		t.Fatalf("%d transactions, want %d", len(all), workers+1)
	}
	for _, tx := range all {
		if tx.Key != hot && tx.Enquiries != rounds {
			t.Errorf("%s counted %d enquiries, want %d", tx.Key, tx.Enquiries, rounds)
		}
	}
}
