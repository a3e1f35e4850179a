package mockserver

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// listCountingStore counts the store's listings.
type listCountingStore struct {
	recharge.Store
	lists atomic.Int64
}

func (s *listCountingStore) List(ctx context.Context, f recharge.Filter) ([]recharge.Transaction, error) {
	s.lists.Add(1)
	return s.Store.List(ctx, f)
}

// manyTransactions is a memory store of n transactions, a quarter in each
// state.
func manyTransactions(tb testing.TB, n int) *recharge.MemoryStore {
	tb.Helper()
	s := recharge.NewMemoryStore()
	now := time.Now()
	svc := recharge.NewService(s, recharge.NewFrozenClock(now), 1)
	made := svc.NewTransaction(transaction.Key{RegistrationID: "AOP-554", ReferenceID: "BULK-"}, transaction.ScenarioFor("BULK-"), now)
	txs := make([]recharge.Transaction, n)
	for i := range txs {
		txs[i] = made
		txs[i].ReferenceID = fmt.Sprintf("BULK-%06d", i)
		txs[i].State = transaction.States[i%len(transaction.States)]
	}
	if err := s.Replace(context.Background(), recharge.Replacement{Add: txs}); err != nil {
		tb.Fatal(err)
	}
	return s
}

// TestScrapeDoesNotListTheStore scrapes a store of 100,000 transactions:
// the gauges say how many are in each state, and no scrape lists them.
func TestScrapeDoesNotListTheStore(t *testing.T) {
	t.Parallel()
	const n = 100_000
	store := &listCountingStore{Store: manyTransactions(t, n)}
	m, err := newMetrics(store)
	if err != nil {
		t.Fatal(err)
	}
	for range 3 {
		for _, st := range transaction.States {
			if got := metricValue(t, m.registry, "aopay_mock_transactions", map[string]string{"state": string(st)}); got != n/4 {
				t.Errorf("aopay_mock_transactions{state=%q} = %v, want %d", st, got, n/4)
			}
		}
	}
	if got := store.lists.Load(); got != 0 {
		t.Errorf("scrapes listed the store %d times, want none", got)
	}
}

// BenchmarkScrape100kTransactions is one GET /metrics of a sandbox holding
// 100,000 transactions in memory.
func BenchmarkScrape100kTransactions(b *testing.B) {
	m, err := newMetrics(manyTransactions(b, 100_000))
	if err != nil {
		b.Fatal(err)
	}
	h := m.handler()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d", rec.Code)
		}
	}
}

// TestTransactionGaugesFollowChanges changes the transactions every way the
// sandbox does, in memory and in bbolt, and checks after each change that
// the gauges say what a listing of the store does.
func TestTransactionGaugesFollowChanges(t *testing.T) {
	t.Parallel()
	for _, st := range []struct {
		name string
		open func(t *testing.T) recharge.Store
	}{
		{"memory", func(*testing.T) recharge.Store { return recharge.NewMemoryStore() }},
		{"bolt", openBolt},
	} {
		t.Run(st.name, func(t *testing.T) {
			t.Parallel()
			testGaugesFollowChanges(t, st.open(t))
		})
	}
}

func testGaugesFollowChanges(t *testing.T, store recharge.Store) {
	sb := newSandbox(t, Config{Store: store, MaxTransactions: 2})
	check := func(step string) {
		t.Helper()
		txs, err := store.List(t.Context(), recharge.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		want := map[transaction.State]float64{}
		for _, tx := range txs {
			want[tx.State]++
		}
		for _, st := range transaction.States {
			got := metricValue(t, sb.srv.metrics.registry, "aopay_mock_transactions", map[string]string{"state": string(st)})
			if got != want[st] {
				t.Errorf("%s: aopay_mock_transactions{state=%q} = %v, want %v", step, st, got, want[st])
			}
		}
	}
	adminOK := func(method, path string, body any) {
		t.Helper()
		if a := sb.admin(method, path, body); a.status >= 300 {
			t.Fatalf("%s %s: %d %s", method, path, a.status, a.body)
		}
	}
	check("fixtures")
	adminOK(http.MethodPut, "/__admin/transactions/AOP-554/GAUGE-1", map[string]any{"state": "pending"})
	check("put")
	adminOK(http.MethodPost, "/__admin/transactions/AOP-554/GAUGE-1/transition", map[string]any{"to": "success"})
	check("transition")
	adminOK(http.MethodPut, "/__admin/transactions/AOP-554/GAUGE-1", map[string]any{"state": "failed"})
	check("put over another state")
	adminOK(http.MethodDelete, "/__admin/transactions/AOP-554/GAUGE-1", nil)
	check("delete")
	for i := range 4 {
		sb.enquire(sb.client, "AOP-554", fmt.Sprintf("AUTO-%d", i), nil)
	}
	check("made on enquiry, the oldest evicted")
	adminOK(http.MethodPost, "/__admin/reset", nil)
	check("reset")
	adminOK(http.MethodPut, "/__admin/transactions/AOP-554/GAUGE-2", map[string]any{"state": "refunded"})
	adminOK(http.MethodPost, "/__admin/fixtures/reload", nil)
	check("reload")
}

var _ prometheus.Collector = (*transactionsCollector)(nil)
