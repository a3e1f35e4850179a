package control

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/faults"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Load puts set in the store: in place of everything when the store is
// empty, else as a reload, a persisted store keeping its state.
func (c *Control) Load(ctx context.Context, set fixtures.Set) error {
	regs, txs, err := domainFixtures(set)
	if err != nil {
		return err
	}
	n, err := c.store.Count(ctx)
	if err != nil {
		return fmt.Errorf("count stored transactions: %w", err)
	}
	if n == 0 {
		err = c.service.Reset(ctx, regs, txs)
	} else {
		err = c.service.Reload(ctx, regs, txs)
	}
	if err != nil {
		return fmt.Errorf("load fixtures: %w", err)
	}
	c.fixtures = set
	c.fixturesLoaded(set)
	return nil
}

// Refill puts the fixtures back into a shared store that lost the
// sandbox's state (recharge.ErrLost), as a reload does: registrations and
// fixture transactions as the file has them, and what another process put
// back meanwhile kept, so every replica may refill at once. The clock goes
// back to the system's, as on a first start.
func (c *Control) Refill(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	regs, txs, err := domainFixtures(c.fixtures)
	if err != nil {
		return err
	}
	// The clock goes back to the system's first, as the store lost its
	// setting: no enquiry sees the fixtures back on the clock of before
	// the loss. Restoring the shared settings next puts back one set
	// meanwhile.
	c.clock.Restore(recharge.ClockState{})
	if err := c.service.Reload(ctx, regs, txs); err != nil {
		return fmt.Errorf("put the fixtures back: %w", err)
	}
	return nil
}

// Reset puts the sandbox back as a first start makes it: the fixtures'
// transactions, no fault rule, the clock following the system clock, an
// empty journal; the proxy's findings are kept. The transactions, the rules
// and the clock change in one Store.Replace, so an enquiry sees them all
// before or all after, and a persistent store keeps one or the other
// through a crash. The fixtures are completed on the clock's new time.
func (c *Control) Reset(ctx context.Context) (admin.ResetResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	regs, txs, err := domainFixtures(c.fixtures)
	if err != nil {
		return admin.ResetResult{}, admin.ErrorOf(err)
	}
	realTime, err := json.Marshal(recharge.ClockState{})
	if err != nil {
		return admin.ResetResult{}, admin.ErrorOf(err)
	}
	before := c.clock.State()
	err = c.faults.ClearWith(func(rules []recharge.Record) error {
		also := recharge.Replacement{
			Records:  map[string][]recharge.Record{faults.Collection: rules},
			Settings: map[string][]byte{clockSetting: realTime},
			Made:     func() { c.clock.Restore(recharge.ClockState{}) },
		}
		err := c.service.ResetWith(ctx, regs, txs, time.Now(), also)
		if err != nil {
			c.clock.Restore(before)
		}
		return err
	})
	if err != nil {
		return admin.ResetResult{}, admin.ErrorOf(err)
	}
	c.journal.Clear()
	n, err := c.store.Count(ctx)
	return admin.ResetResult{Transactions: n}, admin.ErrorOf(err)
}

func (c *Control) ReloadFixtures(ctx context.Context) (admin.ReloadResult, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		select {
		case <-c.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	set, err := c.reread(ctx)
	if err != nil {
		return admin.ReloadResult{}, admin.Errorf(http.StatusUnprocessableEntity, admin.CodeInvalid, "%s", err.Error())
	}
	regs, txs, err := domainFixtures(set)
	if err != nil {
		return admin.ReloadResult{}, admin.Errorf(http.StatusUnprocessableEntity, admin.CodeInvalid, "%s", transaction.ErrorMessage(err))
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.service.Reload(ctx, regs, txs); err != nil {
		return admin.ReloadResult{}, admin.ErrorOf(err)
	}
	c.fixtures = set
	c.fixturesLoaded(set)
	return admin.ReloadResult{Registrations: len(regs), Transactions: len(txs)}, nil
}

// domainFixtures turns a fixtures set, checked when it was read, into what
// the service loads.
func domainFixtures(set fixtures.Set) ([]recharge.Registration, []recharge.Transaction, error) {
	forAll, err := fixtures.CompileScenarios(set.Scenarios)
	if err != nil {
		return nil, nil, transaction.Errorf(transaction.EINVALID, "scenarios: %s", err.Error())
	}
	regs := make([]recharge.Registration, len(set.Registrations))
	for i, r := range set.Registrations {
		if _, err := r.ParseDialect(); err != nil {
			return nil, nil, transaction.Errorf(transaction.EINVALID, "%s", err.Error())
		}
		own, err := fixtures.CompileScenarios(r.Scenarios)
		if err != nil {
			return nil, nil, transaction.Errorf(transaction.EINVALID, "registration %s: scenarios: %s", r.ID, err.Error())
		}
		regs[i] = recharge.Registration{ID: r.ID, Name: r.Name, Key: r.Key, PartnerID: r.PartnerID, Disabled: r.Disabled, Scenarios: append(own, forAll...)}
	}
	txs := make([]recharge.Transaction, len(set.Transactions))
	for i, t := range set.Transactions {
		tx, err := recharge.FromDescription(t.Key, t.Description, transaction.OriginFixture, t.Scenario)
		if err != nil {
			return nil, nil, err
		}
		txs[i] = tx
	}
	return regs, txs, nil
}
