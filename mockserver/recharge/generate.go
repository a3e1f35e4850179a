package recharge

import (
	"math"
	"math/rand"
	"strconv"
	"strings"
	"time"

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

func (g Generator) faker(key transaction.Key) Faker {
	var seed [20]byte
	h := fnvAdd(fnvOffset, strconv.AppendInt(seed[:0], g.Seed, 10))
	h = fnvAdd(fnvAdd(fnvAdd(fnvAdd(h, "\x00"), key.RegistrationID), "\x00"), key.ReferenceID)
	return Faker{rand.New(rand.NewSource(int64(h & (1<<63 - 1))))}
}

// Faker draws the generator's numbers from math/rand's seeded source. It
// draws them as gofakeit's Faker.Number did (the generator's earlier
// source), so a seed goes on reproducing the data it gave before; that
// library's init, which registers text templates over its own methods,
// made every executable linking it keep the exported methods of every type,
// megabytes of them.
type Faker struct {
	rand *rand.Rand
}

// Number is an int from min to max, both included, min ≤ max.
func (f Faker) Number(min, max int) int {
	if min == max {
		return min
	}
	return min + int(f.rand.Int63n(int64(max-min+1)))
}

// The 64-bit FNV-1a hash, as hash/fnv's New64a computes it, without its
// allocation: every auto-created transaction is hashed twice.
const (
	fnvOffset uint64 = 14695981039346656037
	fnvPrime  uint64 = 1099511628211
)

// fnvAdd is h with the bytes of s written.
func fnvAdd[T string | []byte](h uint64, s T) uint64 {
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= fnvPrime
	}
	return h
}

// Fill sets every data field of t that is empty, from t's key. created is when
// the recharge is taken to have been made.
func (g Generator) Fill(t *Transaction, created time.Time) {
	f := g.faker(t.Key)
	txnid := strconv.Itoa(f.Number(1_000_000_000, 9_999_999_999))
	operator := FASTagIssuers[f.Number(0, len(FASTagIssuers)-1)]
	plate := VehicleNumber(f)
	rupees := 100 + 50*f.Number(0, 38)
	fill := func(dst *string, v string) {
		if *dst == "" {
			*dst = v
		}
	}
	if t.Amount == "" {
		var b [24]byte
		t.Amount = string(append(strconv.AppendInt(b[:0], int64(rupees), 10), ".00"...))
	}
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

func paise(p int64) string {
	var b [24]byte
	out := strconv.AppendInt(b[:0], p/100, 10)
	frac := p % 100
	if frac < 0 {
		// As %02d writes a negative remainder, whose sign fills the width.
		return string(strconv.AppendInt(append(out, '.'), frac, 10))
	}
	return string(append(out, '.', byte('0'+frac/10), byte('0'+frac%10)))
}

// VehicleNumber makes an Indian registration number such as DL10CG6228.
func VehicleNumber(f Faker) string {
	var buf [16]byte
	b := append(buf[:0], vehicleStates[f.Number(0, len(vehicleStates)-1)]...)
	b = appendPadded(b, f.Number(1, 99), 2)
	for range f.Number(1, 2) {
		b = append(b, plateLetters[f.Number(0, len(plateLetters)-1)])
	}
	return string(appendPadded(b, f.Number(1, 9999), 4))
}

// appendPadded appends n, from 0 to 9999, in width digits at least, as %0*d
// does.
func appendPadded(b []byte, n, width int) []byte {
	for w, limit := width, 1; w > 1; w-- {
		limit *= 10
		if n < limit {
			b = append(b, '0')
		}
	}
	return strconv.AppendInt(b, int64(n), 10)
}

// operatorIDFor derives the operator's reference from the provider's txnid, so
// that it is stable however often it is computed.
func operatorIDFor(txnid string) string {
	sum := fnvAdd(fnvOffset, txnid)
	const alphabet = "ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"
	v := sum
	var buf [14]byte
	b := append(buf[:0], "FT"...)
	for range 12 {
		b = append(b, alphabet[v%uint64(len(alphabet))])
		v /= uint64(len(alphabet))
		if v == 0 {
			v = sum ^ 0x9e3779b97f4a7c15
		}
	}
	return string(b)
}
