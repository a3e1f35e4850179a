package recharge

import (
	"fmt"
	"hash/fnv"
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
	// Commission and TDS as a FASTag reseller sees them: a fraction of a percent,
	// TDS five percent of the commission.
	commPaise := rupees * 25 / 100
	tdsPaise := commPaise * 5 / 100
	ageSeconds := f.Number(30, 600)
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	fill(&t.TxnID, txnid)
	fill(&t.OperatorName, operator)
	fill(&t.CANumber, plate)
	fill(&t.Amount, fmt.Sprintf("%d.00", rupees))
	fill(&t.Comm, paise(commPaise))
	fill(&t.TDS, paise(tdsPaise))
	if t.DateAdded.IsZero() {
		t.DateAdded = created.Add(-time.Duration(ageSeconds) * time.Second).Truncate(time.Second)
	}
	if t.OperatorID == "" && t.State != transaction.StatePending && t.State != transaction.StateFailed && t.State != transaction.StateRefunded {
		t.OperatorID = operatorIDFor(t.TxnID)
	}
}

func paise(p int) string { return fmt.Sprintf("%d.%02d", p/100, p%100) }

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
