package redisstore_test

import (
	"context"
	"encoding/json"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// enquireAll runs n enquiries of key spread over replicas at once, each the
// domain's own (Transaction.Enquire, a new transaction made by create when
// there is none), and returns what each answered and how many times an
// enquiry function ran.
func enquireAll(t *testing.T, replicas []*redisstore.Store, key transaction.Key, n int, create func() recharge.Transaction) ([]recharge.Transaction, int64) {
	t.Helper()
	now := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	var ran atomic.Int64
	answers := make([]recharge.Transaction, n)
	var g errgroup.Group
	for i := range n {
		s := replicas[i%len(replicas)]
		g.Go(func() (err error) {
			answers[i], err = s.UpdateEnquiry(context.Background(), key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
				ran.Add(1)
				if !found {
					cur = create()
				}
				cur.Enquire(now)
				return cur, nil
			})
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	return answers, ran.Load()
}

// Enquiries of a final transaction through two replicas at once are
// counted by the store alone, each exactly once: every answer has a count
// of its own, and the transaction is otherwise unchanged.
func TestCountedEnquiriesThroughTwoReplicasAreExact(t *testing.T) {
	srv := redistest.Start(t)
	replicas := []*redisstore.Store{open(t, srv.URL), open(t, srv.URL)}
	ctx := context.Background()
	stored := tx("12345678", "6469")
	stored.Enquiries, stored.StateEnquiries = 5, 2
	if !stored.CountOnly() {
		t.Fatal("a success transaction is not count-only")
	}
	if err := replicas[0].Put(ctx, stored); err != nil {
		t.Fatal(err)
	}
	const n = 64
	answers, ran := enquireAll(t, replicas, stored.Key, n, func() recharge.Transaction {
		t.Error("a stored transaction was made again")
		return recharge.Transaction{}
	})
	if ran != 0 {
		t.Errorf("the enquiry function ran %d times on a count-only transaction, want 0", ran)
	}
	var counts []int
	for _, a := range answers {
		if a.StateEnquiries-a.Enquiries != stored.StateEnquiries-stored.Enquiries {
			t.Fatalf("answer counts %d and %d moved apart", a.Enquiries, a.StateEnquiries)
		}
		counted := a
		counted.Enquiries, counted.StateEnquiries = stored.Enquiries, stored.StateEnquiries
		if !transactionsEqual(counted, stored) {
			t.Fatalf("an enquiry changed more than the counts:\n got %+v\nwant %+v", a, stored)
		}
		counts = append(counts, a.Enquiries)
	}
	slices.Sort(counts)
	for i, c := range counts {
		if c != stored.Enquiries+1+i {
			t.Fatalf("answered counts %v, want each of %d to %d once", counts, stored.Enquiries+1, stored.Enquiries+n)
		}
	}
	got, err := replicas[1].Get(ctx, stored.Key)
	if err != nil || got.Enquiries != stored.Enquiries+n || got.StateEnquiries != stored.StateEnquiries+n {
		t.Fatalf("stored after %d enquiries: %+v, %v", n, got, err)
	}
	listed, err := replicas[0].List(ctx, recharge.Filter{})
	if err != nil || len(listed) != 1 || !transactionsEqual(listed[0], got) {
		t.Fatalf("listed %+v, %v; want %+v", listed, err, got)
	}
	if c, err := replicas[1].Counts(ctx); err != nil || c[transaction.StateSuccess] != 1 {
		t.Fatalf("counts by state %v, %v; want the one success", c, err)
	}
}

// A pending transaction is not count-only: its enquiries go through the
// compare-and-set, exactly as many answer pending as its rule says, and
// once final the rest are counted by the store alone.
func TestEnquiriesOfAPendingTransactionFallBackToTheExactUpdate(t *testing.T) {
	srv := redistest.Start(t)
	replicas := []*redisstore.Store{open(t, srv.URL), open(t, srv.URL)}
	ctx := context.Background()
	const pendingAnswers, n = 3, 64
	stored := tx("PENDING-1", "7001")
	stored.State = transaction.StatePending
	stored.Resolve = &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: pendingAnswers}
	if stored.CountOnly() {
		t.Fatal("a pending transaction with a rule to resolve is count-only")
	}
	if err := replicas[0].Put(ctx, stored); err != nil {
		t.Fatal(err)
	}
	answers, ran := enquireAll(t, replicas, stored.Key, n, func() recharge.Transaction {
		t.Error("a stored transaction was made again")
		return recharge.Transaction{}
	})
	pending := 0
	for _, a := range answers {
		switch {
		case a.State == transaction.StatePending:
			pending++
		case a.State != transaction.StateSuccess || a.TxnID != stored.TxnID:
			t.Fatalf("answered %s txnid %s", a.State, a.TxnID)
		}
	}
	if pending != pendingAnswers {
		t.Fatalf("%d pending answers, want %d", pending, pendingAnswers)
	}
	// The pending answers and the one that resolved ran the function; the
	// counted ones did not.
	if ran < pendingAnswers+1 {
		t.Fatalf("the enquiry function ran %d times, want at least %d", ran, pendingAnswers+1)
	}
	got, err := replicas[1].Get(ctx, stored.Key)
	if err != nil || got.Enquiries != n || got.State != transaction.StateSuccess || got.StateEnquiries != n-pendingAnswers {
		t.Fatalf("stored after %d enquiries: %+v, %v", n, got, err)
	}
	if c, err := replicas[1].Counts(ctx); err != nil || c[transaction.StateSuccess] != 1 || c[transaction.StatePending] != 0 {
		t.Fatalf("counts by state %v, %v; want the one success", c, err)
	}
}

// An unknown transaction is made by exactly one of the enquiries that
// race to make it, and the others count on it.
func TestEnquiriesOfAnUnknownTransactionMakeItOnce(t *testing.T) {
	srv := redistest.Start(t)
	replicas := []*redisstore.Store{open(t, srv.URL), open(t, srv.URL)}
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "NEW-1"}
	var mu sync.Mutex
	made := map[string]bool{}
	const n = 32
	answers, _ := enquireAll(t, replicas, key, n, func() recharge.Transaction {
		mu.Lock()
		defer mu.Unlock()
		txnid := "T" + string(rune('A'+len(made)))
		made[txnid] = true
		return tx(key.ReferenceID, txnid)
	})
	for _, a := range answers {
		if a.TxnID != answers[0].TxnID {
			t.Fatalf("answers name txnids %s and %s", a.TxnID, answers[0].TxnID)
		}
	}
	got, err := replicas[0].Get(context.Background(), key)
	if err != nil || got.Enquiries != n || got.TxnID != answers[0].TxnID {
		t.Fatalf("stored after %d enquiries: %+v, %v", n, got, err)
	}
}

// Counts made while resets keep the transaction (a fixtures reload) are
// all kept: a count waits for a reset that holds the store, so none lands
// in a generation already copied.
func TestCountedEnquiriesDuringResetsAreKept(t *testing.T) {
	srv := redistest.Start(t)
	a, b := open(t, srv.URL), open(t, srv.URL)
	ctx := context.Background()
	stored := tx("12345678", "6469")
	stored.Enquiries = 40
	if err := a.Put(ctx, stored); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	var resets atomic.Int64
	var g errgroup.Group
	g.Go(func() error {
		keep := recharge.Replacement{Keep: func(recharge.Transaction) bool { return true }}
		for range 50 {
			select {
			case <-done:
				return nil
			default:
			}
			if err := b.Replace(ctx, keep); err != nil {
				return err
			}
			resets.Add(1)
		}
		return nil
	})
	const n = 200
	enquireAll(t, []*redisstore.Store{a, b}, stored.Key, n, func() recharge.Transaction {
		t.Error("the transaction was missing during a reset")
		return recharge.Transaction{}
	})
	close(done)
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := a.Get(ctx, stored.Key)
	if err != nil || got.Enquiries != stored.Enquiries+n {
		t.Fatalf("after %d resets: %+v, %v; want %d enquiries", resets.Load(), got, err, stored.Enquiries+n)
	}
}

// A final transaction stored as a document alone, as before counts were
// kept apart, is read as it is: its first enquiry goes through the
// compare-and-set, which writes it count-only, and the next is counted by
// the store.
func TestADocumentWrittenBeforeCountOnlyIsCountedToo(t *testing.T) {
	srv := redistest.Start(t)
	s := open(t, srv.URL)
	ctx := context.Background()
	stored := tx("12345678", "6469")
	stored.Enquiries, stored.StateEnquiries = 7, 7
	doc, err := json.Marshal(stored)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Client().HSet(ctx, s.Key("txs:0"), "AOP-554\x0012345678", doc).Err(); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, stored.Key)
	if err != nil || !transactionsEqual(got, stored) {
		t.Fatalf("read %+v, %v; want %+v", got, err, stored)
	}
	for i, wantRan := range []int64{1, 0} {
		answers, ran := enquireAll(t, []*redisstore.Store{s}, stored.Key, 1, func() recharge.Transaction {
			t.Error("a stored transaction was made again")
			return recharge.Transaction{}
		})
		if ran != wantRan || answers[0].Enquiries != stored.Enquiries+1+i {
			t.Fatalf("enquiry %d: the function ran %d times, want %d; answered %d enquiries", i+1, ran, wantRan, answers[0].Enquiries)
		}
	}
}

// transactionsEqual compares transactions field by field, the rules and
// dates by value.
func transactionsEqual(a, b recharge.Transaction) bool {
	ruleEq := func(x, y *transaction.Rule) bool { return (x == nil) == (y == nil) && (x == nil || *x == *y) }
	timeEq := func(x, y *time.Time) bool { return (x == nil) == (y == nil) && (x == nil || x.Equal(*y)) }
	if !ruleEq(a.Resolve, b.Resolve) || !ruleEq(a.Refund, b.Refund) || !timeEq(a.DateRefunded, b.DateRefunded) {
		return false
	}
	if !a.DateAdded.Equal(b.DateAdded) || !a.StateSince.Equal(b.StateSince) {
		return false
	}
	a.Resolve, a.Refund, a.DateRefunded, b.Resolve, b.Refund, b.DateRefunded = nil, nil, nil, nil, nil, nil
	a.DateAdded, a.StateSince, b.DateAdded, b.StateSince = time.Time{}, time.Time{}, time.Time{}, time.Time{}
	return a == b
}
