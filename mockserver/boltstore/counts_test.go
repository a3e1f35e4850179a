package boltstore_test

import (
	"context"
	"fmt"
	"maps"
	"path/filepath"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// assertCounts checks s.Counts against the states of what s lists.
func assertCounts(t *testing.T, s recharge.Store, step string) {
	t.Helper()
	ctx := context.Background()
	txs, err := s.List(ctx, recharge.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	want := map[transaction.State]int{}
	for _, st := range transaction.States {
		want[st] = 0
	}
	for _, tx := range txs {
		want[tx.State]++
	}
	got, err := s.Counts(ctx)
	if err != nil {
		t.Fatalf("%s: counts: %v", step, err)
	}
	if !maps.Equal(got, want) {
		t.Errorf("%s: counts %v, want %v", step, got, want)
	}
}

// TestCountsFollowEveryChange changes a store by each of its writes and
// checks after each that Counts says what a listing does.
func TestCountsFollowEveryChange(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			testCountsFollowEveryChange(t, impl.open(t))
		})
	}
}

func testCountsFollowEveryChange(t *testing.T, s store) {
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	assertCounts(t, s, "empty")
	for i, st := range []transaction.State{transaction.StatePending, transaction.StatePending, transaction.StateSuccess, transaction.StateFailed} {
		must(s.Put(ctx, txn("R1", fmt.Sprint("P", i), st)))
	}
	assertCounts(t, s, "put")
	must(s.Put(ctx, txn("R1", "P0", transaction.StateRefunded)))
	assertCounts(t, s, "put over another state")
	must(s.Put(ctx, txn("R1", "P0", transaction.StateRefunded)))
	assertCounts(t, s, "put over the same state")
	setState := func(to transaction.State) recharge.UpdateFunc {
		return func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
			if !found {
				return txn("R1", "new", to), nil
			}
			cur.State = to
			return cur, nil
		}
	}
	_, err := s.Update(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "P1"}, setState(transaction.StateSuccess))
	must(err)
	assertCounts(t, s, "update to another state")
	_, err = s.Update(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "P1"}, setState(transaction.StateSuccess))
	must(err)
	assertCounts(t, s, "update to the same state")
	_, err = s.Update(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "new"}, setState(transaction.StatePending))
	must(err)
	assertCounts(t, s, "update creating")
	_, err = s.Update(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "P2"}, func(recharge.Transaction, bool) (recharge.Transaction, error) {
		return recharge.Transaction{}, transaction.Errorf(transaction.ECONFLICT, "refused")
	})
	assertCode(t, err, transaction.ECONFLICT)
	assertCounts(t, s, "update refused")
	must(s.Delete(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "P3"}))
	assertCounts(t, s, "delete")
	assertCode(t, s.Delete(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "P3"}), transaction.ENOTFOUND)
	assertCounts(t, s, "delete of a missing key")
	_, err = s.DeleteIf(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "P2"}, func(recharge.Transaction) bool { return false })
	must(err)
	assertCounts(t, s, "delete if refused")
	_, err = s.DeleteIf(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "P2"}, func(recharge.Transaction) bool { return true })
	must(err)
	assertCounts(t, s, "delete if (eviction)")
	must(s.Replace(ctx, recharge.Replacement{
		Keep: func(tx recharge.Transaction) bool { return tx.State != transaction.StatePending },
		Add:  []recharge.Transaction{txn("R2", "A", transaction.StateFailed), txn("R1", "P1", transaction.StatePending)},
	}))
	assertCounts(t, s, "replace keeping some (reload)")
	must(s.Replace(ctx, recharge.Replacement{Add: []recharge.Transaction{
		txn("R2", "A", transaction.StatePending), txn("R2", "A", transaction.StateSuccess), txn("R2", "B", transaction.StateSuccess),
	}}))
	assertCounts(t, s, "replace keeping none (reset), a key given twice")
	must(s.Replace(ctx, recharge.Replacement{}))
	assertCounts(t, s, "replace with nothing")
}

// TestBoltCountsSurviveReopening reopens a file: the counts come back, and
// a file without its counts record gets one from its transactions.
func TestBoltCountsSurviveReopening(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	for i, st := range []transaction.State{transaction.StatePending, transaction.StateSuccess, transaction.StateSuccess} {
		if err := s.Put(ctx, txn("R1", fmt.Sprint(i), st)); err != nil {
			t.Fatal(err)
		}
	}
	want, err := s.Counts(ctx)
	if err != nil || want[transaction.StateSuccess] != 2 {
		t.Fatalf("counts %v, %v", want, err)
	}
	reopen := func(step string) {
		t.Helper()
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		if s, err = boltstore.Open(path); err != nil {
			t.Fatal(err)
		}
		got, err := s.Counts(ctx)
		if err != nil || !maps.Equal(got, want) {
			t.Errorf("%s: counts %v, %v; want %v", step, got, err, want)
		}
	}
	reopen("reopened")
	if err := boltstore.DropCounts(s); err != nil {
		t.Fatal(err)
	}
	reopen("reopened without its counts record")
	assertCounts(t, s, "after reopening")
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
