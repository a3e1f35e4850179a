package redisstore_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestCountsOfAGenerationWithoutThem reads the counts of data written
// before counts were kept (its counts hash removed): they are counted from
// the transactions once, then kept by every write, through either replica.
func TestCountsOfAGenerationWithoutThem(t *testing.T) {
	srv := redistest.Start(t)
	first, second := open(t, srv.URL), open(t, srv.URL)
	ctx := context.Background()
	txs := []recharge.Transaction{tx("A", "1"), tx("B", "2"), tx("C", "3")}
	// A pending transaction with a rule to resolve is stored as a document
	// alone, the others, count-only, with their counts before it.
	txs[2].State = transaction.StatePending
	txs[2].Resolve = &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 2}
	if err := first.Replace(ctx, recharge.Replacement{Add: txs}); err != nil {
		t.Fatal(err)
	}
	gen, err := first.Client().Get(ctx, first.Key("gen")).Result()
	if err != nil {
		t.Fatal(err)
	}
	if err := first.Client().Del(ctx, first.Key(fmt.Sprintf("txs:%s:counts", gen))).Err(); err != nil {
		t.Fatal(err)
	}
	counts, err := second.Counts(ctx)
	if err != nil || counts[transaction.StateSuccess] != 2 || counts[transaction.StatePending] != 1 {
		t.Fatalf("counts without a counts hash: %v, %v; want 2 success, 1 pending", counts, err)
	}
	if err := first.Delete(ctx, txs[0].Key); err != nil {
		t.Fatal(err)
	}
	counts, err = second.Counts(ctx)
	if err != nil || counts[transaction.StateSuccess] != 1 || counts[transaction.StatePending] != 1 {
		t.Fatalf("counts after a delete through another replica: %v, %v; want 1 success, 1 pending", counts, err)
	}
}
