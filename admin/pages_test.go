package admin_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"reflect"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// both serves a mock on loopback and returns the client of its admin API
// and its in-process admin.Admin, which must answer alike.
func both(t *testing.T) (*admin.Client, admin.Admin) {
	t.Helper()
	srv, err := mockserver.New(mockserver.Config{Clock: recharge.NewFrozenClock(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Stop()
		ts.Close()
	})
	return admin.NewClient(ts.URL), srv.Admin()
}

func keysOf(views []admin.TransactionView) []transaction.Key {
	out := make([]transaction.Key, len(views))
	for i, v := range views {
		out[i] = v.Key
	}
	return out
}

// TestTransactionPages walks the transactions a few at a time, with and
// without filters: every one once, in order, each page within its limit,
// the last without a next; over HTTP and in process alike.
func TestTransactionPages(t *testing.T) {
	t.Parallel()
	c, inProcess := both(t)
	ctx := context.Background()
	for i := range 230 {
		st := transaction.States[i%len(transaction.States)]
		key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: fmt.Sprintf("PAGE-%03d", i)}
		if _, _, err := inProcess.PutTransaction(ctx, key, transaction.Description{State: st}); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range []admin.TransactionFilter{{}, {State: transaction.StateFailed}, {RegistrationID: "AOP-554", State: transaction.StatePending}, {RegistrationID: "NONE"}} {
		want, err := inProcess.ListTransactions(ctx, f)
		if err != nil {
			t.Fatal(err)
		}
		var walked []admin.TransactionView
		p := admin.PageQuery{Limit: 7}
		for pages := 0; ; pages++ {
			if pages > len(want)/7+1 {
				t.Fatalf("%+v: still paging after %d pages", f, pages)
			}
			page, err := c.ListTransactionPage(ctx, f, p)
			if err != nil {
				t.Fatal(err)
			}
			same, err := inProcess.ListTransactionPage(ctx, f, p)
			if err != nil || !reflect.DeepEqual(page, same) {
				t.Fatalf("%+v %+v: the client's page %v (next %q) differs from the one in process %v (next %q), %v", f, p, keysOf(page.Transactions), page.Next, keysOf(same.Transactions), same.Next, err)
			}
			if len(page.Transactions) > p.Limit {
				t.Fatalf("%+v: a page of %d past its limit %d", f, len(page.Transactions), p.Limit)
			}
			walked = append(walked, page.Transactions...)
			if page.Next == "" {
				break
			}
			p.After = page.Next
		}
		if !reflect.DeepEqual(keysOf(walked), keysOf(want)) {
			t.Fatalf("%+v: pages walked %d transactions %v, want each of %d once in order %v", f, len(walked), keysOf(walked), len(want), keysOf(want))
		}
		if f.State != "" && len(want) < 50 {
			t.Fatalf("%+v: only %d transactions, too few to page", f, len(want))
		}
		var iterated []admin.TransactionView
		for v, err := range c.Transactions(ctx, f, admin.PageQuery{}) {
			if err != nil {
				t.Fatal(err)
			}
			iterated = append(iterated, v)
		}
		if !reflect.DeepEqual(keysOf(iterated), keysOf(want)) {
			t.Fatalf("%+v: Transactions yielded %d, want %d", f, len(iterated), len(want))
		}
	}
	first, err := c.ListTransactionPage(ctx, admin.TransactionFilter{}, admin.PageQuery{})
	if err != nil || len(first.Transactions) != admin.DefaultListPage || first.Next == "" {
		t.Fatalf("a page without a limit: %d transactions, next %q, %v; want %d and a next", len(first.Transactions), first.Next, err, admin.DefaultListPage)
	}
	widest, err := c.ListTransactionPage(ctx, admin.TransactionFilter{}, admin.PageQuery{Limit: admin.MaxListPage})
	if err != nil || widest.Next != "" || len(widest.Transactions) < 230 {
		t.Fatalf("a page of the largest limit: %d transactions, next %q, %v; want them all", len(widest.Transactions), widest.Next, err)
	}
	for _, a := range []admin.Admin{c, inProcess} {
		for _, p := range []admin.PageQuery{{Limit: -1}, {Limit: admin.MaxListPage + 1}, {After: "not a cursor!"}, {After: "QUJD"}} {
			_, err := a.ListTransactionPage(ctx, admin.TransactionFilter{}, p)
			wantError(t, fmt.Sprintf("%T ListTransactionPage(%+v)", a, p), err, http.StatusBadRequest, admin.CodeInvalid)
		}
	}
}

// TestFaultPages walks the fault rules two at a time, over HTTP and in
// process alike.
func TestFaultPages(t *testing.T) {
	t.Parallel()
	c, inProcess := both(t)
	ctx := context.Background()
	for i := range 5 {
		if _, err := c.AddFault(ctx, admin.FaultRule{ID: fmt.Sprint("rule-", i), Kind: admin.FaultEmpty, ReferenceID: "NONE"}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []string
	p := admin.PageQuery{Limit: 2}
	for pages := 0; ; pages++ {
		if pages > 3 {
			t.Fatalf("still paging after %d pages: %v", pages, ids)
		}
		page, err := c.ListFaultPage(ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		same, err := inProcess.ListFaultPage(ctx, p)
		if err != nil || !reflect.DeepEqual(page, same) {
			t.Fatalf("%+v: the client's page %+v differs from the one in process %+v, %v", p, page, same, err)
		}
		for _, r := range page.Faults {
			ids = append(ids, r.ID)
		}
		if page.Next == "" {
			break
		}
		p.After = page.Next
	}
	if want := []string{"rule-0", "rule-1", "rule-2", "rule-3", "rule-4"}; !reflect.DeepEqual(ids, want) {
		t.Fatalf("paged %v, want %v", ids, want)
	}
	if all, err := c.ListFaults(ctx); err != nil || len(all) != 5 {
		t.Fatalf("ListFaults: %d rules, %v", len(all), err)
	}
	for _, a := range []admin.Admin{c, inProcess} {
		for _, p := range []admin.PageQuery{{Limit: -1}, {Limit: admin.MaxListPage + 1}, {After: "no-such-rule"}} {
			_, err := a.ListFaultPage(ctx, p)
			wantError(t, fmt.Sprintf("%T ListFaultPage(%+v)", a, p), err, http.StatusBadRequest, admin.CodeInvalid)
		}
	}
}
