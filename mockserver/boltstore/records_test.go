package boltstore_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// recordsStore is what keeps records among the implementations.
type recordsStore interface {
	recharge.Records
}

func recordKeys(records []recharge.Record) []string {
	out := make([]string, len(records))
	for i, r := range records {
		out[i] = r.Key + "=" + string(r.Value)
	}
	return out
}

// TestRecordsConformance holds both stores to the same records: replaced,
// changed one by one, removed, in key order, collections apart.
func TestRecordsConformance(t *testing.T) {
	for _, impl := range implementations {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.Context()
			s := impl.open(t).(recordsStore)
			if got, err := s.LoadRecords(ctx, "faults"); len(got) != 0 || err != nil {
				t.Fatalf("an empty store's records: %v, %v", got, err)
			}
			steps := []struct {
				replace bool
				changes []recharge.Record
				want    []string
			}{
				{true, []recharge.Record{{Key: "b", Value: []byte("2")}, {Key: "a", Value: []byte("1")}}, []string{"a=1", "b=2"}},
				{false, []recharge.Record{{Key: "c", Value: []byte("3")}, {Key: "a", Value: []byte("one")}}, []string{"a=one", "b=2", "c=3"}},
				{false, []recharge.Record{{Key: "b"}, {Key: "missing"}}, []string{"a=one", "c=3"}},
				{true, []recharge.Record{{Key: "z", Value: []byte{}}}, []string{"z="}},
				{true, nil, []string{}},
			}
			for i, st := range steps {
				if err := s.WriteRecords(ctx, "faults", st.replace, st.changes); err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				got, err := s.LoadRecords(ctx, "faults")
				if err != nil || !slices.Equal(recordKeys(got), st.want) {
					t.Fatalf("step %d: %v, %v; want %v", i, recordKeys(got), err, st.want)
				}
			}
			if err := s.WriteRecords(ctx, "other", false, []recharge.Record{{Key: "a", Value: []byte("x")}}); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.LoadRecords(ctx, "faults"); len(got) != 0 {
				t.Fatalf("another collection's record shows: %v", recordKeys(got))
			}
			if err := s.WriteRecords(ctx, "faults", false, []recharge.Record{{Key: "", Value: []byte("x")}}); err == nil {
				t.Fatal("a record without a key was written")
			}
		})
	}
}

// TestOneRecordIsWrittenAlone changes one record of a hundred of a
// kilobyte each: the commit writes the pages on that record's path, a
// handful, never the collection's hundred kilobytes again.
func TestOneRecordIsWrittenAlone(t *testing.T) {
	t.Parallel()
	ctx := t.Context()
	s, err := boltstore.Open(filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const n, size = 100, 1 << 10
	all := make([]recharge.Record, n)
	for i := range all {
		all[i] = recharge.Record{Key: fmt.Sprintf("rule-%03d", i), Value: bytes.Repeat([]byte{'a' + byte(i%26)}, size)}
	}
	before := boltstore.PagesWritten(s)
	if err := s.WriteRecords(ctx, "faults", true, all); err != nil {
		t.Fatal(err)
	}
	whole := boltstore.PagesWritten(s) - before
	for i := range 10 {
		before = boltstore.PagesWritten(s)
		one := recharge.Record{Key: all[n-1].Key, Value: bytes.Repeat([]byte{'0' + byte(i)}, size)}
		if err := s.WriteRecords(ctx, "faults", false, []recharge.Record{one}); err != nil {
			t.Fatal(err)
		}
		if pages := boltstore.PagesWritten(s) - before; pages > 8 || pages*5 > whole {
			t.Fatalf("writing one record wrote %d pages; the whole collection, %d", pages, whole)
		}
	}
	got, err := s.LoadRecords(ctx, "faults")
	if err != nil || len(got) != n || got[n-1].Value[0] != '9' {
		t.Fatalf("%d records, last %q…, %v", len(got), got[n-1].Value[:1], err)
	}
}
