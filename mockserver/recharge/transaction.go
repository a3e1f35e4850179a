// Package recharge is the sandbox's domain: recharge transactions, their
// lifecycle, the partners that enquire them, and where they are kept. It knows
// nothing of HTTP; the mock server is an adapter around it.
package recharge

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"

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

// Valid reports whether s is a known state.
func (s State) Valid() bool {
	switch s {
	case StatePending, StateSuccess, StateFailed, StateRefunded:
		return true
	}
	return false
}

// Final reports whether the transaction will answer the same data from now on
// (a failed one may still be refunded, but its txnid never changes).
func (s State) Final() bool { return s != StatePending }

// Origin says who made a transaction, which decides what a fixtures reload
// may replace.
type Origin string

const (
	OriginFixture Origin = "fixture"
	OriginAuto    Origin = "auto"
	OriginAdmin   Origin = "admin"
)

// Key identifies a transaction: references are unique per registration.
type Key struct {
	RegistrationID string `json:"registrationId"`
	ReferenceID    string `json:"referenceId"`
}

func (k Key) String() string { return k.RegistrationID + "/" + k.ReferenceID }

// Duration is a time.Duration written as "90s" or "30m" in JSON and YAML.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) {
	return json.Marshal(time.Duration(d).String())
}

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string such as \"30s\" or \"10m\"")
	}
	v, err := time.ParseDuration(s)
	if err != nil || v < 0 {
		return fmt.Errorf("invalid duration %q, want a positive value such as \"30s\" or \"10m\"", s)
	}
	*d = Duration(v)
	return nil
}

func (d *Duration) UnmarshalText(b []byte) error {
	return d.UnmarshalJSON([]byte(strconv.Quote(string(b))))
}

// Rule says when a transaction moves on by itself: after it has answered
// AfterEnquiries enquiries in its current state, or once After has passed
// since it entered that state, whichever comes first.
type Rule struct {
	To             State    `json:"to,omitempty"`
	AfterEnquiries int      `json:"afterEnquiries,omitempty"`
	After          Duration `json:"after,omitempty"`
}

// Validate checks that r can move a transaction out of from.
func (r Rule) Validate(from State) error {
	if r.AfterEnquiries < 0 {
		return Errorf(EINVALID, "afterEnquiries must not be negative")
	}
	if r.AfterEnquiries == 0 && r.After == 0 {
		return Errorf(EINVALID, "a rule needs afterEnquiries or after")
	}
	if err := CanTransition(from, r.To); err != nil {
		return err
	}
	return nil
}

// ParseRule builds the rule that a fixtures file or an admin call writes
// under field ("resolve", "refund"): it moves a transaction from one state to
// another after afterEnquiries enquiries or the duration after ("10m", or ""
// for none). Errors are EINVALID and name the field.
func ParseRule(field string, from, to State, afterEnquiries int, after string) (*Rule, error) {
	r := &Rule{To: to, AfterEnquiries: afterEnquiries}
	if after != "" {
		d, err := time.ParseDuration(after)
		if err != nil || d <= 0 {
			return nil, Errorf(EINVALID, "%s.after %q is not a positive duration such as 30s or 10m", field, after)
		}
		r.After = Duration(d)
	}
	if err := r.Validate(from); err != nil {
		return nil, Errorf(EINVALID, "%s: %s", field, ErrorMessage(err))
	}
	return r, nil
}

func (r Rule) due(enquiries int, since, now time.Time) bool {
	if r.AfterEnquiries > 0 && enquiries >= r.AfterEnquiries {
		return true
	}
	return r.After > 0 && !now.Before(since.Add(time.Duration(r.After)))
}

// Transaction is one recharge as the provider keeps it.
type Transaction struct {
	Key
	State        State      `json:"state"`
	TxnID        string     `json:"txnid"`
	OperatorName string     `json:"operatorname"`
	CANumber     string     `json:"canumber"`
	Amount       string     `json:"amount"`
	Comm         string     `json:"comm"`
	TDS          string     `json:"tds"`
	OperatorID   string     `json:"operatorid"`
	DateAdded    time.Time  `json:"dateadded"`
	RefundTxnID  string     `json:"refundtxnid,omitempty"`
	DateRefunded *time.Time `json:"daterefunded,omitempty"`

	// Resolve moves a pending transaction to success or failed.
	Resolve *Rule `json:"resolve,omitempty"`
	// Refund moves a failed transaction to refunded.
	Refund *Rule `json:"refund,omitempty"`

	// Enquiries counts every enquiry answered; StateEnquiries those answered
	// since the transaction entered its current state at StateSince.
	Enquiries      int       `json:"enquiries"`
	StateEnquiries int       `json:"stateEnquiries"`
	StateSince     time.Time `json:"stateSince"`
	Origin         Origin    `json:"origin"`
	// Scenario names the behaviour the transaction was made for, such as a
	// referenceid convention; informative only.
	Scenario string `json:"scenario,omitempty"`
}

// Validate checks a transaction before it is stored.
func (t *Transaction) Validate() error {
	if err := CheckIdentifier("registrationId", t.RegistrationID); err != nil {
		return err
	}
	if err := CheckIdentifier("referenceId", t.ReferenceID); err != nil {
		return err
	}
	switch {
	case !t.State.Valid():
		return Errorf(EINVALID, "state %q is not one of pending, success, failed, refunded", t.State)
	case t.TxnID == "":
		return Errorf(EINVALID, "txnid must not be empty")
	}
	for name, v := range map[string]string{"amount": t.Amount, "comm": t.Comm, "tds": t.TDS} {
		if !IsDecimalString(v) {
			return Errorf(EINVALID, "%s %q is not a decimal string such as \"1\" or \"0.00\"", name, v)
		}
	}
	if t.Resolve != nil {
		if err := t.Resolve.Validate(StatePending); err != nil {
			return Errorf(EINVALID, "resolve: %s", ErrorMessage(err))
		}
	}
	if t.Refund != nil {
		r := *t.Refund
		if r.To == "" {
			r.To = StateRefunded
		}
		if err := r.Validate(StateFailed); err != nil {
			return Errorf(EINVALID, "refund: %s", ErrorMessage(err))
		}
	}
	refunded := t.State == StateRefunded
	if refunded != (t.RefundTxnID != "") || refunded != (t.DateRefunded != nil) {
		return Errorf(EINVALID, "refundtxnid and daterefunded are set when, and only when, the state is refunded")
	}
	if refunded && t.DateRefunded.Before(t.DateAdded) {
		return Errorf(EINVALID, "daterefunded %s is before dateadded %s: a refund follows its transaction", rechargestatus.FormatTime(*t.DateRefunded), rechargestatus.FormatTime(t.DateAdded))
	}
	return nil
}

// MaxIdentifierLength bounds a RegistrationID or a referenceid, as the spec does.
const MaxIdentifierLength = 64

// CheckIdentifier applies the spec's rule for a RegistrationID or a
// referenceid: 1 to 64 characters, at least one visible, no control
// characters. An enquiry could never name a transaction whose key breaks it.
func CheckIdentifier(name, v string) error {
	switch {
	case v == "":
		return Errorf(EINVALID, "%s must not be empty", name)
	case utf16Length(v) > MaxIdentifierLength:
		return Errorf(EINVALID, "%s must be at most %d characters long", name, MaxIdentifierLength)
	case !utf8.ValidString(v):
		return Errorf(EINVALID, "%s must be valid UTF-8", name)
	}
	visible := false
	for _, r := range v {
		if r < 0x20 || r == 0x7f {
			return Errorf(EINVALID, "%s must have a visible character and no control characters", name)
		}
		// The spec's pattern, a Go regexp, counts only ASCII blanks as space.
		visible = visible || r != ' '

	}
	if !visible {
		return Errorf(EINVALID, "%s must have a visible character and no control characters", name)
	}
	return nil
}

// utf16Length counts characters as OpenAPI's maxLength does, in UTF-16 units.
func utf16Length(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// IsDecimalString reports whether s is a money amount as the provider writes it.
func IsDecimalString(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}

// CanTransition tells whether a transaction may move from one state to another.
func CanTransition(from, to State) error {
	switch {
	case !to.Valid():
		return Errorf(EINVALID, "state %q is not one of pending, success, failed, refunded", to)
	case from == StatePending && (to == StateSuccess || to == StateFailed):
		return nil
	case from == StateFailed && to == StateRefunded:
		return nil
	case from == to:
		return Errorf(ECONFLICT, "the transaction is already %s", to)
	case to == StateRefunded:
		return Errorf(ECONFLICT, "only a failed transaction can be refunded; this one is %s", from)
	case to == StatePending:
		return Errorf(ECONFLICT, "a %s transaction cannot become pending again", from)
	default:
		return Errorf(ECONFLICT, "a %s transaction is final and cannot become %s", from, to)
	}
}

// TransitionTo moves the transaction to state to at now, filling the refund
// fields when it is refunded.
func (t *Transaction) TransitionTo(to State, now time.Time) error {
	if err := CanTransition(t.State, to); err != nil {
		return err
	}
	t.State = to
	t.StateSince = now
	t.StateEnquiries = 0
	switch to {
	case StateSuccess:
		if t.OperatorID == "" {
			t.OperatorID = operatorIDFor(t.TxnID)
		}
	case StateRefunded:
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
		var rule *Rule
		switch t.State {
		case StatePending:
			rule = t.Resolve
		case StateFailed:
			if t.Refund != nil {
				r := *t.Refund
				r.To = StateRefunded
				rule = &r
			}
		}
		if rule == nil || !rule.due(t.StateEnquiries, t.StateSince, now) {
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

// Data renders the transaction for an answer to an enquiry of referenceID.
func (t *Transaction) Data(codes StatusCodes) rechargestatus.Data {
	d := rechargestatus.Data{
		TxnID:        t.TxnID,
		OperatorName: t.OperatorName,
		CANumber:     t.CANumber,
		Amount:       t.Amount,
		Comm:         t.Comm,
		TDS:          t.TDS,
		RefID:        t.ReferenceID,
		OperatorID:   t.OperatorID,
		DateAdded:    rechargestatus.FormatTime(t.DateAdded),
		Refunded:     "0",
	}
	switch t.State {
	case StateSuccess:
		d.Status = codes.Success
	case StateFailed:
		d.Status = codes.Failed
	case StateRefunded:
		d.Status = codes.Failed
		d.Refunded = "1"
		d.RefundTxnID = t.RefundTxnID
		if t.DateRefunded != nil {
			s := rechargestatus.FormatTime(*t.DateRefunded)
			d.DateRefunded = &s
		}
	default:
		d.Status = codes.Pending
	}
	return d
}
