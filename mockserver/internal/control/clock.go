package control

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// The sandbox clock stays within these years, so that its offset from the
// system clock always fits a time.Duration (about ±292 years).
var (
	earliestClock = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	latestClock   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func invalidf(format string, args ...any) error {
	return admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, format, args...)
}

func checkClockRange(t time.Time) error {
	if t.Before(earliestClock) || !t.Before(latestClock) {
		return invalidf("the sandbox clock stays between %d and %d; %s is outside", earliestClock.Year(), latestClock.Year(), t.UTC().Format(time.RFC3339))
	}
	return nil
}

func (c *Control) Clock(context.Context) (admin.Clock, error) {
	st := c.clock.State()
	now := c.clock.Now()
	offset := st.Offset
	if st.Frozen != nil {
		offset = now.Sub(time.Now()).Round(time.Second)
	}
	return admin.Clock{Now: now.UTC(), Offset: offset.String(), Frozen: st.Frozen != nil}, nil
}

// MoveClock moves the clock and commits its new state before answering; on
// a failed commit the clock is put back.
func (c *Control) MoveClock(ctx context.Context, m admin.ClockMove) (admin.Clock, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	before := c.clock.State()
	if err := move(c.clock, m); err != nil {
		return admin.Clock{}, err
	}
	if c.settings != nil {
		data, err := json.Marshal(c.clock.State())
		if err == nil {
			err = c.settings.SaveSetting(ctx, clockSetting, data)
		}
		if err != nil {
			c.clock.Restore(before)
			return admin.Clock{}, admin.ErrorOf(errors.New("save clock: " + err.Error()))
		}
	}
	return c.Clock(ctx)
}

// move moves clk as m says.
func move(clk *recharge.VirtualClock, m admin.ClockMove) error {
	moves := 0
	for _, set := range []bool{m.Advance != nil, m.Set != nil, m.Freeze != nil, m.Resume} {
		if set {
			moves++
		}
	}
	if moves != 1 {
		return invalidf("request body needs exactly one of advance, set, freeze, resume")
	}
	switch {
	case m.Advance != nil:
		d := time.Duration(*m.Advance)
		if d <= 0 {
			return invalidf("advance %q must be a positive duration such as 30m; use set to move the clock back", d)
		}
		if err := checkClockRange(clk.Now().Add(d)); err != nil {
			return err
		}
		clk.Advance(d)
	case m.Set != nil:
		if err := checkClockRange(*m.Set); err != nil {
			return err
		}
		clk.Set(*m.Set)
	case m.Freeze != nil:
		at := clk.Now()
		if m.Freeze.At != nil {
			at = *m.Freeze.At
		}
		if err := checkClockRange(at); err != nil {
			return err
		}
		clk.Freeze(at)
	case m.Resume:
		if st := clk.State(); st.Frozen != nil {
			clk.Set(*st.Frozen)
		}
	}
	return nil
}
