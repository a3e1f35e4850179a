package transaction

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
	for _, v := range []any{Description{}, Rule{}, Key{}} {
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

func TestDescriptionValidate(t *testing.T) {
	rule := func(to State, n int, after time.Duration) *Rule {
		return &Rule{To: to, AfterEnquiries: n, After: Duration(after)}
	}
	tests := []struct {
		name  string
		tx    Description
		where string // what the error names; "" for a valid transaction
	}{
		{"state only", Description{State: StateSuccess}, ""},
		{"pending with rules", Description{State: StatePending, Resolve: rule(StateFailed, 2, 0), Refund: rule("", 0, time.Minute)}, ""},
		{"refunded with its fields", Description{State: StateRefunded, RefundTxnID: "RF1", DateRefunded: "2026-03-05 18:00:00", DateAdded: "2026-03-05 17:00:00"}, ""},
		{"no state", Description{}, `state ""`},
		{"unknown state", Description{State: "done"}, `state "done"`},
		{"txnid too long", Description{State: StateSuccess, TxnID: strings.Repeat("9", 65)}, "txnid"},
		{"operatorname too long", Description{State: StateSuccess, OperatorName: strings.Repeat("b", 129)}, "operatorname"},
		{"bad dateadded", Description{State: StateSuccess, DateAdded: "yesterday"}, "dateadded"},
		{"bad daterefunded", Description{State: StateRefunded, DateRefunded: "2026-03-05T18:00:00Z"}, "daterefunded"},
		{"refund fields on success", Description{State: StateSuccess, RefundTxnID: "RF1"}, "refundtxnid and daterefunded"},
		{"resolve on success", Description{State: StateSuccess, Resolve: rule(StateFailed, 1, 0)}, "resolve applies only to a pending"},
		{"refund on success", Description{State: StateSuccess, Refund: rule("", 1, 0)}, "refund applies only to a pending or failed"},
		{"resolve to refunded", Description{State: StatePending, Resolve: rule(StateRefunded, 1, 0)}, "resolve: to"},
		{"resolve without a target", Description{State: StatePending, Resolve: rule("", 1, 0)}, "resolve: to"},
		{"resolve without a trigger", Description{State: StatePending, Resolve: rule(StateSuccess, 0, 0)}, "resolve: a rule needs"},
		{"refund with a target", Description{State: StateFailed, Refund: rule(StateRefunded, 1, 0)}, "refund: to"},
		{"negative count", Description{State: StateFailed, Refund: rule("", -1, time.Minute)}, "refund: afterEnquiries"},
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
