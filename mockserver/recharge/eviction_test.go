package recharge

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// storeWithoutConditionalDelete hides MemoryStore.DeleteIf, as a store
// implementing only Store would.
type storeWithoutConditionalDelete struct{ Store }

func referencesHeld(t *testing.T, s *Service, origin transaction.Origin) []string {
	t.Helper()
	all, err := s.Store.List(context.Background(), Filter{})
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, tx := range all {
		if tx.Origin == origin {
			out = append(out, tx.ReferenceID)
		}
	}
	slices.Sort(out)
	return out
}

func mustEnquire(t *testing.T, s *Service, refs ...string) {
	t.Helper()
	for _, ref := range refs {
		if res, err := enquire(t, s, ref); err != nil || !res.Found {
			t.Fatalf("enquiry of %s: %+v %v", ref, res, err)
		}
	}
}

func TestMaxAutoCreatedEvictsLeastRecentlyEnquiredFirst(t *testing.T) {
	stores := []struct {
		name  string
		store func() Store
	}{
		{"memory store", func() Store { return NewMemoryStore() }},
		{"store without DeleteIf", func() Store { return storeWithoutConditionalDelete{NewMemoryStore()} }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			ctx := context.Background()
			s := NewService(st.store(), NewFrozenClock(t0), 7)
			s.MaxAutoCreated = 3
			fixtures := []Transaction{{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: "FIX-1"}, State: transaction.StateSuccess}}
			if err := s.Reset(ctx, []Registration{{ID: "AOP-554"}}, fixtures); err != nil {
				t.Fatal(err)
			}
			admin := Transaction{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ADMIN-1"}, State: transaction.StatePending, Origin: transaction.OriginAdmin}
			s.Complete(&admin, t0)
			if err := s.Store.Put(ctx, admin); err != nil {
				t.Fatal(err)
			}

			mustEnquire(t, s, "A", "B", "C")
			if got := referencesHeld(t, s, transaction.OriginAuto); !slices.Equal(got, []string{"A", "B", "C"}) {
				t.Fatalf("at the cap: %v", got)
			}
			// A client polling A keeps it: B, created after A but not
			// enquired since, goes first.
			mustEnquire(t, s, "A", "D")
			if got := referencesHeld(t, s, transaction.OriginAuto); !slices.Equal(got, []string{"A", "C", "D"}) {
				t.Fatalf("after a fourth creation: %v, want B (least recently enquired) evicted", got)
			}
			a, err := s.Store.Get(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "A"})
			if err != nil || a.Enquiries != 2 {
				t.Fatalf("A: %+v %v, want the transaction enquired twice", a, err)
			}
			// Fixture and admin transactions enquired do not take a place.
			mustEnquire(t, s, "FIX-1", "ADMIN-1", "B")
			if got := referencesHeld(t, s, transaction.OriginAuto); !slices.Equal(got, []string{"A", "B", "D"}) {
				t.Fatalf("after B came back: %v, want C evicted", got)
			}
			b, err := s.Store.Get(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "B"})
			if err != nil || b.Enquiries != 1 {
				t.Fatalf("B made again: %+v %v, want a fresh transaction with one enquiry", b, err)
			}
			if got := referencesHeld(t, s, transaction.OriginFixture); !slices.Equal(got, []string{"FIX-1"}) {
				t.Fatalf("fixtures %v", got)
			}
			if got := referencesHeld(t, s, transaction.OriginAdmin); !slices.Equal(got, []string{"ADMIN-1"}) {
				t.Fatalf("admin transactions %v", got)
			}
		})
	}
}

func TestMaxAutoCreatedSparesTransactionsTakenOverByAdmin(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	s.MaxAutoCreated = 2
	mustEnquire(t, s, "A")
	taken, err := s.Store.Get(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "A"})
	if err != nil {
		t.Fatal(err)
	}
	taken.Origin = transaction.OriginAdmin
	if err := s.Store.Put(ctx, taken); err != nil {
		t.Fatal(err)
	}
	mustEnquire(t, s, "B", "C", "D")
	if got := referencesHeld(t, s, transaction.OriginAdmin); !slices.Equal(got, []string{"A"}) {
		t.Fatalf("admin transactions %v, want A kept", got)
	}
	if got := referencesHeld(t, s, transaction.OriginAuto); !slices.Equal(got, []string{"C", "D"}) {
		t.Fatalf("auto-created %v", got)
	}
}

func TestMaxAutoCreatedZeroKeepsEverything(t *testing.T) {
	s, _ := newTestService(t)
	s.MaxAutoCreated = 0
	for i := range 50 {
		mustEnquire(t, s, fmt.Sprintf("ORDER-%d", i))
	}
	if got := len(referencesHeld(t, s, transaction.OriginAuto)); got != 50 {
		t.Fatalf("%d held, want 50", got)
	}
}

func TestResetForgetsAutoCreated(t *testing.T) {
	s, _ := newTestService(t)
	s.MaxAutoCreated = 2
	mustEnquire(t, s, "A", "B")
	if err := s.Reset(context.Background(), []Registration{{ID: "AOP-554"}}, nil); err != nil {
		t.Fatal(err)
	}
	mustEnquire(t, s, "C", "D")
	if got := referencesHeld(t, s, transaction.OriginAuto); !slices.Equal(got, []string{"C", "D"}) {
		t.Fatalf("after a reset: %v, want both new ones kept", got)
	}
}

func TestReloadTakesOverStoredAutoCreated(t *testing.T) {
	ctx := context.Background()
	store := NewMemoryStore()
	// A persistent store holds these from a previous run; the recharge date
	// tells their age.
	for i, ref := range []string{"OLDEST", "OLD", "NEW", "NEWER", "NEWEST"} {
		tx := Transaction{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: ref}, State: transaction.StateSuccess, Origin: transaction.OriginAuto, DateAdded: t0.Add(time.Duration(i) * time.Minute)}
		Generator{Seed: 1}.Fill(&tx, t0)
		if err := store.Put(ctx, tx); err != nil {
			t.Fatal(err)
		}
	}
	s := NewService(store, NewFrozenClock(t0), 7)
	s.MaxAutoCreated = 3
	if err := s.Reload(ctx, []Registration{{ID: "AOP-554"}}, nil); err != nil {
		t.Fatal(err)
	}
	if got := referencesHeld(t, s, transaction.OriginAuto); !slices.Equal(got, []string{"NEW", "NEWER", "NEWEST"}) {
		t.Fatalf("after reload: %v, want the three newest", got)
	}
	// A second reload (SIGHUP) must not count them twice.
	if err := s.Reload(ctx, []Registration{{ID: "AOP-554"}}, nil); err != nil {
		t.Fatal(err)
	}
	mustEnquire(t, s, "FRESH")
	if got := referencesHeld(t, s, transaction.OriginAuto); !slices.Equal(got, []string{"FRESH", "NEWER", "NEWEST"}) {
		t.Fatalf("after a creation: %v, want NEW evicted", got)
	}
}

func TestMaxAutoCreatedUnderConcurrentCreation(t *testing.T) {
	s, _ := newTestService(t)
	const limit, workers, each = 20, 8, 40
	s.MaxAutoCreated = limit
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			for i := range each {
				ref := fmt.Sprintf("W%d-%d", w, i)
				if _, err := s.Enquire(context.Background(), Enquiry{RegistrationID: "AOP-554", ReferenceID: ref}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	held := referencesHeld(t, s, transaction.OriginAuto)
	if len(held) != limit {
		t.Fatalf("%d held, want exactly %d", len(held), limit)
	}
	// A transaction followed by at least limit younger creations of its own
	// worker is not among the newest limit, so it must be gone.
	for _, ref := range held {
		var w, i int
		if _, err := fmt.Sscanf(ref, "W%d-%d", &w, &i); err != nil {
			t.Fatal(err)
		}
		if i < each-limit {
			t.Fatalf("%s kept although %d younger creations of its worker followed", ref, each-1-i)
		}
	}
}

func TestAutoCreatedQueueStaysProportional(t *testing.T) {
	ctx := context.Background()
	s, _ := newTestService(t)
	s.MaxAutoCreated = 10
	// Creating, deleting and creating the same references again leaves
	// stale entries behind; compaction must drop them.
	for round := range 300 {
		for i := range 10 {
			ref := fmt.Sprintf("R-%d", i)
			mustEnquire(t, s, ref)
			if round%2 == 0 {
				if err := s.Store.Delete(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: ref}); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	s.auto.mu.Lock()
	queued, live := len(s.auto.queue)-s.auto.head, len(s.auto.live)
	s.auto.mu.Unlock()
	if live > 10 || queued > 2*live+1024 {
		t.Fatalf("%d queued for %d live", queued, live)
	}
}

func TestPollingKeepsTheQueueProportional(t *testing.T) {
	s, _ := newTestService(t)
	s.MaxAutoCreated = 10
	mustEnquire(t, s, "A", "B")
	// Every enquiry queues an entry and leaves the previous one stale.
	for range 5000 {
		mustEnquire(t, s, "A")
	}
	s.auto.mu.Lock()
	queued, live := len(s.auto.queue)-s.auto.head, len(s.auto.live)
	s.auto.mu.Unlock()
	if live != 2 || queued > 2*live+1024+1 {
		t.Fatalf("%d queued for %d live", queued, live)
	}
}
