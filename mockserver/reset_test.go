package mockserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestResetIsAtomicToEnquiries resets a large store again and again while
// clients enquire fixtures: the page's example answers the page's example
// every time, and PENDING-1001 its fixture's txnid, never one made afresh
// from its referenceid while the fixtures were being put back.
func TestResetIsAtomicToEnquiries(t *testing.T) {
	t.Parallel()
	stores := []struct {
		name string
		open func(t *testing.T) recharge.Store
		bulk int
	}{
		{"memory", func(*testing.T) recharge.Store { return recharge.NewMemoryStore() }, 20_000},
		{"bolt", openBolt, 3_000},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			testResetUnderEnquiries(t, st.open(t), st.bulk)
		})
	}
}

func openBolt(t *testing.T) recharge.Store {
	t.Helper()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func testResetUnderEnquiries(t *testing.T, store recharge.Store, bulk int) {
	ctx := context.Background()
	sb := newSandbox(t, Config{Store: store})
	var pending admin.TransactionView
	sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/PENDING-1001", nil).decode(t, &pending)
	fixtures, err := store.Count(ctx)
	if err != nil || pending.Data.TxnID == "" {
		t.Fatalf("fixtures: %d, %v; PENDING-1001 %+v", fixtures, err, pending)
	}
	made := bulkTransactions(sb.srv.control.Service(), bulk)

	var (
		stop      atomic.Bool
		enquiries atomic.Int64
		wg        sync.WaitGroup
	)
	for range 4 {
		wg.Go(func() {
			for !stop.Load() && !t.Failed() {
				checkFixtureAnswers(t, sb, pending.Data.TxnID)
				enquiries.Add(2)
			}
		})
	}
	// Bounded by count and time: at least minResets resets and minEnquiries
	// enquiries however slow the machine, more while time allows, and a
	// failure when even the minimum takes too long.
	const (
		minResets, maxResets = 3, 25
		minEnquiries         = 40
	)
	enough := time.Now().Add(300 * time.Millisecond)
	giveUp := time.Now().Add(90 * time.Second)
	resets := 0
	for ; resets < maxResets && !t.Failed(); resets++ {
		now := time.Now()
		if now.After(enough) && resets >= minResets && enquiries.Load() >= minEnquiries {
			break
		}
		if now.After(giveUp) {
			t.Fatalf("%d resets and %d enquiries in %v: the machine is too slow to check", resets, enquiries.Load(), 90*time.Second)
		}
		// Back to a large store, then reset it.
		keepAll := func(recharge.Transaction) bool { return true }
		if err := store.Replace(ctx, recharge.Replacement{Keep: keepAll, Add: made}); err != nil {
			t.Fatal(err)
		}
		var res admin.ResetResult
		a := sb.admin(http.MethodPost, "/__admin/reset", nil)
		a.decode(t, &res)
		if a.status != http.StatusOK || res.Transactions != fixtures {
			t.Fatalf("reset of %d transactions: %d %s, want %d transactions", fixtures+bulk, a.status, a.body, fixtures)
		}
	}
	stop.Store(true)
	wg.Wait()
	if resets < minResets || enquiries.Load() < minEnquiries {
		t.Fatalf("%d resets, %d enquiries: want at least %d and %d", resets, enquiries.Load(), minResets, minEnquiries)
	}
	t.Logf("%d resets of %d transactions; %d enquiries of 12345678 and PENDING-1001 checked", resets, fixtures+bulk, enquiries.Load())
}

// bulkTransactions makes n transactions as first enquiries make them: one
// generated, then copied under other referenceids and txnids, since
// generating each costs more than the resets under test.
func bulkTransactions(s *recharge.Service, n int) []recharge.Transaction {
	const prefix = "BULK-"
	made := s.NewTransaction(transaction.Key{RegistrationID: "AOP-554", ReferenceID: prefix}, transaction.ScenarioFor(prefix), time.Now())
	out := make([]recharge.Transaction, n)
	for i := range out {
		out[i] = made
		out[i].ReferenceID = fmt.Sprintf("%s%06d", prefix, i)
		out[i].TxnID = fmt.Sprintf("9%09d", i)
	}
	return out
}

// checkFixtureAnswers enquires the page's example and PENDING-1001 once.
func checkFixtureAnswers(t *testing.T, sb *sandbox, pendingTxnID string) {
	if e := sb.enquire(sb.client, "AOP-554", "12345678", nil); e.err != nil || string(e.body) != pageExampleBody {
		t.Errorf("12345678 during resets answered %d %s (%v), want the page's example", e.status, e.body, e.err)
	}
	e := sb.enquire(sb.client, "AOP-554", "PENDING-1001", nil)
	var answer struct {
		Data struct {
			TxnID string `json:"txnid"`
		} `json:"data"`
	}
	if e.err != nil || json.Unmarshal(e.body, &answer) != nil || answer.Data.TxnID != pendingTxnID {
		t.Errorf("PENDING-1001 during resets answered %d %s (%v), want txnid %s", e.status, e.body, e.err, pendingTxnID)
	}
}

// TestResetOutlivesTheProcess resets a sandbox on a state file whose clock
// was moved and that had fault rules: a sandbox opened on the file after
// finds the reset's state, the system clock and no rule.
func TestResetOutlivesTheProcess(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "state.db")
	run := func(do func(a admin.Admin)) {
		store, err := boltstore.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		srv, err := New(Config{Store: store})
		if err != nil {
			t.Fatal(err)
		}
		defer srv.Close()
		do(srv.Admin())
	}
	run(func(a admin.Admin) {
		if _, err := a.MoveClock(ctx, admin.FreezeClock(sandboxEpoch)); err != nil {
			t.Fatal(err)
		}
		if _, err := a.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: 503}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := a.PutTransaction(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-9"}, transaction.Description{State: transaction.StateSuccess}); err != nil {
			t.Fatal(err)
		}
		if _, err := a.Reset(ctx); err != nil {
			t.Fatal(err)
		}
	})
	run(func(a admin.Admin) {
		clock, err := a.Clock(ctx)
		if err != nil || clock.Frozen || clock.Offset != "0s" {
			t.Errorf("clock after a reset and a restart: %+v, %v; want the system clock's", clock, err)
		}
		if rules, err := a.ListFaults(ctx); err != nil || len(rules) != 0 {
			t.Errorf("fault rules after a reset and a restart: %+v, %v", rules, err)
		}
		if _, err := a.GetTransaction(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-9"}); err == nil {
			t.Error("a transaction made before the reset is back after a restart")
		}
		// The ids of the cleared rules are not given again.
		if rule, err := a.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: 503}); err != nil || rule.ID == "f1" {
			t.Errorf("a rule added after a reset: %+v, %v; want an id other than f1", rule, err)
		}
	})
}
