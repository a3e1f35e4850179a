package recharge

import (
	"regexp"
	"slices"
	"testing"
	"time"

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

// TestGeneratorReproducesEarlierData holds the generator to the data it made
// for these seeds and keys when it drew from gofakeit: a seed names a
// sandbox run, and the same seed must give the same transactions after an
// upgrade.
func TestGeneratorReproducesEarlierData(t *testing.T) {
	created := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		seed                                                      int64
		ref, txnid, operator, plate, amount, comm, tds, dateAdded string
		operatorID                                                string
	}{
		{1, "A1", "5795981866", "IDFC FIRST Bank", "RJ59T3402", "1000.00", "2.50", "0.12", "2026-03-01T11:53:56Z", "FT3N6EEA7K6YAC"},
		{1, "ORDER-1", "1948404884", "Airtel Payments Bank", "DL02FM7003", "1750.00", "4.37", "0.21", "2026-03-01T11:53:48Z", "FT9HLF1BSNBLMG"},
		{1, "é", "4960211030", "Yes Bank", "DL11M6747", "1950.00", "4.87", "0.24", "2026-03-01T11:51:06Z", "FT59JM7D07Y3T3"},
		{42, "A1", "7385975677", "Federal Bank", "OD27E9377", "300.00", "0.75", "0.03", "2026-03-01T11:50:18Z", "FTDXLDMGE4NLWZ"},
		{42, "ORDER-1", "2552395752", "Airtel Payments Bank", "PB03S9632", "1900.00", "4.75", "0.23", "2026-03-01T11:54:07Z", "FT4WMTSZK6121D"},
		{42, "é", "2930499542", "State Bank of India", "DL04K2532", "100.00", "0.25", "0.01", "2026-03-01T11:54:15Z", "FTE0HJ3T9431FC"},
		{-7, "A1", "4440981491", "Yes Bank", "MP56XR3921", "1600.00", "4.00", "0.20", "2026-03-01T11:53:33Z", "FTHUHNUX9EQ5DH"},
		{-7, "ORDER-1", "1119571283", "ICICI Bank", "TN55N5359", "1400.00", "3.50", "0.17", "2026-03-01T11:59:15Z", "FT1F87338ZYPQE"},
		{-7, "é", "1684260244", "Airtel Payments Bank", "KL63XD5494", "1950.00", "4.87", "0.24", "2026-03-01T11:57:14Z", "FT2ZFR2Y39EMNS"},
	}
	for _, c := range cases {
		tx := Transaction{Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: c.ref}, State: transaction.StateSuccess}
		Generator{Seed: c.seed}.Fill(&tx, created)
		got := []string{tx.TxnID, tx.OperatorName, tx.CANumber, tx.Amount, tx.Comm, tx.TDS, tx.DateAdded.Format(time.RFC3339), tx.OperatorID}
		want := []string{c.txnid, c.operator, c.plate, c.amount, c.comm, c.tds, c.dateAdded, c.operatorID}
		if !slices.Equal(got, want) {
			t.Errorf("seed %d, referenceid %q: %q, want %q", c.seed, c.ref, got, want)
		}
	}
}
