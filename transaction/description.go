package transaction

import (
	"errors"
	"fmt"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Rule says when a transaction moves on by itself: once it has answered
// AfterEnquiries enquiries in its current state, or once After has passed on
// the sandbox clock since it entered it, whichever comes first.
type Rule struct {
	// To is where a resolve rule leads: success or failed. A refund rule
	// always leads to refunded; a person leaves To out of it.
	To             State    `json:"to,omitempty" yaml:"to,omitempty"`
	AfterEnquiries int      `json:"afterEnquiries,omitempty" yaml:"afterEnquiries,omitempty"`
	After          Duration `json:"after,omitempty" yaml:"after,omitempty"`
}

// CheckResolve holds r as a resolve rule: it moves a pending transaction to
// success or failed.
func (r Rule) CheckResolve() error { return r.check(StateSuccess, StateFailed) }

// CheckRefund holds r as a refund rule as a person writes it: it refunds a
// failed transaction, and To, which goes without saying, is left out.
func (r Rule) CheckRefund() error { return r.check("") }

// check holds a rule to the targets it may lead to ("" for a refund).
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

// Description is a transaction as a person describes it: the admin API's
// PUT body, a fixtures file's entry (beside its Key) and the Go client's
// argument. Only State is required; the provider's fields left out are
// generated. Dates are the provider's YYYY-MM-DD HH:MM:SS, Indian time.
type Description struct {
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

// Limits of the provider's fields in a Description, in UTF-16 units as
// OpenAPI counts. The sandbox's own: the provider states none.
const (
	MaxIDLength           = rechargestatus.MaxIdentifierLength
	MaxOperatorNameLength = 128
)

// Validate reports the first way d cannot describe a transaction, naming the
// field at fault. The sandbox accepts a description, from the admin API or a
// fixtures file, only when Validate does; amounts and the order of the dates
// are checked once the transaction is complete.
func (d Description) Validate() error {
	if !d.State.Valid() {
		return fmt.Errorf("state %q is not one of pending, success, failed, refunded", d.State)
	}
	for _, f := range []struct {
		name, value string
		max         int
	}{
		{"txnid", d.TxnID, MaxIDLength},
		{"operatorname", d.OperatorName, MaxOperatorNameLength},
		{"canumber", d.CANumber, MaxIDLength},
		{"operatorid", d.OperatorID, MaxIDLength},
		{"refundtxnid", d.RefundTxnID, MaxIDLength},
	} {
		if rechargestatus.UTF16Length(f.value) > f.max {
			return fmt.Errorf("%s must be at most %d characters long", f.name, f.max)
		}
	}
	for _, f := range []struct{ name, value string }{{"dateadded", d.DateAdded}, {"daterefunded", d.DateRefunded}} {
		if _, err := rechargestatus.ParseTime(f.value); f.value != "" && err != nil {
			return fmt.Errorf("%s %q must be YYYY-MM-DD HH:MM:SS, Indian time", f.name, f.value)
		}
	}
	switch {
	case (d.RefundTxnID != "" || d.DateRefunded != "") && d.State != StateRefunded:
		return fmt.Errorf("refundtxnid and daterefunded apply only to state refunded; this one is %s", d.State)
	case d.Resolve != nil && d.State != StatePending:
		return fmt.Errorf("resolve applies only to a pending transaction; this one is %s", d.State)
	case d.Refund != nil && d.State != StatePending && d.State != StateFailed:
		return fmt.Errorf("refund applies only to a pending or failed transaction; this one is %s", d.State)
	}
	if d.Resolve != nil {
		if err := d.Resolve.CheckResolve(); err != nil {
			return fmt.Errorf("resolve: %w", err)
		}
	}
	if d.Refund != nil {
		if err := d.Refund.CheckRefund(); err != nil {
			return fmt.Errorf("refund: %w", err)
		}
	}
	return nil
}
