package mockserver

import (
	"net/http"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

// TestTransactionListIsBounded lists a sandbox of 50,000 transactions: the
// answer is one page of the default limit, with a next, not all of them.
func TestTransactionListIsBounded(t *testing.T) {
	t.Parallel()
	const n = 50_000
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
