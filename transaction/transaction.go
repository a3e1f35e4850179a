// Package transaction holds the sandbox's words for a recharge transaction,
// shared by everything that speaks of one: its State and the moves between
// states, its Key, the Rules that move it on by itself, its Origin, the
// Description a person writes of it (the admin API's PUT body, a fixtures
// entry, the Go client's argument) with the one Validate that holds it, and
// the coded Error the sandbox refuses with.
//
// The boundary sits between a description and a kept transaction. What a
// person writes travels as text (the admin API's JSON, a fixtures file's
// YAML), so a Description keeps the provider's dates as the provider writes
// them, and this package depends on nothing beyond the standard library and
// the wire contract. What the sandbox keeps, with its counters and instants
// (mockserver/recharge.Transaction), is the domain's own and is built from a
// Description there; the admin API's view of it and the HTTP status of each
// error code are the admin adapter's. Neither the domain nor the admin API
// defines a State, Key or Rule of its own.
package transaction

import (
	"fmt"
	"time"
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

// Final reports whether the transaction will answer the same data from now on
// (a failed one may still be refunded, but its txnid never changes).
func (s State) Final() bool { return s != StatePending }

// CanTransition tells whether a transaction may move from one state to
// another: EINVALID for a state that is none, ECONFLICT for a move the
// lifecycle does not have.
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

// Origin says who made a transaction: the fixtures, a first enquiry, or the
// admin API. It decides what a fixtures reload may replace.
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
