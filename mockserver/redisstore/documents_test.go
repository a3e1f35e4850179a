package redisstore

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestTransactionsSharingADocumentSlotKeepTheirOwnFields decodes, over and
// over and from several goroutines, two count-only transactions whose
// fields share a slot of the decoded documents: a refunded one and one
// without a refund, whose document leaves the refund fields out. Neither
// ever answers with the other's fields.
func TestTransactionsSharingADocumentSlotKeepTheirOwnFields(t *testing.T) {
	refunded := recharge.Transaction{
		Key:   transaction.Key{RegistrationID: "AOP-554", ReferenceID: "REFUNDED-1"},
		State: transaction.StateRefunded, TxnID: "T-1", Amount: "1", Comm: "0.00", TDS: "0.00",
		RefundTxnID: "RF-1", DateRefunded: new(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)),
	}
	f1, err := field(refunded.Key)
	if err != nil {
		t.Fatal(err)
	}
	// The first referenceid whose field falls in the same slot.
	var other recharge.Transaction
	var f2 string
	for i := 0; f2 == ""; i++ {
		k := transaction.Key{RegistrationID: "AOP-554", ReferenceID: fmt.Sprintf("SUCCESS-%d", i)}
		f, err := field(k)
		if err != nil {
			t.Fatal(err)
		}
		if f != f1 && slotOf(f)%64 == slotOf(f1)%64 {
			other = recharge.Transaction{Key: k, State: transaction.StateSuccess, TxnID: "T-2", Amount: "2", Comm: "0.00", TDS: "0.00"}
			f2 = f
		}
	}
	values := map[string]string{}
	for _, tx := range []recharge.Transaction{refunded, other} {
		f, _ := field(tx.Key)
		v, err := encode(tx)
		if err != nil {
			t.Fatal(err)
		}
		if v[0] != countOnlyMark {
			t.Fatalf("%s is not stored count-only: %s", tx.Key, v)
		}
		values[f] = string(v)
	}
	var s Store
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 200 {
				f := f1
				if (i+g)%2 == 1 {
					f = f2
				}
				got, err := s.decodeCounted(f, values[f])
				if err != nil {
					t.Error(err)
					return
				}
				want := refunded
				if f == f2 {
					want = other
				}
				if got.Key != want.Key || got.RefundTxnID != want.RefundTxnID || (got.DateRefunded == nil) != (want.DateRefunded == nil) || got.State != want.State {
					t.Errorf("decoded %s as %s %s refundtxnid %q daterefunded %v", want.Key, got.Key, got.State, got.RefundTxnID, got.DateRefunded)
					return
				}
			}
		})
	}
	wg.Wait()
}
