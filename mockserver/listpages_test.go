package mockserver

import (
	"net/http"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// TestTransactionListIsBounded lists a sandbox of 50,000 transactions: the
// answer is one page of the default limit, with a next, not all of them.
func TestTransactionListIsBounded(t *testing.T) {
	t.Parallel()
	const n = 10_000
	sb := newSandbox(t, Config{Store: manyTransactions(t, n)})
	a := sb.admin(http.MethodGet, "/__admin/transactions", nil)
	var list admin.TransactionList
	a.decode(t, &list)
	if a.status != http.StatusOK || len(list.Transactions) != admin.DefaultListPage || list.Next == "" {
		t.Fatalf("GET /__admin/transactions of %d: %d, %d transactions, next %q; want a page of %d and a next", n, a.status, len(list.Transactions), list.Next, admin.DefaultListPage)
	}
	if len(a.body) > 200<<10 {
		t.Fatalf("a page of %d transactions is %d bytes", len(list.Transactions), len(a.body))
	}
	a = sb.admin(http.MethodGet, "/__admin/transactions?limit=1000&state=success&after="+list.Next, nil)
	a.decode(t, &list)
	if a.status != http.StatusOK || len(list.Transactions) != admin.MaxListPage || list.Next == "" {
		t.Fatalf("a filtered page of the largest limit: %d, %d transactions, next %q", a.status, len(list.Transactions), list.Next)
	}
}

// BenchmarkTransactionPage100k is one default page of
// GET /__admin/transactions, in process, of 100,000 transactions in memory.
func BenchmarkTransactionPage100k(b *testing.B) {
	srv, err := New(Config{Store: manyTransactions(b, 100_000), Clock: recharge.NewFrozenClock(sandboxEpoch)})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(srv.Stop)
	ctx := b.Context()
	b.ReportAllocs()
	for b.Loop() {
		list, err := srv.control.ListTransactionPage(ctx, admin.TransactionFilter{}, admin.PageQuery{After: "QU9QLTU1NABCVUxLLTA1MDAwMA"})
		if err != nil || len(list.Transactions) != admin.DefaultListPage {
			b.Fatalf("%d transactions, %v", len(list.Transactions), err)
		}
	}
}
