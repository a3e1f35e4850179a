package envelope

import (
	"bytes"
	"encoding/json"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

func encodingSeeds() []string {
	return []string{"", "6469", "ICICI Bank", `"quoted" \back\slash`, "<script>&amp;</script>", "\x00\x01\b\f\n\r\t\x1f\x7f",
		"\xff\xfe invalid", "\u2028\u2029", "naïve ₹ 💳", "\xed\xa0\x80", string([]byte{0xe2, 0x80})}
}

// FuzzAnswerEncoding holds the hand-written encoding of enquiry answers to
// json.Marshal's bytes, whatever the strings in them.
//
//	go test -run='^$' -fuzz='^FuzzAnswerEncoding$' -fuzztime=30s ./mockserver/internal/envelope
func FuzzAnswerEncoding(f *testing.F) {
	for _, s := range encodingSeeds() {
		f.Add(s, s, true, 1)
	}
	f.Fuzz(func(t *testing.T, a, b string, withData bool, code int) {
		answer := rechargestatus.Answer{ResponseCode: code, Status: code == 1, Message: b}
		if withData {
			d := rechargestatus.Data{TxnID: a, OperatorName: b, CANumber: a + b, Amount: a, Comm: b, TDS: a, Status: b,
				RefID: a, OperatorID: b, DateAdded: a, Refunded: b, RefundTxnID: a}
			if len(a)%2 == 0 {
				d.DateRefunded = &b
			}
			answer.Data = &d
		}
		want, err := json.Marshal(answer)
		if err != nil {
			t.Fatal(err)
		}
		if got := appendAnswer(nil, answer); !bytes.Equal(got, want) {
			t.Fatalf("encoded\n%s\nwant json.Marshal's\n%s", got, want)
		}
	})
}
