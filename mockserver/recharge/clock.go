package recharge

import (
	"sync"
	"sync/atomic"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// ParseProviderTimeField reads the provider date written under field, with
// an EINVALID error naming the field and the expected form.
func ParseProviderTimeField(field, s string) (time.Time, error) {
	t, err := rechargestatus.ParseTime(s)
	if err != nil {
		return t, transaction.Errorf(transaction.EINVALID, "%s %q must be YYYY-MM-DD HH:MM:SS, Indian time", field, s)
	}
	return t, nil
}

// Clock tells the time. Time-driven transitions read it, so tests and the
// admin API move time instead of waiting for it.
type Clock interface {
	Now() time.Time
}

// VirtualClock follows the system clock shifted by an offset, or stands still
// at a frozen instant. The zero value follows the system clock. Every
// request reads it, so a reading takes no lock: a change publishes a whole
// new setting.
type VirtualClock struct {
	// mu orders changes.
	mu sync.Mutex
	// setting is nil for the system clock itself; never written into.
	setting atomic.Pointer[ClockState]
	system  func() time.Time
}

// NewFrozenClock returns a clock standing still at t until moved.
func NewFrozenClock(t time.Time) *VirtualClock {
	c := &VirtualClock{}
	c.setting.Store(&ClockState{Frozen: &t})
	return c
}

func (c *VirtualClock) systemNow() time.Time {
	if c.system != nil {
		return c.system()
	}
	return time.Now()
}

// Now is the virtual time.
func (c *VirtualClock) Now() time.Time {
	s := c.setting.Load()
	switch {
	case s == nil:
		return c.systemNow()
	case s.Frozen != nil:
		return *s.Frozen
	}
	return c.systemNow().Add(s.Offset)
}

// change publishes what edit makes of the current setting.
func (c *VirtualClock) change(edit func(s *ClockState)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.State()
	edit(&s)
	c.setting.Store(&s)
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *VirtualClock) Advance(d time.Duration) {
	c.change(func(s *ClockState) {
		if s.Frozen != nil {
			t := s.Frozen.Add(d)
			s.Frozen = &t
			return
		}
		s.Offset += d
	})
}

// Set makes the clock read t now and run on from there.
func (c *VirtualClock) Set(t time.Time) {
	c.change(func(s *ClockState) {
		s.Frozen = nil
		s.Offset = t.Sub(c.systemNow())
	})
}

// Freeze stops the clock at t.
func (c *VirtualClock) Freeze(t time.Time) {
	c.change(func(s *ClockState) { s.Frozen = &t })
}

// ClockState is what it takes to restore a VirtualClock.
type ClockState struct {
	Offset time.Duration `json:"offset"`
	Frozen *time.Time    `json:"frozen,omitempty"`
}

// State reports the clock's offset and frozen instant.
func (c *VirtualClock) State() ClockState {
	var s ClockState
	if cur := c.setting.Load(); cur != nil {
		s.Offset = cur.Offset
		if cur.Frozen != nil {
			t := *cur.Frozen
			s.Frozen = &t
		}
	}
	return s
}

// Restore puts the clock back to a saved state.
func (c *VirtualClock) Restore(s ClockState) {
	c.change(func(cur *ClockState) {
		*cur = ClockState{Offset: s.Offset}
		if s.Frozen != nil {
			t := *s.Frozen
			cur.Frozen = &t
		}
	})
}
