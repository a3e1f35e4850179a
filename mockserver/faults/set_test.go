package faults

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// countingRecords keeps records in memory and counts what it is asked to
// write; fail, when set, fails every write.
type countingRecords struct {
	*recharge.MemoryStore
	writes []recordWrite
	fail   error
}

type recordWrite struct {
	replace bool
	keys    []string
	bytes   int
}

func (c *countingRecords) WriteRecords(ctx context.Context, collection string, replace bool, changes []recharge.Record) error {
	w := recordWrite{replace: replace}
	for _, r := range changes {
		w.keys = append(w.keys, r.Key)
		w.bytes += len(r.Key) + len(r.Value)
	}
	c.writes = append(c.writes, w)
	if c.fail != nil {
		return c.fail
	}
	return c.MemoryStore.WriteRecords(ctx, collection, replace, changes)
}

// fullSet is a set of as many rules as a sandbox holds, kept in keep: every
// rule but the last is scoped to another reference; the last one, counted,
// matches every enquiry of ORDER-1.
func fullSet(t *testing.T, keep *countingRecords) *Set {
	t.Helper()
	rules := make([]admin.FaultRule, admin.MaxFaultRules)
	for i := range rules {
		rules[i] = admin.FaultRule{Kind: admin.FaultStatus, Status: 503, ReferenceID: fmt.Sprintf("OTHER-%03d", i)}
	}
	rules[len(rules)-1] = admin.FaultRule{ID: "counted", Kind: admin.FaultStatus, Status: 429, ReferenceID: "ORDER-1", Count: 5}
	s := NewSet(1, keep)
	if _, err := s.Replace(t.Context(), rules); err != nil {
		t.Fatal(err)
	}
	return s
}

// TestCountedRuleWritesOnlyItself picks a counted rule, the last of a full
// set, until it runs out: each pick writes that rule's record alone (its
// deletion, the last time), never the list, so what a matching enquiry
// costs the store does not grow with the rules in force.
func TestCountedRuleWritesOnlyItself(t *testing.T) {
	t.Parallel()
	keep := &countingRecords{MemoryStore: recharge.NewMemoryStore()}
	s := fullSet(t, keep)
	listBytes := keep.writes[0].bytes
	keep.writes = nil
	for i := range 5 {
		if _, picked, err := s.Pick(t.Context(), "AOP-554", "ORDER-1"); !picked || err != nil {
			t.Fatalf("pick %d: picked %v, %v", i+1, picked, err)
		}
	}
	if len(keep.writes) != 5 {
		t.Fatalf("5 picks made %d writes, want one each", len(keep.writes))
	}
	key := keep.writes[0].keys
	for i, w := range keep.writes {
		if w.replace || len(w.keys) != 1 || !slices.Equal(w.keys, key) {
			t.Fatalf("pick %d wrote %d records (replace %v, %d bytes); want the counted rule's record alone, as pick 1 did (%v)", i+1, len(w.keys), w.replace, w.bytes, key)
		}
		// One rule's record is a few hundred bytes; the list of 100 is
		// many kilobytes.
		if w.bytes > listBytes/20 {
			t.Fatalf("pick %d wrote %d bytes, the whole list is %d", i+1, w.bytes, listBytes)
		}
	}
	if got := len(s.List()); got != admin.MaxFaultRules-1 {
		t.Fatalf("%d rules left, want the counted one expired", got)
	}
	if _, picked, _ := s.Pick(t.Context(), "AOP-554", "ORDER-1"); picked {
		t.Fatal("an expired rule was picked")
	}
}

// TestAddIsCappedLikeReplace holds Add and Replace to the one cap.
func TestAddIsCappedLikeReplace(t *testing.T) {
	t.Parallel()
	keep := &countingRecords{MemoryStore: recharge.NewMemoryStore()}
	s := fullSet(t, keep)
	_, err := s.Add(t.Context(), admin.FaultRule{Kind: admin.FaultReset})
	wantAdminError(t, "Add to a full set", err, http.StatusConflict, admin.CodeConflict)
	if got := len(s.List()); got != admin.MaxFaultRules {
		t.Fatalf("%d rules after a refused Add", got)
	}
	_, err = s.Replace(t.Context(), make([]admin.FaultRule, admin.MaxFaultRules+1))
	wantAdminError(t, "Replace with one rule too many", err, http.StatusBadRequest, admin.CodeInvalid)
	if err := s.Delete(t.Context(), "counted"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Add(t.Context(), admin.FaultRule{Kind: admin.FaultReset}); err != nil {
		t.Fatalf("Add once a rule is deleted: %v", err)
	}
}

func wantAdminError(t *testing.T, what string, err error, status int, code string) {
	t.Helper()
	e, ok := err.(*admin.Error)
	if !ok || e.Status != status || e.Code != code {
		t.Fatalf("%s: %v, want HTTP %d %s", what, err, status, code)
	}
}

// TestKeptRulesLoadBack changes the rules every way, then loads what was
// kept into a new set: the same rules in the same order with their counts,
// and ids given on from where the first set stopped.
func TestKeptRulesLoadBack(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := recharge.NewMemoryStore()
	s := NewSet(1, store)
	if found, err := s.Load(ctx); found || err != nil {
		t.Fatalf("Load of nothing kept: %v, %v", found, err)
	}
	if _, err := s.Replace(ctx, []admin.FaultRule{{Kind: admin.FaultReset, ReferenceID: "A"}, {Kind: admin.FaultEmpty, Count: 3}}); err != nil {
		t.Fatal(err)
	}
	for _, r := range []admin.FaultRule{{Kind: admin.FaultMalformed}, {ID: "named", Kind: admin.FaultTruncated}} {
		if _, err := s.Add(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Delete(ctx, "f3"); err != nil {
		t.Fatal(err)
	}
	if _, _, err := s.Pick(ctx, "AOP-554", "B"); err != nil {
		t.Fatal(err)
	}
	want := s.List()

	again := NewSet(1, store)
	if found, err := again.Load(ctx); !found || err != nil {
		t.Fatalf("Load: %v, %v", found, err)
	}
	if got := again.List(); !slices.Equal(describeAll(got), describeAll(want)) {
		t.Fatalf("loaded %v\nwant %v", describeAll(got), describeAll(want))
	}
	added, err := again.Add(ctx, admin.FaultRule{Kind: admin.FaultReset})
	if err != nil || added.ID != "f4" {
		t.Fatalf("added %q, %v; want id f4, never the deleted f3 again", added.ID, err)
	}
	if err := again.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if found, _ := NewSet(1, store).Load(ctx); !found {
		t.Fatal("an empty set kept was not found")
	}
}

// TestAdoptReadsTheRulesOfEarlierReleases keeps the one document of every
// rule that earlier releases saved as a record per rule.
func TestAdoptReadsTheRulesOfEarlierReleases(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	store := recharge.NewMemoryStore()
	if err := NewSet(1, store).Adopt(ctx, []byte(`{"rules":[{"id":"f1","kind":"reset","count":2,"remaining":1},{"id":"f7","kind":"empty"}],"nextId":7}`)); err != nil {
		t.Fatal(err)
	}
	s := NewSet(1, store)
	if found, err := s.Load(ctx); !found || err != nil {
		t.Fatalf("Load: %v, %v", found, err)
	}
	got := s.List()
	if len(got) != 2 || got[0].ID != "f1" || *got[0].Remaining != 1 || got[1].ID != "f7" {
		t.Fatalf("adopted %v", describeAll(got))
	}
	if added, _ := s.Add(ctx, admin.FaultRule{Kind: admin.FaultReset}); added.ID != "f8" {
		t.Fatalf("next id %q, want f8", added.ID)
	}
}

func describeAll(rules []admin.FaultRule) []string {
	out := make([]string, len(rules))
	for i, r := range rules {
		remaining := "-"
		if r.Remaining != nil {
			remaining = fmt.Sprint(*r.Remaining)
		}
		out[i] = fmt.Sprintf("%s %s ref=%s remaining=%s injected=%d", r.ID, Describe(r), r.ReferenceID, remaining, r.Injected)
	}
	return out
}
