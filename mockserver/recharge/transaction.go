// Package recharge is the sandbox's domain: recharge transactions, their
// lifecycle, the partners that enquire them, and where they are kept. It knows
// nothing of HTTP; the mock server is an adapter around it.
//
// Its Transaction is what the sandbox keeps, counters and instants
// included, built from what a person describes (FromDescription). The words
// it shares with the admin API and the fixtures (State, Key, Rule, Origin,
// the coded Error) are package transaction's, and the rules of the wire's
// strings the root package's, so there is one of each.
package recharge

import (
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// due reports whether r moves on a transaction that has answered
// enquiries enquiries since it entered its state at since.
func due(r transaction.Rule, enquiries int, since, now time.Time) bool {
	if r.AfterEnquiries > 0 && enquiries >= r.AfterEnquiries {
		return true
	}
	return r.After > 0 && !now.Before(since.Add(time.Duration(r.After)))
}

// Transaction is one recharge as the provider keeps it.
type Transaction struct {
	transaction.Key
	State        transaction.State `json:"state"`
	TxnID        string            `json:"txnid"`
	OperatorName string            `json:"operatorname"`
	CANumber     string            `json:"canumber"`
	Amount       string            `json:"amount"`
	Comm         string            `json:"comm"`
	TDS          string            `json:"tds"`
	OperatorID   string            `json:"operatorid"`
	DateAdded    time.Time         `json:"dateadded"`
	RefundTxnID  string            `json:"refundtxnid,omitempty"`
	DateRefunded *time.Time        `json:"daterefunded,omitempty"`

	// Resolve moves a pending transaction to success or failed.
	Resolve *transaction.Rule `json:"resolve,omitempty"`
	// Refund moves a failed transaction to refunded.
	Refund *transaction.Rule `json:"refund,omitempty"`

	// Enquiries counts every enquiry answered; StateEnquiries those answered
	// since the transaction entered its current state at StateSince.
	Enquiries      int                `json:"enquiries"`
	StateEnquiries int                `json:"stateEnquiries"`
	StateSince     time.Time          `json:"stateSince"`
	Origin         transaction.Origin `json:"origin"`
	// Scenario names the behaviour the transaction was made for, such as a
	// referenceid convention; informative only.
	Scenario string `json:"scenario,omitempty"`
}

// Validate checks a transaction before it is stored: its key by the wire's
// rule for identifiers, since an enquiry could never name a transaction
// whose key breaks it, its rules and money by the shared rules, and that
// its refund fields go with its state.
func (t *Transaction) Validate() error {
	if err := rechargestatus.CheckIdentifier("registrationId", t.RegistrationID); err != nil {
		return transaction.Errorf(transaction.EINVALID, "%s", err)
	}
	if err := rechargestatus.CheckIdentifier("referenceId", t.ReferenceID); err != nil {
		return transaction.Errorf(transaction.EINVALID, "%s", err)
	}
	switch {
	case !t.State.Valid():
		return transaction.Errorf(transaction.EINVALID, "state %q is not one of pending, success, failed, refunded", t.State)
	case t.TxnID == "":
		return transaction.Errorf(transaction.EINVALID, "txnid must not be empty")
	}
	for name, v := range map[string]string{"amount": t.Amount, "comm": t.Comm, "tds": t.TDS} {
		if !rechargestatus.IsDecimalString(v) {
			return transaction.Errorf(transaction.EINVALID, "%s %q is not a decimal string such as \"1\" or \"0.00\"", name, v)
		}
	}
	if t.Resolve != nil {
		if err := t.Resolve.CheckResolve(); err != nil {
			return transaction.Errorf(transaction.EINVALID, "resolve: %s", err)
		}
	}
	if t.Refund != nil {
		// A kept refund rule names where it leads; a described one does not.
		r := *t.Refund
		if r.To == transaction.StateRefunded {
			r.To = ""
		}
		if err := r.CheckRefund(); err != nil {
			return transaction.Errorf(transaction.EINVALID, "refund: %s", err)
		}
	}
	refunded := t.State == transaction.StateRefunded
	if refunded != (t.RefundTxnID != "") || refunded != (t.DateRefunded != nil) {
		return transaction.Errorf(transaction.EINVALID, "refundtxnid and daterefunded are set when, and only when, the state is refunded")
	}
	if refunded && t.DateRefunded.Before(t.DateAdded) {
		return transaction.Errorf(transaction.EINVALID, "daterefunded %s is before dateadded %s: a refund follows its transaction", rechargestatus.FormatTime(*t.DateRefunded), rechargestatus.FormatTime(t.DateAdded))
	}
	return nil
}

// FromDescription is the transaction d describes at key, made by origin
// for scenario, its fields left out still to be generated (Service.Complete).
// It accepts what d.Validate accepts, refusing the rest as EINVALID.
func FromDescription(key transaction.Key, d transaction.Description, origin transaction.Origin, scenario string) (Transaction, error) {
	if err := d.Validate(); err != nil {
		return Transaction{}, transaction.Errorf(transaction.EINVALID, "%s", err.Error())
	}
	t := Transaction{
		Key:          key,
		State:        d.State,
		TxnID:        d.TxnID,
		OperatorName: d.OperatorName,
		CANumber:     d.CANumber,
		Amount:       d.Amount,
		Comm:         d.Comm,
		TDS:          d.TDS,
		OperatorID:   d.OperatorID,
		RefundTxnID:  d.RefundTxnID,
		Resolve:      cloneRule(d.Resolve),
		Refund:       cloneRule(d.Refund),
		Origin:       origin,
		Scenario:     scenario,
	}
	// Validate has read the dates already.
	if d.DateAdded != "" {
		t.DateAdded, _ = rechargestatus.ParseTime(d.DateAdded)
	}
	if d.DateRefunded != "" {
		at, _ := rechargestatus.ParseTime(d.DateRefunded)
		t.DateRefunded = &at
	}
	if t.Refund != nil {
		t.Refund.To = transaction.StateRefunded
	}
	return t, nil
}

func cloneRule(r *transaction.Rule) *transaction.Rule {
	if r == nil {
		return nil
	}
	c := *r
	return &c
}

// TransitionTo moves the transaction to state to at now, filling the refund
// fields when it is refunded.
func (t *Transaction) TransitionTo(to transaction.State, now time.Time) error {
	if err := transaction.CanTransition(t.State, to); err != nil {
		return err
	}
	t.State = to
	t.StateSince = now
	t.StateEnquiries = 0
	switch to {
	case transaction.StateSuccess:
		if t.OperatorID == "" {
			t.OperatorID = operatorIDFor(t.TxnID)
		}
	case transaction.StateRefunded:
		t.RefundTxnID = "RF" + t.TxnID
		// A clock set back before the transaction still refunds after it.
		at := now.Truncate(time.Second)
		if at.Before(t.DateAdded) {
			at = t.DateAdded
		}
		t.DateRefunded = &at
	}
	return nil
}

// Settle applies every transition whose rule is due at now, pending to final
// and then failed to refunded, and reports whether the state changed.
func (t *Transaction) Settle(now time.Time) bool {
	changed := false
	for {
		rule := t.settlingRule()
		if rule == nil || !due(*rule, t.StateEnquiries, t.StateSince, now) {
			return changed
		}
		// The rule fires at its due time, not at now, so a chain of duration
		// rules settles the same way however late it is observed.
		at := now
		if rule.After > 0 && (rule.AfterEnquiries == 0 || t.StateEnquiries < rule.AfterEnquiries) {
			at = t.StateSince.Add(time.Duration(rule.After))
		}
		if err := t.TransitionTo(rule.To, at); err != nil {
			return changed
		}
		changed = true
	}
}

// settlingRule is the rule that may move the transaction on from its
// state, nil when none can: a pending one resolves, a failed one may be
// refunded, the rest are final.
func (t *Transaction) settlingRule() *transaction.Rule {
	switch t.State {
	case transaction.StatePending:
		return t.Resolve
	case transaction.StateFailed:
		if t.Refund != nil {
			r := *t.Refund
			r.To = transaction.StateRefunded
			return &r
		}
	}
	return nil
}

// CountOnly reports whether every enquiry of the transaction, at any time,
// changes nothing but its counts: no rule is left to move it on from its
// state, so Enquire only adds one to Enquiries and one to StateEnquiries.
// A store may then count an enquiry itself, in one step (EnquiryCounter).
func (t *Transaction) CountOnly() bool { return t.settlingRule() == nil }

// Enquire settles the transaction at now and counts one enquiry of it.
func (t *Transaction) Enquire(now time.Time) {
	t.Settle(now)
	t.Enquiries++
	t.StateEnquiries++
}

// StatusCodes are the `data.status` values the provider answers per state.
type StatusCodes struct {
	Success, Failed, Pending string
}

// DefaultStatusCodes: "1" success, "0" failed and refunded, "2" pending (a guess:
// the provider only says that anything else than 0 and 1 is pending).
var DefaultStatusCodes = StatusCodes{
	Success: rechargestatus.StatusSuccess,
	Failed:  rechargestatus.StatusFailed,
	Pending: rechargestatus.DefaultPendingStatus,
}

// Shown is what an answer to an enquiry shows of a transaction, and no
// more: its counts, rules and the instant it entered its state are left
// out. Two transactions whose Shown are equal (==) answer alike, so an
// answer encoded once serves until an enquiry finds the transaction showing
// otherwise; times equal as instants but held otherwise only cost a fresh
// encoding.
type Shown struct {
	transaction.Key
	State                         transaction.State
	TxnID, OperatorName, CANumber string
	Amount, Comm, TDS, OperatorID string
	DateAdded                     time.Time
	RefundTxnID                   string
	DateRefunded                  time.Time
	HasDateRefunded               bool
}

// Shown is what an answer shows of the transaction.
func (t *Transaction) Shown() Shown {
	s := Shown{
		Key: t.Key, State: t.State,
		TxnID: t.TxnID, OperatorName: t.OperatorName, CANumber: t.CANumber,
		Amount: t.Amount, Comm: t.Comm, TDS: t.TDS, OperatorID: t.OperatorID,
		DateAdded: t.DateAdded, RefundTxnID: t.RefundTxnID,
	}
	if t.DateRefunded != nil {
		s.DateRefunded, s.HasDateRefunded = *t.DateRefunded, true
	}
	return s
}

// Data renders the transaction for an answer to an enquiry of referenceID.
func (t *Transaction) Data(codes StatusCodes) rechargestatus.Data {
	s := t.Shown()
	return s.Data(codes)
}

// Data renders what is shown for an answer to an enquiry of referenceID.
func (s *Shown) Data(codes StatusCodes) rechargestatus.Data {
	d := rechargestatus.Data{
		TxnID:        s.TxnID,
		OperatorName: s.OperatorName,
		CANumber:     s.CANumber,
		Amount:       s.Amount,
		Comm:         s.Comm,
		TDS:          s.TDS,
		RefID:        s.ReferenceID,
		OperatorID:   s.OperatorID,
		DateAdded:    rechargestatus.FormatTime(s.DateAdded),
		Refunded:     "0",
	}
	switch s.State {
	case transaction.StateSuccess:
		d.Status = codes.Success
	case transaction.StateFailed:
		d.Status = codes.Failed
	case transaction.StateRefunded:
		d.Status = codes.Failed
		d.Refunded = "1"
		d.RefundTxnID = s.RefundTxnID
		if s.HasDateRefunded {
			r := rechargestatus.FormatTime(s.DateRefunded)
			d.DateRefunded = &r
		}
	default:
		d.Status = codes.Pending
	}
	return d
}
