package admin

import (
	"errors"
	"fmt"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// State is where a transaction is in its lifecycle:
// pending → success | failed, failed → refunded.
type State string

const (
	StatePending  State = "pending"
	StateSuccess  State = "success"
	StateFailed   State = "failed"
	StateRefunded State = "refunded"
)

// States lists every state, in lifecycle order.
var States = []State{StatePending, StateSuccess, StateFailed, StateRefunded}

// Valid reports whether s is one of States.
func (s State) Valid() bool {
	switch s {
	case StatePending, StateSuccess, StateFailed, StateRefunded:
		return true
	}
	return false
}

// Origin says who made a transaction: the fixtures, a first enquiry, or the
// admin API.
type Origin string

const (
	OriginFixture Origin = "fixture"
	OriginAuto    Origin = "auto"
	OriginAdmin   Origin = "admin"
)

// Key names a transaction: a referenceid is unique within its registration.
type Key struct {
	RegistrationID string `json:"registrationId" yaml:"registrationId"`
	ReferenceID    string `json:"referenceId" yaml:"referenceId"`
}

func (k Key) String() string { return k.RegistrationID + "/" + k.ReferenceID }

// Duration is a time.Duration written as Go writes one, such as "90s" or
// "1h30m", in JSON and YAML alike. It is never negative.
type Duration time.Duration

// MarshalText writes d as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a duration such as "300ms" or "10m".
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil || v < 0 {
		return fmt.Errorf("duration %q is not a positive duration such as 30s or 10m", b)
	}
	*d = Duration(v)
	return nil
}

// Rule says when a transaction moves on by itself: once it has answered
// AfterEnquiries enquiries in its current state, or once After has passed on
// the sandbox clock since it entered it, whichever comes first.
type Rule struct {
	// To is where a resolve rule leads: success or failed. A refund rule
	// always leads to refunded and leaves To empty.
	To             State    `json:"to,omitempty" yaml:"to,omitempty"`
	AfterEnquiries int      `json:"afterEnquiries,omitempty" yaml:"afterEnquiries,omitempty"`
	After          Duration `json:"after,omitempty" yaml:"after,omitempty"`
}

// Transaction is a transaction as a person describes it: the admin API's PUT
// body, the fixtures file's entry (beside its key) and the Go client's
// argument. Only State is required; the provider's fields left out are
// generated. Dates are the provider's YYYY-MM-DD HH:MM:SS, Indian time.
type Transaction struct {
	State        State  `json:"state" yaml:"state"`
	TxnID        string `json:"txnid,omitempty" yaml:"txnid,omitempty"`
	OperatorName string `json:"operatorname,omitempty" yaml:"operatorname,omitempty"`
	CANumber     string `json:"canumber,omitempty" yaml:"canumber,omitempty"`
	Amount       string `json:"amount,omitempty" yaml:"amount,omitempty"`
	Comm         string `json:"comm,omitempty" yaml:"comm,omitempty"`
	TDS          string `json:"tds,omitempty" yaml:"tds,omitempty"`
	OperatorID   string `json:"operatorid,omitempty" yaml:"operatorid,omitempty"`
	DateAdded    string `json:"dateadded,omitempty" yaml:"dateadded,omitempty"`
	RefundTxnID  string `json:"refundtxnid,omitempty" yaml:"refundtxnid,omitempty"`
	DateRefunded string `json:"daterefunded,omitempty" yaml:"daterefunded,omitempty"`
	// Resolve moves a pending transaction to success or failed.
	Resolve *Rule `json:"resolve,omitempty" yaml:"resolve,omitempty"`
	// Refund refunds a failed transaction, or a pending one once it fails.
	Refund *Rule `json:"refund,omitempty" yaml:"refund,omitempty"`
}

// Limits of the provider's fields in a Transaction.
const (
	MaxIDLength           = 64
	MaxOperatorNameLength = 128
)

// Validate reports the first way t cannot describe a transaction, naming the
// field at fault. The sandbox accepts a transaction, from the admin API or a
// fixtures file, only when Validate does; amounts and the order of the dates
// are checked once the transaction is complete.
func (t Transaction) Validate() error {
	if !t.State.Valid() {
		return fmt.Errorf("state %q is not one of pending, success, failed, refunded", t.State)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"txnid", t.TxnID, MaxIDLength},
		{"operatorname", t.OperatorName, MaxOperatorNameLength},
		{"canumber", t.CANumber, MaxIDLength},
		{"operatorid", t.OperatorID, MaxIDLength},
		{"refundtxnid", t.RefundTxnID, MaxIDLength},
	} {
		if utf16Length(f.value) > f.max {
			return fmt.Errorf("%s must be at most %d characters long", f.name, f.max)
		}
	}
	for _, f := range []struct{ name, value string }{{"dateadded", t.DateAdded}, {"daterefunded", t.DateRefunded}} {
		if _, err := rechargestatus.ParseTime(f.value); f.value != "" && err != nil {
			return fmt.Errorf("%s %q must be YYYY-MM-DD HH:MM:SS, Indian time", f.name, f.value)
		}
	}
	switch {
	case (t.RefundTxnID != "" || t.DateRefunded != "") && t.State != StateRefunded:
		return fmt.Errorf("refundtxnid and daterefunded apply only to state refunded; this one is %s", t.State)
	case t.Resolve != nil && t.State != StatePending:
		return fmt.Errorf("resolve applies only to a pending transaction; this one is %s", t.State)
	case t.Refund != nil && t.State != StatePending && t.State != StateFailed:
		return fmt.Errorf("refund applies only to a pending or failed transaction; this one is %s", t.State)
	}
	if t.Resolve != nil {
		if err := t.Resolve.check(StateSuccess, StateFailed); err != nil {
			return fmt.Errorf("resolve: %w", err)
		}
	}
	if t.Refund != nil {
		if err := t.Refund.check(""); err != nil {
			return fmt.Errorf("refund: %w", err)
		}
	}
	return nil
}

// check holds a rule to the targets it may lead to ("" for a refund, whose
// target goes without saying).
func (r Rule) check(targets ...State) error {
	switch {
	case r.AfterEnquiries < 0:
		return errors.New("afterEnquiries must not be negative")
	case r.AfterEnquiries == 0 && r.After == 0:
		return errors.New("a rule needs afterEnquiries or after")
	}
	for _, to := range targets {
		if r.To == to {
			return nil
		}
	}
	if targets[0] == "" {
		return fmt.Errorf("to %q: a refund always leads to refunded, leave to out", r.To)
	}
	return fmt.Errorf("to %q is not one of success, failed", r.To)
}

// utf16Length counts characters as OpenAPI's maxLength does, in UTF-16 units.
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		n++
		if r > 0xFFFF {
			n++
		}
	}
	return n
}

// TransactionView is a transaction as the sandbox keeps it, shown as the next
// enquiry would find it.
type TransactionView struct {
	Key
	State          State               `json:"state"`
	Data           rechargestatus.Data `json:"data"`
	Resolve        *Rule               `json:"resolve,omitempty"`
	Refund         *Rule               `json:"refund,omitempty"`
	Enquiries      int                 `json:"enquiries"`
	StateEnquiries int                 `json:"stateEnquiries"`
	StateSince     time.Time           `json:"stateSince"`
	Origin         Origin              `json:"origin"`
	Scenario       string              `json:"scenario,omitempty"`
}

// TransactionList is the answer of GET /__admin/transactions.
type TransactionList struct {
	Transactions []TransactionView `json:"transactions"`
}

// TransactionFilter narrows a listing; empty fields match everything.
type TransactionFilter struct {
	RegistrationID string
	State          State
}

// Transition is the body of POST .../transition: the state to force.
type Transition struct {
	To State `json:"to"`
}
