package dialect

import (
	"bytes"
	"encoding/json"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// The upstream's spelling of the envelopes, for encoding/json to write what
// AppendAnswer and AppendError must write with the upstream's key.
type upstreamAnswer struct {
	ResponseCode int                  `json:"responsecode"`
	Status       bool                 `json:"status"`
	Data         *rechargestatus.Data `json:"data,omitempty"`
	Message      string               `json:"message"`
}

type upstreamError struct {
	Status       bool   `json:"status"`
	ResponseCode int    `json:"responsecode"`
	Message      string `json:"message"`
	Remarks      string `json:"remarks,omitempty"`
}

func encodingSeeds() []string {
	return []string{"", "6469", "ICICI Bank", `"quoted" \back\slash`, "<script>&amp;</script>", "\x00\x01\b\f\n\r\t\x1f\x7f",
		"\xff\xfe invalid", "\u2028\u2029", "naïve ₹ 💳", "\xed\xa0\x80", string([]byte{0xe2, 0x80})}
}

func marshal(t *testing.T, v any) []byte {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzAppendAnswer holds the hand-written encoding of status answers to
// json.Marshal's bytes in both spellings of the code, whatever the strings.
//
//	go test -run='^$' -fuzz='^FuzzAppendAnswer$' -fuzztime=30s ./dialect
func FuzzAppendAnswer(f *testing.F) {
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
		if got, want := AppendAnswer(nil, answer, CodeKeyPage), marshal(t, answer); !bytes.Equal(got, want) {
			t.Fatalf("page spelling\n%s\nwant json.Marshal's\n%s", got, want)
		}
		up := upstreamAnswer{ResponseCode: answer.ResponseCode, Status: answer.Status, Data: answer.Data, Message: answer.Message}
		if got, want := AppendAnswer(nil, answer, CodeKeyUpstream), marshal(t, up); !bytes.Equal(got, want) {
			t.Fatalf("upstream spelling\n%s\nwant json.Marshal's\n%s", got, want)
		}
	})
}

// FuzzAppendError does the same for error answers.
//
//	go test -run='^$' -fuzz='^FuzzAppendError$' -fuzztime=30s ./dialect
func FuzzAppendError(f *testing.F) {
	for _, s := range encodingSeeds() {
		f.Add(s, s, 7)
	}
	f.Fuzz(func(t *testing.T, message, remarks string, code int) {
		e := rechargestatus.ErrorAnswer{ResponseCode: code, Message: message, Remarks: remarks}
		if got, want := AppendError(nil, e, CodeKeyPage), marshal(t, e); !bytes.Equal(got, want) {
			t.Fatalf("page spelling\n%s\nwant json.Marshal's\n%s", got, want)
		}
		up := upstreamError{ResponseCode: code, Message: message, Remarks: remarks}
		if got, want := AppendError(nil, e, CodeKeyUpstream), marshal(t, up); !bytes.Equal(got, want) {
			t.Fatalf("upstream spelling\n%s\nwant json.Marshal's\n%s", got, want)
		}
	})
}

// TestCodeKeyPageIsTheWireName holds CodeKeyPage to the one definition of
// the envelopes.
func TestCodeKeyPageIsTheWireName(t *testing.T) {
	for _, v := range []any{rechargestatus.Answer{}, rechargestatus.ErrorAnswer{}} {
		var members map[string]json.RawMessage
		if err := json.Unmarshal(marshal(t, v), &members); err != nil {
			t.Fatal(err)
		}
		if _, ok := members[string(CodeKeyPage)]; !ok {
			t.Errorf("%T spells its code otherwise than %s: %s", v, CodeKeyPage, marshal(t, v))
		}
	}
}

func TestAppendAnswerWithAnotherKeyQuotesIt(t *testing.T) {
	got := AppendAnswer(nil, rechargestatus.Answer{ResponseCode: 2, Message: "x"}, CodeKey(`a"b`))
	var members map[string]json.RawMessage
	if err := json.Unmarshal(got, &members); err != nil {
		t.Fatalf("%s: %v", got, err)
	}
	if string(members[`a"b`]) != "2" {
		t.Fatalf("key a\"b not written: %s", got)
	}
}

func BenchmarkAppendAnswer(b *testing.B) {
	refunded := "2026-03-05 18:02:37"
	a := rechargestatus.Answer{ResponseCode: 1, Status: true, Message: rechargestatus.MessageFound, Data: &rechargestatus.Data{
		TxnID: "7310042220", OperatorName: "Paytm Payments Bank", CANumber: "TN09BX4410", Amount: "1000.00", Comm: "0.00",
		TDS: "0.00", Status: "0", RefID: "REFUND-1001", DateAdded: "2026-03-05 17:15:02", Refunded: "1",
		RefundTxnID: "RF7310042220", DateRefunded: &refunded}}
	for _, key := range []CodeKey{CodeKeyPage, CodeKeyUpstream} {
		b.Run(string(key), func(b *testing.B) {
			buf := make([]byte, 0, 512)
			b.ReportAllocs()
			for b.Loop() {
				buf = AppendAnswer(buf[:0], a, key)
			}
		})
	}
	b.Run("json.Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, _ = json.Marshal(a)
		}
	})
}

// TestHotPathAllocatesNothing: choosing the server's dialect, or one the
// header names without knobs, and encoding an answer into a buffer of the
// right size cost no allocation.
func TestHotPathAllocatesNothing(t *testing.T) {
	server := Default()
	a := rechargestatus.Answer{ResponseCode: 1, Status: true, Message: rechargestatus.MessageFound,
		Data: &rechargestatus.Data{TxnID: "6469", Status: "1", RefID: "12345678", DateAdded: "2021-08-20 15:41:08", Refunded: "0"}}
	buf := make([]byte, 0, 1024)
	for _, header := range []string{"", "upstream"} {
		n := testing.AllocsPerRun(100, func() {
			d, err := Choose(header, Dialect{}, server)
			if err != nil {
				t.Fatal(err)
			}
			buf = d.AppendAnswer(buf[:0], a)
			_, e := d.ErrorAnswer(Authentication, rechargestatus.MessageAuthenticationFailed, "")
			buf = d.AppendError(buf[:0], e)
		})
		if n != 0 {
			t.Errorf("header %q: %v allocations per answer", header, n)
		}
	}
}
