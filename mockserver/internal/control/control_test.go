package control

import (
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/faults"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// newControl is a control plane on store, its clock frozen, answering
// itself.
func newControl(t *testing.T, store recharge.Store) *Control {
	t.Helper()
	clock := recharge.NewFrozenClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))
	c, err := New(t.Context(), Config{
		Service: recharge.NewService(store, clock, 1),
		Store:   store,
		Clock:   clock,
		Journal: journal.New(journal.DefaultSize, journal.DefaultBytes),
		Codes:   recharge.DefaultStatusCodes,
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestFaultRulesOfEarlierReleasesAreAdopted starts on a store holding the
// rules as earlier releases kept them, one document in a setting: they are
// in force, and kept a record each from then on.
func TestFaultRulesOfEarlierReleasesAreAdopted(t *testing.T) {
	t.Parallel()
	store := recharge.NewMemoryStore()
	legacy := `{"rules":[{"id":"f2","kind":"status","status":503,"count":3,"remaining":2}],"nextId":2}`
	if err := store.SaveSetting(t.Context(), legacyFaultsSetting, []byte(legacy)); err != nil {
		t.Fatal(err)
	}
	c := newControl(t, store)
	list, err := c.ListFaultPage(t.Context(), admin.PageQuery{})
	if err != nil || len(list.Faults) != 1 || list.Faults[0].ID != "f2" || *list.Faults[0].Remaining != 2 {
		t.Fatalf("rules %+v (%v), want f2 with 2 remaining", list.Faults, err)
	}
	if records, _ := store.LoadRecords(t.Context(), faults.Collection); len(records) != 2 {
		t.Fatalf("%d records kept, want the rule's and the set's", len(records))
	}
}
