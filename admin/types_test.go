package admin

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"
)

// TestOneSpellingOfEveryKey holds the types a fixtures file shares with the
// admin API to one key per field: the YAML key is the JSON key.
func TestOneSpellingOfEveryKey(t *testing.T) {
	for _, v := range []any{Transaction{}, Rule{}, Key{}} {
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			f := typ.Field(i)
			j, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			y, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if j == "" || j != y {
				t.Errorf("%s.%s: json key %q, yaml key %q", typ.Name(), f.Name, j, y)
			}
		}
	}
}

func TestTransactionValidate(t *testing.T) {
	rule := func(to State, n int, after time.Duration) *Rule {
		return &Rule{To: to, AfterEnquiries: n, After: Duration(after)}
	}
	tests := []struct {
		name  string
		tx    Transaction
		where string // what the error names; "" for a valid transaction
	}{
		{"state only", Transaction{State: StateSuccess}, ""},
		{"pending with rules", Transaction{State: StatePending, Resolve: rule(StateFailed, 2, 0), Refund: rule("", 0, time.Minute)}, ""},
		{"refunded with its fields", Transaction{State: StateRefunded, RefundTxnID: "RF1", DateRefunded: "2026-03-05 18:00:00", DateAdded: "2026-03-05 17:00:00"}, ""},
		{"no state", Transaction{}, `state ""`},
		{"unknown state", Transaction{State: "done"}, `state "done"`},
		{"txnid too long", Transaction{State: StateSuccess, TxnID: strings.Repeat("9", 65)}, "txnid"},
		{"operatorname too long", Transaction{State: StateSuccess, OperatorName: strings.Repeat("b", 129)}, "operatorname"},
		{"bad dateadded", Transaction{State: StateSuccess, DateAdded: "yesterday"}, "dateadded"},
		{"bad daterefunded", Transaction{State: StateRefunded, DateRefunded: "2026-03-05T18:00:00Z"}, "daterefunded"},
		{"refund fields on success", Transaction{State: StateSuccess, RefundTxnID: "RF1"}, "refundtxnid and daterefunded"},
		{"resolve on success", Transaction{State: StateSuccess, Resolve: rule(StateFailed, 1, 0)}, "resolve applies only to a pending"},
		{"refund on success", Transaction{State: StateSuccess, Refund: rule("", 1, 0)}, "refund applies only to a pending or failed"},
		{"resolve to refunded", Transaction{State: StatePending, Resolve: rule(StateRefunded, 1, 0)}, "resolve: to"},
		{"resolve without a target", Transaction{State: StatePending, Resolve: rule("", 1, 0)}, "resolve: to"},
		{"resolve without a trigger", Transaction{State: StatePending, Resolve: rule(StateSuccess, 0, 0)}, "resolve: a rule needs"},
		{"refund with a target", Transaction{State: StateFailed, Refund: rule(StateRefunded, 1, 0)}, "refund: to"},
		{"negative count", Transaction{State: StateFailed, Refund: rule("", -1, time.Minute)}, "refund: afterEnquiries"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.tx.Validate()
			switch {
			case tt.where == "" && err != nil:
				t.Fatalf("refused: %v", err)
			case tt.where != "" && (err == nil || !strings.Contains(err.Error(), tt.where)):
				t.Fatalf("got %v, want an error naming %q", err, tt.where)
			}
		})
	}
}

func TestDurationText(t *testing.T) {
	var d Duration
	if err := json.Unmarshal([]byte(`"1h30m"`), &d); err != nil || d != Duration(90*time.Minute) {
		t.Fatalf("1h30m read as %v, %v", time.Duration(d), err)
	}
	if b, _ := json.Marshal(Duration(1500 * time.Millisecond)); string(b) != `"1.5s"` {
		t.Fatalf("1.5s written as %s", b)
	}
	for _, bad := range []string{`"-1s"`, `"soon"`, `10`} {
		if err := json.Unmarshal([]byte(bad), &d); err == nil {
			t.Errorf("%s read as a duration", bad)
		}
	}
}

func TestClockMoveJSON(t *testing.T) {
	at := time.Date(2026, 4, 1, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		move ClockMove
		want string
	}{
		{Advance(30 * time.Minute), `{"advance":"30m0s"}`},
		{SetClock(at), `{"set":"2026-04-01T10:00:00Z"}`},
		{FreezeClock(at), `{"freeze":"2026-04-01T10:00:00Z"}`},
		{FreezeClockNow(), `{"freeze":true}`},
		{ResumeClock(), `{"resume":true}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.move)
		if err != nil || string(b) != tt.want {
			t.Errorf("%+v written as %s, %v; want %s", tt.move, b, err, tt.want)
		}
		var back ClockMove
		if err := json.Unmarshal(b, &back); err != nil || !reflect.DeepEqual(back, tt.move) {
			t.Errorf("%s read back as %+v, %v", b, back, err)
		}
	}
	var m ClockMove
	if err := json.Unmarshal([]byte(`{"freeze":false}`), &m); err == nil || !strings.Contains(err.Error(), "freeze") {
		t.Fatalf("freeze false: %v", err)
	}
}
