package recharge

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var t0 = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

func pendingTx(rule *transaction.Rule) Transaction {
	tx := Transaction{
		Key:   transaction.Key{RegistrationID: "AOP-554", ReferenceID: "R1"},
		State: transaction.StatePending, TxnID: "100", Amount: "10", Comm: "0.00", TDS: "0.00",
		DateAdded: t0, StateSince: t0, Resolve: rule,
	}
	return tx
}

func TestEnquiryCountRule(t *testing.T) {
	tx := pendingTx(&transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 2})
	var got []transaction.State
	for range 4 {
		tx.Enquire(t0)
		got = append(got, tx.State)
	}
	want := []transaction.State{transaction.StatePending, transaction.StatePending, transaction.StateSuccess, transaction.StateSuccess}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("enquiry %d: state %s, want %s (all: %v)", i+1, got[i], want[i], got)
		}
	}
	if tx.Enquiries != 4 || tx.StateEnquiries != 2 {
		t.Fatalf("counts: enquiries %d stateEnquiries %d, want 4 and 2", tx.Enquiries, tx.StateEnquiries)
	}
	if tx.OperatorID == "" {
		t.Fatal("a successful transaction has an operatorid")
	}
}

func TestDurationRuleFollowsTheClock(t *testing.T) {
	tx := pendingTx(&transaction.Rule{To: transaction.StateFailed, After: transaction.Duration(10 * time.Minute)})
	tx.Enquire(t0.Add(9*time.Minute + 59*time.Second))
	if tx.State != transaction.StatePending {
		t.Fatalf("before the duration: %s", tx.State)
	}
	tx.Enquire(t0.Add(10 * time.Minute))
	if tx.State != transaction.StateFailed {
		t.Fatalf("at the duration: %s", tx.State)
	}
	if !tx.StateSince.Equal(t0.Add(10 * time.Minute)) {
		t.Fatalf("stateSince %v, want the rule's due time", tx.StateSince)
	}
}

func TestChainedRulesSettleAtTheirDueTimes(t *testing.T) {
	tx := pendingTx(&transaction.Rule{To: transaction.StateFailed, After: transaction.Duration(time.Minute)})
	tx.Refund = &transaction.Rule{After: transaction.Duration(time.Hour)}
	if !tx.Settle(t0.Add(3 * time.Hour)) {
		t.Fatal("Settle reported no change")
	}
	if tx.State != transaction.StateRefunded {
		t.Fatalf("state %s, want refunded", tx.State)
	}
	wantRefund := t0.Add(time.Minute + time.Hour)
	if tx.DateRefunded == nil || !tx.DateRefunded.Equal(wantRefund) {
		t.Fatalf("daterefunded %v, want %v", tx.DateRefunded, wantRefund)
	}
	if tx.RefundTxnID != "RF100" {
		t.Fatalf("refundtxnid %q", tx.RefundTxnID)
	}
}

func TestCanTransition(t *testing.T) {
	tests := []struct {
		from, to transaction.State
		wantCode string
		wantMsg  string
	}{
		{transaction.StatePending, transaction.StateSuccess, "", ""},
		{transaction.StatePending, transaction.StateFailed, "", ""},
		{transaction.StateFailed, transaction.StateRefunded, "", ""},
		{transaction.StateSuccess, transaction.StateRefunded, transaction.ECONFLICT, "only a failed transaction can be refunded"},
		{transaction.StatePending, transaction.StateRefunded, transaction.ECONFLICT, "only a failed transaction can be refunded"},
		{transaction.StateSuccess, transaction.StateFailed, transaction.ECONFLICT, "final"},
		{transaction.StateRefunded, transaction.StateSuccess, transaction.ECONFLICT, "final"},
		{transaction.StateSuccess, transaction.StatePending, transaction.ECONFLICT, "cannot become pending"},
		{transaction.StateSuccess, transaction.StateSuccess, transaction.ECONFLICT, "already success"},
		{transaction.StatePending, "done", transaction.EINVALID, "not one of"},
	}
	for _, tt := range tests {
		t.Run(string(tt.from)+"→"+string(tt.to), func(t *testing.T) {
			err := transaction.CanTransition(tt.from, tt.to)
			if transaction.ErrorCode(err) != tt.wantCode {
				t.Fatalf("code %q, want %q (%v)", transaction.ErrorCode(err), tt.wantCode, err)
			}
			if err != nil && !strings.Contains(transaction.ErrorMessage(err), tt.wantMsg) {
				t.Fatalf("message %q lacks %q", transaction.ErrorMessage(err), tt.wantMsg)
			}
		})
	}
}

func TestDataAgreesWithState(t *testing.T) {
	codes := DefaultStatusCodes
	tests := []struct {
		state            transaction.State
		status, refunded string
		refundTxn        string
		dateRefundedSet  bool
	}{
		{transaction.StatePending, "2", "0", "", false},
		{transaction.StateSuccess, "1", "0", "", false},
		{transaction.StateFailed, "0", "0", "", false},
		{transaction.StateRefunded, "0", "1", "RF100", true},
	}
	for _, tt := range tests {
		t.Run(string(tt.state), func(t *testing.T) {
			tx := pendingTx(nil)
			if tt.state == transaction.StateFailed || tt.state == transaction.StateRefunded {
				if err := tx.TransitionTo(transaction.StateFailed, t0); err != nil {
					t.Fatal(err)
				}
			}
			if tt.state == transaction.StateSuccess || tt.state == transaction.StateRefunded {
				if err := tx.TransitionTo(tt.state, t0.Add(time.Minute)); err != nil {
					t.Fatal(err)
				}
			}
			d := tx.Data(codes)
			if d.Status != tt.status || d.Refunded != tt.refunded || d.RefundTxnID != tt.refundTxn || (d.DateRefunded != nil) != tt.dateRefundedSet {
				t.Fatalf("data %+v", d)
			}
			if d.RefID != "R1" || d.DateAdded != "2026-03-05 17:30:00" {
				t.Fatalf("refid %q dateadded %q", d.RefID, d.DateAdded)
			}
			if err := tx.Validate(); err != nil {
				t.Fatalf("Validate: %v", err)
			}
		})
	}
}

func TestValidateRejects(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Transaction)
		want   string
	}{
		{"empty reference", func(t *Transaction) { t.ReferenceID = "" }, "referenceId"},
		{"bad state", func(t *Transaction) { t.State = "done" }, "state"},
		{"amount not decimal", func(t *Transaction) { t.Amount = "1,00" }, "amount"},
		{"refund fields without refund", func(t *Transaction) { t.RefundTxnID = "RF1" }, "refundtxnid"},
		{"resolve to refunded", func(t *Transaction) { t.Resolve = &transaction.Rule{To: transaction.StateRefunded, AfterEnquiries: 1} }, "resolve"},
		{"resolve without trigger", func(t *Transaction) { t.Resolve = &transaction.Rule{To: transaction.StateSuccess} }, "resolve"},
		{"refund before the transaction", func(t *Transaction) {
			t.State = transaction.StateRefunded
			t.RefundTxnID = "RF1"
			before := t.DateAdded.Add(-time.Hour)
			t.DateRefunded = &before
		}, "before dateadded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tx := pendingTx(nil)
			tt.mutate(&tx)
			err := tx.Validate()
			if transaction.ErrorCode(err) != transaction.EINVALID || !strings.Contains(transaction.ErrorMessage(err), tt.want) {
				t.Fatalf("got %v, want invalid mentioning %q", err, tt.want)
			}
		})
	}
}

func TestVirtualClock(t *testing.T) {
	c := NewFrozenClock(t0)
	c.Advance(time.Hour)
	if !c.Now().Equal(t0.Add(time.Hour)) {
		t.Fatalf("frozen advance: %v", c.Now())
	}
	st := c.State()
	other := &VirtualClock{}
	other.Restore(st)
	if !other.Now().Equal(c.Now()) {
		t.Fatalf("restored clock %v, want %v", other.Now(), c.Now())
	}
	c.Set(t0)
	if d := c.Now().Sub(t0); d < 0 || d > time.Minute {
		t.Fatalf("after Set the clock runs from t0: %v", d)
	}
}

func TestProviderTime(t *testing.T) {
	at, err := rechargestatus.ParseTime("2021-08-20 15:41:08")
	if err != nil {
		t.Fatal(err)
	}
	if got := at.UTC().Format(time.RFC3339); got != "2021-08-20T10:11:08Z" {
		t.Fatalf("IST parse: %s", got)
	}
	if rechargestatus.FormatTime(at) != "2021-08-20 15:41:08" {
		t.Fatal("round trip")
	}
}

// TestStoredFormatIsUnchanged pins the JSON a store keeps of a transaction,
// as releases before the shared transaction types wrote it: state files
// written then open now, and what is written now opens in them.
func TestStoredFormatIsUnchanged(t *testing.T) {
	refunded := t0.Add(time.Hour)
	tests := []struct {
		tx   Transaction
		want string
	}{
		{Transaction{
			Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: "R1"}, State: transaction.StatePending, TxnID: "100", OperatorName: "Airtel", CANumber: "DL1",
			Amount: "10", Comm: "0.00", TDS: "0.00", DateAdded: t0,
			Resolve:   &transaction.Rule{To: transaction.StateFailed, AfterEnquiries: 3, After: transaction.Duration(90 * time.Second)},
			Refund:    &transaction.Rule{To: transaction.StateRefunded, After: transaction.Duration(time.Hour)},
			Enquiries: 4, StateEnquiries: 2, StateSince: t0, Origin: transaction.OriginAdmin, Scenario: "admin-pending",
		}, `{"registrationId":"AOP-554","referenceId":"R1","state":"pending","txnid":"100","operatorname":"Airtel","canumber":"DL1","amount":"10","comm":"0.00","tds":"0.00","operatorid":"","dateadded":"2026-03-05T12:00:00Z","resolve":{"to":"failed","afterEnquiries":3,"after":"1m30s"},"refund":{"to":"refunded","after":"1h0m0s"},"enquiries":4,"stateEnquiries":2,"stateSince":"2026-03-05T12:00:00Z","origin":"admin","scenario":"admin-pending"}`},
		{Transaction{
			Key: transaction.Key{RegistrationID: "AOP-554", ReferenceID: "R2"}, State: transaction.StateRefunded, TxnID: "101", Amount: "1", Comm: "0", TDS: "0",
			DateAdded: t0, RefundTxnID: "RF101", DateRefunded: &refunded, StateSince: refunded, Origin: transaction.OriginFixture,
		}, `{"registrationId":"AOP-554","referenceId":"R2","state":"refunded","txnid":"101","operatorname":"","canumber":"","amount":"1","comm":"0","tds":"0","operatorid":"","dateadded":"2026-03-05T12:00:00Z","refundtxnid":"RF101","daterefunded":"2026-03-05T13:00:00Z","enquiries":0,"stateEnquiries":0,"stateSince":"2026-03-05T13:00:00Z","origin":"fixture"}`},
	}
	for _, tt := range tests {
		got, err := json.Marshal(tt.tx)
		if err != nil || string(got) != tt.want {
			t.Errorf("written as %s, %v;\nwant %s", got, err, tt.want)
		}
		var back Transaction
		if err := json.Unmarshal([]byte(tt.want), &back); err != nil || !reflect.DeepEqual(back, tt.tx) {
			t.Errorf("%s read back as %+v, %v", tt.want, back, err)
		}
	}
}

// TestCountOnlyIsWhatEnquiriesDo holds CountOnly to Enquire: a count-only
// transaction's enquiries, at any time, add one to each count and change
// nothing else; any other transaction is moved on by enquiries or time.
func TestCountOnlyIsWhatEnquiriesDo(t *testing.T) {
	refunded := t0.Add(time.Minute)
	final := func(s transaction.State) Transaction {
		tx := pendingTx(nil)
		tx.State = s
		if s == transaction.StateRefunded {
			tx.RefundTxnID, tx.DateRefunded = "RF100", &refunded
		}
		return tx
	}
	resolved := final(transaction.StateSuccess)
	resolved.Resolve = &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 1}
	refundable := final(transaction.StateFailed)
	refundable.Refund = &transaction.Rule{After: transaction.Duration(time.Hour)}
	tests := []struct {
		name      string
		tx        Transaction
		countOnly bool
	}{
		{"pending to resolve by enquiries", pendingTx(&transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 3}), false},
		{"pending to resolve in time", pendingTx(&transaction.Rule{To: transaction.StateFailed, After: transaction.Duration(time.Hour)}), false},
		{"pending for ever", pendingTx(nil), true},
		{"success", final(transaction.StateSuccess), true},
		{"success, its resolve rule spent", resolved, true},
		{"failed", final(transaction.StateFailed), true},
		{"failed to be refunded", refundable, false},
		{"refunded", final(transaction.StateRefunded), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.tx.CountOnly(); got != tt.countOnly {
				t.Fatalf("CountOnly is %v, want %v", got, tt.countOnly)
			}
			tx, moved := tt.tx, false
			for i := range 10 {
				want := tx
				want.Enquiries++
				want.StateEnquiries++
				tx.Enquire(t0.Add(time.Duration(i*i) * time.Hour))
				if !reflect.DeepEqual(tx, want) {
					moved = true
					break
				}
			}
			if moved == tt.countOnly {
				t.Fatalf("moved on by enquiries: %v; CountOnly: %v", moved, tt.countOnly)
			}
		})
	}
}
