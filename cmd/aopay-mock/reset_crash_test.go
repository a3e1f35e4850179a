package main

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/faults"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// The reset crash test kills aopay-mock with SIGKILL while it resets a
// large state file: the file must then hold the state before the reset or
// the state after it, never a mix.
const (
	resetCrashBulk   = 5_000
	resetCrashCycles = 6
	resetCrashBudget = 60 * time.Second
	// resetCrashMinCycles is the fewest cycles that still mean something
	// (a whole reset and two killed ones), run however slow the machine.
	resetCrashMinCycles = 3
	resetCrashRules     = 2
)

// Which state a file holds.
const (
	beforeReset = "before the reset"
	afterReset  = "after the reset"
)

func testKilledResetLeavesOneState(t *testing.T, bin string) {
	deadline := time.Now().Add(resetCrashBudget)
	state := filepath.Join(t.TempDir(), "state.db")
	validator := newSpecValidator(t)
	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x7e5e7))

	// A first run loads the fixtures into the empty file: what a reset
	// goes back to.
	startMock(t, bin, state).kill(t)
	fixtures, _ := stored(t, state)
	if len(fixtures) == 0 {
		t.Fatal("the first run stored no fixture")
	}
	// Each cycle starts from the same large file, made once.
	fillState(t, state, fixtures)
	filled, err := os.ReadFile(state)
	if err != nil {
		t.Fatal(err)
	}

	var took time.Duration
	outcomes := map[string]int{}
	for cycle := range resetCrashCycles {
		if time.Now().After(deadline) && cycle >= resetCrashMinCycles {
			t.Logf("out of time after %d cycles", cycle)
			break
		}
		if err := os.WriteFile(state, filled, 0o600); err != nil {
			t.Fatal(err)
		}
		p := startMock(t, bin, state)
		c := newCrashClient(t, p.URL, validator)
		oldOffset := moveAway(c)
		done := make(chan time.Duration, 1)
		go func() {
			start := time.Now()
			status, body, err := c.do(http.MethodPost, "/__admin/reset", nil)
			if answered(err) || (err == nil && status != http.StatusOK) {
				t.Errorf("reset answered %d %s %v", status, body, err)
			}
			done <- time.Since(start)
		}()
		if cycle == 0 {
			// The first reset runs whole, to learn how long one takes.
			took = <-done
		} else {
			// Each kill falls in its own slice of the window a reset
			// takes and a little beyond, so they spread from before the
			// request arrives to after the reset has answered.
			slice := float64(took) * 3 / 2 / (resetCrashCycles - 1)
			time.Sleep(time.Duration(slice * (float64(cycle-1) + rng.Float64())))
		}
		p.kill(t)
		if cycle > 0 {
			<-done
		}
		c.http.CloseIdleConnections()
		got := classify(t, bin, state, fixtures, oldOffset, validator)
		if cycle == 0 && got != afterReset {
			t.Fatalf("a reset that answered left the state %s", got)
		}
		outcomes[got]++
		if t.Failed() {
			t.FailNow()
		}
	}
	t.Logf("resets of %d transactions and %d fault rules, killed within %v: the file held the state %s %d times, %s %d times (the first reset was not killed)",
		len(fixtures)+resetCrashBulk, resetCrashRules, took*3/2, beforeReset, outcomes[beforeReset], afterReset, outcomes[afterReset])
}

// stored opens the state file of a stopped mock once and answers each
// stored transaction's enquiry count by key, and how many fault rules it
// keeps.
func stored(t *testing.T, state string) (map[transaction.Key]int, int) {
	t.Helper()
	s, err := boltstore.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := context.Background()
	all, err := s.List(ctx, recharge.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[transaction.Key]int, len(all))
	for _, tx := range all {
		out[tx.Key] = tx.Enquiries
	}
	set := faults.NewSet(1, s)
	if _, err := set.Load(ctx); err != nil {
		t.Fatal(err)
	}
	return out, len(set.List())
}

// fillState makes the state file of a stopped mock large: the fixtures,
// each enquired once, and resetCrashBulk transactions as first enquiries
// make them.
func fillState(t *testing.T, state string, fixtures map[transaction.Key]int) {
	t.Helper()
	ctx := context.Background()
	s, err := boltstore.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	service := recharge.NewService(s, recharge.NewFrozenClock(time.Now()), 1)
	var add []recharge.Transaction
	for key := range fixtures {
		tx, err := s.Get(ctx, key)
		if err != nil {
			t.Fatal(err)
		}
		tx.Enquiries = 1
		add = append(add, tx)
	}
	now := time.Now()
	for i := range resetCrashBulk {
		ref := fmt.Sprintf("BULK-%06d", i)
		key := transaction.Key{RegistrationID: crashRegistration, ReferenceID: ref}
		add = append(add, service.NewTransaction(key, transaction.ScenarioFor(ref), now))
	}
	if err := s.Replace(ctx, recharge.Replacement{Add: add}); err != nil {
		t.Fatal(err)
	}
}

// moveAway advances the clock an hour and puts fault rules in force, so a
// reset has them to undo, and answers the clock's offset.
func moveAway(c *crashClient) time.Duration {
	t := c.t
	status, body, err := c.do(http.MethodPost, "/__admin/clock", map[string]string{"advance": "1h"})
	var clock struct {
		Offset string `json:"offset"`
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &clock) != nil {
		t.Fatalf("advance the clock: %d %s %v", status, body, err)
	}
	offset, err := time.ParseDuration(clock.Offset)
	if err != nil || offset < time.Hour {
		t.Fatalf("clock offset %q after advancing an hour", clock.Offset)
	}
	var rules []map[string]any
	for i := range resetCrashRules {
		rules = append(rules, map[string]any{"kind": "status", "status": 503, "referenceId": fmt.Sprintf("RESET-FAULT-%d", i)})
	}
	if status, body, err := c.do(http.MethodPut, "/__admin/faults", map[string]any{"faults": rules}); err != nil || status != http.StatusOK {
		t.Fatalf("replace the fault rules: %d %s %v", status, body, err)
	}
	return offset
}

// classify says which state the file of a killed mock holds, by its
// transactions, its fault rules and (from a run on it) its clock; it fails
// the test unless all three agree on the state before or after the reset.
func classify(t *testing.T, bin, state string, fixtures map[transaction.Key]int, oldOffset time.Duration, validator *conformance.Validator) string {
	t.Helper()
	txs, rules := stored(t, state)
	byTxs := "a mix"
	switch {
	case maps.Equal(txs, fixtures):
		byTxs = afterReset
	case len(txs) == len(fixtures)+resetCrashBulk && everyFixtureEnquiredOnce(txs, fixtures):
		byTxs = beforeReset
	}
	byRules := "a mix"
	switch rules {
	case 0:
		byRules = afterReset
	case resetCrashRules:
		byRules = beforeReset
	}
	p := startMock(t, bin, state)
	defer p.kill(t)
	c := newCrashClient(t, p.URL, validator)
	status, body, err := c.do(http.MethodGet, "/__admin/clock", nil)
	var clock struct {
		Offset string `json:"offset"`
		Frozen bool   `json:"frozen"`
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &clock) != nil {
		t.Fatalf("GET /__admin/clock after restart: %d %s %v", status, body, err)
	}
	byClock := "a mix"
	switch offset, _ := time.ParseDuration(clock.Offset); {
	case clock.Frozen:
	case offset == 0:
		byClock = afterReset
	case offset == oldOffset:
		byClock = beforeReset
	}
	if byTxs != byRules || byTxs != byClock || byTxs == "a mix" {
		t.Errorf("a reset killed midway left transactions %s (%d of them), fault rules %s, the clock %s (offset %s)",
			byTxs, len(txs), byRules, byClock, clock.Offset)
	}
	return byTxs
}

func everyFixtureEnquiredOnce(txs, fixtures map[transaction.Key]int) bool {
	return !slices.ContainsFunc(slices.Collect(maps.Keys(fixtures)), func(k transaction.Key) bool {
		n, ok := txs[k]
		return !ok || n != 1
	})
}
