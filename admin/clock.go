package admin

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Clock is the sandbox's virtual clock, which time-driven transitions read.
type Clock struct {
	Now time.Time `json:"now"`
	// Offset is how far Now is from the system clock, such as "1h0m0s".
	Offset string `json:"offset"`
	Frozen bool   `json:"frozen"`
}

// ClockMove is the body of POST /__admin/clock: exactly one of its fields.
// Advance, SetClock, FreezeClock and ResumeClock make one.
type ClockMove struct {
	// Advance moves the clock forward.
	Advance *transaction.Duration `json:"advance,omitempty"`
	// Set makes the clock read this instant and run on from it.
	Set *time.Time `json:"set,omitempty"`
	// Freeze makes the clock stand still.
	Freeze *Freeze `json:"freeze,omitempty"`
	// Resume makes a frozen clock run on from where it stands.
	Resume bool `json:"resume,omitempty"`
}

// Advance moves the clock forward by d.
func Advance(d time.Duration) ClockMove {
	v := transaction.Duration(d)
	return ClockMove{Advance: &v}
}

// SetClock makes the clock read t and run on from it.
func SetClock(t time.Time) ClockMove { return ClockMove{Set: &t} }

// FreezeClock makes the clock stand still at t.
func FreezeClock(t time.Time) ClockMove { return ClockMove{Freeze: &Freeze{At: &t}} }

// FreezeClockNow makes the clock stand still where it stands.
func FreezeClockNow() ClockMove { return ClockMove{Freeze: &Freeze{}} }

// ResumeClock makes a frozen clock run on.
func ResumeClock() ClockMove { return ClockMove{Resume: true} }

// Freeze is where the clock stands still: At, or where it stands when At is
// nil. In JSON it is an RFC 3339 time, or true.
type Freeze struct {
	At *time.Time
}

// MarshalJSON writes true for where the clock stands, else the instant.
func (f Freeze) MarshalJSON() ([]byte, error) {
	if f.At == nil {
		return []byte("true"), nil
	}
	return json.Marshal(*f.At)
}

// UnmarshalJSON reads true or an RFC 3339 time.
func (f *Freeze) UnmarshalJSON(b []byte) error {
	var now bool
	if json.Unmarshal(b, &now) == nil && now {
		f.At = nil
		return nil
	}
	var at time.Time
	if err := json.Unmarshal(b, &at); err != nil {
		return errors.New("freeze must be true or an RFC 3339 time")
	}
	f.At = &at
	return nil
}
