package boltstore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// testReplaceSemantics checks what Replace keeps, adds and saves.
func testReplaceSemantics(t *testing.T, s store) {
	ctx := context.Background()
	for _, tx := range []recharge.Transaction{txn("R1", "KEEP", transaction.StateSuccess), txn("R1", "DROP", transaction.StatePending)} {
		if err := s.Put(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.WriteRecords(ctx, "rules", false, []recharge.Record{{Key: "old", Value: []byte("1")}}); err != nil {
		t.Fatal(err)
	}
	// KEEP is added again with another state: the kept one wins.
	added := txn("R1", "KEEP", transaction.StateFailed)
	made := 0
	err := s.Replace(ctx, recharge.Replacement{
		Keep:     func(tx recharge.Transaction) bool { return tx.ReferenceID == "KEEP" },
		Add:      []recharge.Transaction{added, txn("R1", "NEW", transaction.StateRefunded)},
		Records:  map[string][]recharge.Record{"rules": {{Key: "new", Value: []byte("2")}, {Key: "gone"}}},
		Settings: map[string][]byte{"clock": []byte("reset")},
		Made:     func() { made++ },
	})
	if err != nil {
		t.Fatal(err)
	}
	all, err := s.List(ctx, recharge.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(all); !slices.Equal(got, []string{"R1/KEEP", "R1/NEW"}) {
		t.Fatalf("after a replace keeping KEEP and adding NEW: %v", got)
	}
	if all[0].State != transaction.StateSuccess {
		t.Errorf("the kept KEEP became %s: an added transaction overwrote it", all[0].State)
	}
	assertSame(t, all[1], txn("R1", "NEW", transaction.StateRefunded))
	records, err := s.LoadRecords(ctx, "rules")
	if err != nil || len(records) != 1 || records[0].Key != "new" || string(records[0].Value) != "2" {
		t.Errorf("records after replace: %+v, %v; want only new=2", records, err)
	}
	if v, found, err := s.LoadSetting(ctx, "clock"); err != nil || !found || string(v) != "reset" {
		t.Errorf("setting after replace: %q %v %v", v, found, err)
	}
	if made != 1 {
		t.Errorf("Made ran %d times, want once", made)
	}

	if err := s.Replace(ctx, recharge.Replacement{Add: []recharge.Transaction{added}}); err != nil {
		t.Fatal(err)
	}
	if all, _ = s.List(ctx, recharge.Filter{}); len(all) != 1 || all[0].State != transaction.StateFailed {
		t.Errorf("a replace keeping nothing left %v", keys(all))
	}
	if n, err := s.Count(ctx); n != 1 || err != nil {
		t.Errorf("count %d, %v; want 1", n, err)
	}
	bad := recharge.Replacement{Add: []recharge.Transaction{txn("R1", "X", transaction.StateSuccess)}, Records: map[string][]recharge.Record{"rules": {{Key: ""}}}}
	if err := s.Replace(ctx, bad); transaction.ErrorCode(err) != transaction.EINVALID {
		t.Errorf("a record without a key: %v, want EINVALID", err)
	}
	if all, _ = s.List(ctx, recharge.Filter{}); len(all) != 1 || all[0].ReferenceID != "KEEP" {
		t.Errorf("a refused replace changed the store: %v", keys(all))
	}
}

// testReplaceIsAtomic replaces a large store with a few fixtures and back,
// again and again, while readers enquire a fixture as the service does
// (creating it when missing) and count the store: none may see a state
// between, and no enquiry may make the fixture afresh.
func testReplaceIsAtomic(t *testing.T, s store, bulk int) {
	ctx := context.Background()
	fixture := txn("R1", "FIXTURE", transaction.StateSuccess)
	fixtures := []recharge.Transaction{fixture, txn("R1", "OTHER", transaction.StatePending)}
	large := slices.Clone(fixtures)
	for i := range bulk {
		large = append(large, txn("R2", fmt.Sprintf("BULK-%06d", i), transaction.StateSuccess))
	}
	if err := s.Replace(ctx, recharge.Replacement{Add: large}); err != nil {
		t.Fatal(err)
	}
	var (
		stop                    atomic.Bool
		enquiries, gets, counts atomic.Int64
		wg                      sync.WaitGroup
	)
	enquire := func() {
		_, err := s.Update(ctx, fixture.Key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
			if !found {
				t.Errorf("an enquiry found no %s while the store was replaced", fixture.Key)
				cur = txn("R1", "FIXTURE", transaction.StatePending)
				cur.TxnID = "MADE-AFRESH"
			}
			return cur, nil
		})
		if err != nil {
			t.Error(err)
		}
		enquiries.Add(1)
	}
	get := func() {
		got, err := s.Get(ctx, fixture.Key)
		if err != nil || got.TxnID != fixture.TxnID {
			t.Errorf("get of %s during replaces: txnid %q, %v; want %q", fixture.Key, got.TxnID, err, fixture.TxnID)
		}
		gets.Add(1)
	}
	count := func() {
		n, err := s.Count(ctx)
		if err != nil || (n != len(fixtures) && n != len(large)) {
			t.Errorf("count during replaces: %d, %v; want %d or %d", n, err, len(fixtures), len(large))
		}
		all, err := s.List(ctx, recharge.Filter{})
		if err != nil || (len(all) != len(fixtures) && len(all) != len(large)) {
			t.Errorf("list during replaces: %d transactions, %v; want %d or %d", len(all), err, len(fixtures), len(large))
		}
		counts.Add(1)
	}
	for _, read := range []func(){enquire, enquire, get, count} {
		wg.Go(func() {
			for !stop.Load() && !t.Failed() {
				read()
			}
		})
	}
	// Bounded by count and time: at least minReplaces replaces and some of
	// each read however slow the machine, more while time allows. Spinning
	// readers meet a replace that is not atomic in its first window, so a
	// short floor of time is enough.
	const minReplaces, maxReplaces = 4, 40
	enough := time.Now().Add(300 * time.Millisecond)
	giveUp := time.Now().Add(90 * time.Second)
	readSome := func() bool { return enquiries.Load() > 0 && gets.Load() > 0 && counts.Load() > 0 }
	replaces := 0
	for ; replaces < maxReplaces && !t.Failed(); replaces++ {
		now := time.Now()
		if now.After(enough) && replaces >= minReplaces && readSome() {
			break
		}
		if now.After(giveUp) {
			t.Fatalf("%d replaces in %v: the machine is too slow to check", replaces, 90*time.Second)
		}
		next := fixtures
		if replaces%2 == 1 {
			next = large
		}
		if err := s.Replace(ctx, recharge.Replacement{Add: next}); err != nil {
			t.Error(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if !readSome() || replaces < minReplaces {
		t.Fatalf("%d replaces, %d enquiries, %d gets, %d counts: want some of each", replaces, enquiries.Load(), gets.Load(), counts.Load())
	}
	t.Logf("%d replaces of %d and %d transactions; %d enquiries, %d gets and %d counts and lists checked",
		replaces, len(large), len(fixtures), enquiries.Load(), gets.Load(), counts.Load())
}
