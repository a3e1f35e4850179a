package recharge

import (
	"fmt"
	"hash/fnv"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/brianvoe/gofakeit/v6"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// FASTagIssuers are banks that issue FASTags, the operators of this endpoint.
var FASTagIssuers = []string{
	"ICICI Bank", "HDFC Bank", "Axis Bank", "State Bank of India", "Kotak Mahindra Bank",
	"IDFC FIRST Bank", "Paytm Payments Bank", "Airtel Payments Bank", "Bank of Baroda",
	"IndusInd Bank", "Federal Bank", "Equitas Small Finance Bank", "Punjab National Bank",
	"Union Bank of India", "Canara Bank", "Yes Bank", "AU Small Finance Bank", "IDBI Bank",
}

var vehicleStates = []string{
	"DL", "MH", "KA", "TN", "UP", "HR", "RJ", "GJ", "WB", "TS", "AP", "KL", "MP", "PB", "CH", "BR", "OD",
}

// Series letters skip I and O, which Indian plates avoid.
const plateLetters = "ABCDEFGHJKLMNPQRSTUVWXYZ"

// Generator makes realistic transaction data, the same for the same seed and
// key, so a sandbox run can be reproduced.
type Generator struct {
	Seed int64
}

func (g Generator) faker(key transaction.Key) *gofakeit.Faker {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d\x00%s\x00%s", g.Seed, key.RegistrationID, key.ReferenceID)
	return gofakeit.New(int64(h.Sum64() & (1<<63 - 1)))
}

// Fill sets every data field of t that is empty, from t's key. created is when
// the recharge is taken to have been made.
func (g Generator) Fill(t *Transaction, created time.Time) {
	f := g.faker(t.Key)
	txnid := fmt.Sprintf("%d", f.Number(1_000_000_000, 9_999_999_999))
	operator := FASTagIssuers[f.Number(0, len(FASTagIssuers)-1)]
	plate := VehicleNumber(f)
	rupees := 100 + 50*f.Number(0, 38)
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&t.Amount, fmt.Sprintf("%d.00", rupees))
	if amount, ok := amountPaise(t.Amount); ok {
		fill(&t.Comm, paise(commission(amount)))
	}
	if comm, ok := amountPaise(t.Comm); ok {
		fill(&t.TDS, paise(tds(comm)))
	}
	ageSeconds := f.Number(30, 600)
	fill(&t.TxnID, txnid)
	fill(&t.OperatorName, operator)
	fill(&t.CANumber, plate)
	if t.DateAdded.IsZero() {
		t.DateAdded = created.Add(-time.Duration(ageSeconds) * time.Second).Truncate(time.Second)
	}
	if t.OperatorID == "" && t.State != transaction.StatePending && t.State != transaction.StateFailed && t.State != transaction.StateRefunded {
		t.OperatorID = operatorIDFor(t.TxnID)
	}
}

// commission and tds are the sandbox's own rule for the commission of an
// amount and the TDS on a commission, in paise, since the provider's is not
// public: commission a quarter of a percent of the amount, as a FASTag
// reseller sees it, TDS five percent of the commission, each rounded down to
// the paisa. A negative amount earns none.
func commission(amountPaise int64) int64 { return max(amountPaise, 0) * 25 / 10_000 }

func tds(commPaise int64) int64 { return max(commPaise, 0) * 5 / 100 }

// amountPaise reads a decimal amount such as "1", "100.5" or "10000.00" in
// paise, rounding further decimals down; false when it is not one.
func amountPaise(amount string) (int64, bool) {
	whole, frac, _ := strings.Cut(amount, ".")
	negative := strings.HasPrefix(whole, "-")
	whole = strings.TrimPrefix(whole, "-")
	frac = (frac + "00")[:2]
	rupees, err1 := strconv.ParseInt(whole, 10, 64)
	cents, err2 := strconv.ParseUint(frac, 10, 64)
	if err1 != nil || err2 != nil || rupees < 0 || rupees > math.MaxInt64/100-100 {
		return 0, false
	}
	p := rupees*100 + int64(cents)
	if negative {
		p = -p
	}
	return p, true
}

func paise(p int64) string { return fmt.Sprintf("%d.%02d", p/100, p%100) }

// VehicleNumber makes an Indian registration number such as DL10CG6228.
func VehicleNumber(f *gofakeit.Faker) string {
	var b strings.Builder
	b.WriteString(vehicleStates[f.Number(0, len(vehicleStates)-1)])
	fmt.Fprintf(&b, "%02d", f.Number(1, 99))
	for range f.Number(1, 2) {
		b.WriteByte(plateLetters[f.Number(0, len(plateLetters)-1)])
	}
	fmt.Fprintf(&b, "%04d", f.Number(1, 9999))
	return b.String()
}

// operatorIDFor derives the operator's reference from the provider's txnid, so
// that it is stable however often it is computed.
func operatorIDFor(txnid string) string {
	h := fnv.New64a()
	h.Write([]byte(txnid))
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	v := h.Sum64()
	b := []byte("FT")
	for range 12 {
		b = append(b, alphabet[v%uint64(len(alphabet))])
		v /= uint64(len(alphabet))
		if v == 0 {
			v = h.Sum64() ^ 0x9e3779b97f4a7c15
		}
	}
	return string(b)
}
