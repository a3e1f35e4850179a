package recharge

import (
	"regexp"
	"slices"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var vehiclePattern = regexp.MustCompile(`^[A-Z]{2}[0-9]{2}[A-HJ-NP-Z]{1,2}[0-9]{4}$`)

func TestGeneratorIsDeterministicAndRealistic(t *testing.T) {
	g := Generator{Seed: 42}
	keys := []transaction.Key{{RegistrationID: "AOP-554", ReferenceID: "A1"}, {RegistrationID: "AOP-554", ReferenceID: "A2"}, {RegistrationID: "AOP-777", ReferenceID: "A1"}}
	seen := map[string]bool{}
	for _, k := range keys {
		a := Transaction{Key: k, State: transaction.StateSuccess}
		b := Transaction{Key: k, State: transaction.StateSuccess}
		g.Fill(&a, t0)
		g.Fill(&b, t0)
		if a != b && !(a.TxnID == b.TxnID && a.CANumber == b.CANumber && a.Amount == b.Amount && a.DateAdded.Equal(b.DateAdded)) {
			t.Fatalf("same seed and key, different data: %+v vs %+v", a, b)
		}
		if !vehiclePattern.MatchString(a.CANumber) {
			t.Errorf("canumber %q is not an Indian vehicle number", a.CANumber)
		}
		if !slices.Contains(FASTagIssuers, a.OperatorName) {
			t.Errorf("operatorname %q is not a FASTag issuer", a.OperatorName)
		}
		for _, v := range []string{a.Amount, a.Comm, a.TDS} {
			if !rechargestatus.IsDecimalString(v) {
				t.Errorf("%q is not a decimal string", v)
			}
		}
		if a.DateAdded.After(t0) {
			t.Errorf("dateadded %v after creation %v", a.DateAdded, t0)
		}
		if a.OperatorID == "" {
			t.Error("a successful transaction has an operatorid")
		}
		seen[a.TxnID] = true
	}
	if len(seen) != len(keys) {
		t.Fatalf("txnids collide across keys: %v", seen)
	}
	other := Transaction{Key: keys[0], State: transaction.StateSuccess}
	Generator{Seed: 43}.Fill(&other, t0)
	first := Transaction{Key: keys[0], State: transaction.StateSuccess}
	g.Fill(&first, t0)
	if other.TxnID == first.TxnID && other.CANumber == first.CANumber {
		t.Fatal("another seed gives the same data")
	}
}

func TestFillKeepsGivenFields(t *testing.T) {
	tx := Transaction{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: "X"}, State: transaction.StatePending, TxnID: "9", Amount: "1"}
	Generator{Seed: 1}.Fill(&tx, t0)
	if tx.TxnID != "9" || tx.Amount != "1" {
		t.Fatalf("given fields replaced: %+v", tx)
	}
	if tx.OperatorID != "" {
		t.Fatal("a pending transaction has no operatorid yet")
	}
}

func TestGeneratedCommissionFollowsTheAmountSet(t *testing.T) {
	g := Generator{Seed: 1}
	for _, tt := range []struct{ amount, comm, tds string }{
		{"100.00", "0.25", "0.01"},
		{"10000.00", "25.00", "1.25"},
		{"1", "0.00", "0.00"},
		{"1234.56", "3.08", "0.15"},
		{"-50.00", "0.00", "0.00"},
	} {
		tx := Transaction{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: "AMOUNT-" + tt.amount}, State: transaction.StateSuccess, Amount: tt.amount}
		g.Fill(&tx, t0)
		if tx.Amount != tt.amount || tx.Comm != tt.comm || tx.TDS != tt.tds {
			t.Errorf("amount %s: got amount %s comm %s tds %s, want comm %s tds %s", tt.amount, tx.Amount, tx.Comm, tx.TDS, tt.comm, tt.tds)
		}
	}
	set := Transaction{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: "SET"}, State: transaction.StateSuccess, Amount: "500.00", Comm: "9.99"}
	g.Fill(&set, t0)
	if set.Comm != "9.99" || set.TDS != "0.49" {
		t.Errorf("a commission set is kept and TDS follows it: comm %s tds %s, want 9.99 and 0.49", set.Comm, set.TDS)
	}
}
