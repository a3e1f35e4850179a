package boltstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func open(t *testing.T, path string) *boltstore.Store {
	t.Helper()
	s, err := boltstore.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func closeStore(t *testing.T, s *boltstore.Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestReopenKeepsTransactionsAndSettings(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	s := open(t, path)

	for i, st := range transaction.States {
		if err := s.Put(ctx, txn("R1", fmt.Sprintf("ref-%d", i), st)); err != nil {
			t.Fatal(err)
		}
	}
	gone := txn("R2", "deleted", transaction.StateSuccess)
	if err := s.Put(ctx, gone); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(ctx, gone.Key); err != nil {
		t.Fatal(err)
	}
	pending := transaction.Key{RegistrationID: "R1", ReferenceID: "ref-0"}
	for range 2 {
		if _, err := s.Update(ctx, pending, func(cur recharge.Transaction, _ bool) (recharge.Transaction, error) {
			cur.Enquire(base)
			return cur, nil
		}); err != nil {
			t.Fatal(err)
		}
	}

	frozenAt := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	clock := recharge.NewFrozenClock(frozenAt)
	clock.Advance(90 * time.Minute)
	clockState, err := json.Marshal(clock.State())
	if err != nil {
		t.Fatal(err)
	}
	faults := []byte(`{"faults":[{"id":"f1","kind":"status","status":503,"count":2}]}`)
	settings := map[string][]byte{"clock": clockState, "faults": faults}
	for name, value := range settings {
		if err := s.SaveSetting(ctx, name, value); err != nil {
			t.Fatal(err)
		}
	}
	before, err := s.List(ctx, recharge.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	closeStore(t, s)

	s = open(t, path)
	defer closeStore(t, s)
	after, err := s.List(ctx, recharge.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(after) != len(before) || len(after) != len(transaction.States) {
		t.Fatalf("reopened store lists %v, want %v", keys(after), keys(before))
	}
	for i := range after {
		assertSame(t, after[i], before[i])
	}
	got, err := s.Get(ctx, pending)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enquiries != 2 || got.StateEnquiries != 2 {
		t.Errorf("reopened %s counts %d/%d enquiries, want 2/2", pending, got.Enquiries, got.StateEnquiries)
	}
	if _, err := s.Get(ctx, gone.Key); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Errorf("deleted transaction back after reopen: %v", err)
	}
	for name, want := range settings {
		value, found, err := s.LoadSetting(ctx, name)
		if err != nil || !found || string(value) != string(want) {
			t.Errorf("setting %s after reopen = %q, %v, %v, want %q", name, value, found, err, want)
		}
	}
	value, _, _ := s.LoadSetting(ctx, "clock")
	var restored recharge.ClockState
	if err := json.Unmarshal(value, &restored); err != nil {
		t.Fatal(err)
	}
	var reopened recharge.VirtualClock
	reopened.Restore(restored)
	if want := frozenAt.Add(90 * time.Minute); !reopened.Now().Equal(want) {
		t.Errorf("restored clock reads %v, want %v", reopened.Now(), want)
	}
}

// An enquiry counted by the service survives a reopen: the resolve rule goes
// on counting where it stopped.
func TestServiceStateSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	q := recharge.Enquiry{RegistrationID: "R1", ReferenceID: "PENDING-reopen"}
	enquire := func(s *boltstore.Store) transaction.State {
		t.Helper()
		svc := recharge.NewService(s, recharge.NewFrozenClock(base), 1)
		svc.SetRegistrations([]recharge.Registration{{ID: "R1"}})
		res, err := svc.Enquire(ctx, q)
		if err != nil || !res.Found {
			t.Fatalf("enquire: %+v, %v", res, err)
		}
		return res.Transaction.State
	}
	var states []transaction.State
	for range 4 {
		s := open(t, path)
		states = append(states, enquire(s))
		closeStore(t, s)
	}
	want := []transaction.State{transaction.StatePending, transaction.StatePending, transaction.StatePending, transaction.StateSuccess}
	if fmt.Sprint(states) != fmt.Sprint(want) {
		t.Errorf("enquiries across reopens answered %v, want %v", states, want)
	}
}

func TestOpenWhileInUseFailsFast(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	first := open(t, path)

	start := time.Now()
	second, err := boltstore.Open(path)
	elapsed := time.Since(start)
	if err == nil {
		second.Close()
		t.Fatal("a second Open of a file in use succeeded")
	}
	if !errors.Is(err, boltstore.ErrInUse) || !strings.Contains(err.Error(), path) {
		t.Errorf("second Open: %v, want ErrInUse naming %s", err, path)
	}
	if elapsed > boltstore.LockTimeout+2*time.Second {
		t.Errorf("second Open took %v to fail", elapsed)
	}

	closeStore(t, first)
	closeStore(t, open(t, path))
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notBolt := filepath.Join(dir, "fixtures.yaml")
	if err := os.WriteFile(notBolt, []byte(strings.Repeat("registrations: []\n", 1000)), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		path string
	}{
		{"not a bbolt file", notBolt},
		{"missing directory", filepath.Join(dir, "missing", "state.db")},
		{"a directory", dir},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := boltstore.Open(c.path)
			if err == nil {
				s.Close()
				t.Fatalf("Open(%s) succeeded", c.path)
			}
			if !strings.Contains(err.Error(), c.path) {
				t.Errorf("error %q does not name %s", err, c.path)
			}
		})
	}
}

func TestRegistrationWithNULIsRefused(t *testing.T) {
	ctx := context.Background()
	s := newBolt(t)
	bad := txn("R1\x00x", "A", transaction.StateSuccess)
	if err := s.Put(ctx, bad); transaction.ErrorCode(err) != transaction.EINVALID {
		t.Errorf("put: %v, want %s", err, transaction.EINVALID)
	}
	if _, err := s.Update(ctx, bad.Key, func(cur recharge.Transaction, _ bool) (recharge.Transaction, error) {
		return bad, nil
	}); transaction.ErrorCode(err) != transaction.EINVALID {
		t.Errorf("update: %v, want %s", err, transaction.EINVALID)
	}
	if _, err := s.Get(ctx, bad.Key); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Errorf("get: %v, want %s", err, transaction.ENOTFOUND)
	}
	if err := s.Delete(ctx, bad.Key); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Errorf("delete: %v, want %s", err, transaction.ENOTFOUND)
	}
	if got, err := s.List(ctx, recharge.Filter{RegistrationID: bad.RegistrationID}); err != nil || len(got) != 0 {
		t.Errorf("list: %v, %v, want nothing", keys(got), err)
	}
}

// The same random history applied to both stores leaves them listing the
// same transactions in the same order under every filter.
func TestListMatchesMemoryStore(t *testing.T) {
	ctx := context.Background()
	mem, disk := newMemory(t), newBolt(t)
	rng := rand.New(rand.NewPCG(7, 11))
	regs := []string{"R1", "R10", "R2", "r1", "Ä"}
	refs := []string{"A", "a", "A-1", "B", "PENDING-1", "ref with space", "ü", ""}
	pick := func(xs []string) string { return xs[rng.IntN(len(xs))] }
	for range 150 {
		key := transaction.Key{RegistrationID: pick(regs), ReferenceID: pick(refs)}
		state := transaction.States[rng.IntN(len(transaction.States))]
		op := rng.IntN(3)
		for _, s := range []store{mem, disk} {
			var err error
			switch op {
			case 0:
				err = s.Put(ctx, txn(key.RegistrationID, key.ReferenceID, state))
			case 1:
				if err = s.Delete(ctx, key); transaction.ErrorCode(err) == transaction.ENOTFOUND {
					err = nil
				}
			case 2:
				_, err = s.Update(ctx, key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
					if !found {
						cur = txn(key.RegistrationID, key.ReferenceID, state)
					}
					cur.Enquiries++
					return cur, nil
				})
			}
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	filters := []recharge.Filter{{}}
	for _, reg := range append(regs, "R", "missing") {
		filters = append(filters, recharge.Filter{RegistrationID: reg})
		for _, st := range transaction.States {
			filters = append(filters, recharge.Filter{RegistrationID: reg, State: st}, recharge.Filter{State: st})
		}
	}
	for _, f := range filters {
		want, err := mem.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		got, err := disk.List(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(keys(got)) != fmt.Sprint(keys(want)) {
			t.Errorf("list %+v:\nbolt   %v\nmemory %v", f, keys(got), keys(want))
			continue
		}
		for i := range got {
			assertSame(t, got[i], want[i])
		}
	}
	n, _ := mem.Count(ctx)
	m, _ := disk.Count(ctx)
	if n != m || n == 0 {
		t.Errorf("count: memory %d, bolt %d", n, m)
	}
}
