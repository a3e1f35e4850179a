package recharge

import (
	"sync"
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
// at a frozen instant. The zero value follows the system clock.
type VirtualClock struct {
	mu     sync.RWMutex
	offset time.Duration
	frozen *time.Time
	system func() time.Time
}

// NewFrozenClock returns a clock standing still at t until moved.
func NewFrozenClock(t time.Time) *VirtualClock {
	return &VirtualClock{frozen: &t}
}

func (c *VirtualClock) systemNow() time.Time {
	if c.system != nil {
		return c.system()
	}
	return time.Now()
}

// Now is the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.frozen != nil {
		return *c.frozen
	}
	return c.systemNow().Add(c.offset)
}

// Advance moves the clock forward by d (backward when d is negative).
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.frozen != nil {
		t := c.frozen.Add(d)
		c.frozen = &t
		return
	}
	c.offset += d
}

// Set makes the clock read t now and run on from there.
func (c *VirtualClock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = nil
	c.offset = t.Sub(c.systemNow())
}

// Freeze stops the clock at t.
func (c *VirtualClock) Freeze(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.frozen = &t
}

// ClockState is what it takes to restore a VirtualClock.
type ClockState struct {
	Offset time.Duration `json:"offset"`
	Frozen *time.Time    `json:"frozen,omitempty"`
}

// State reports the clock's offset and frozen instant.
func (c *VirtualClock) State() ClockState {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s := ClockState{Offset: c.offset}
	if c.frozen != nil {
		t := *c.frozen
		s.Frozen = &t
	}
	return s
}

// Restore puts the clock back to a saved state.
func (c *VirtualClock) Restore(s ClockState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.offset = s.Offset
	c.frozen = nil
	if s.Frozen != nil {
		t := *s.Frozen
		c.frozen = &t
	}
}
