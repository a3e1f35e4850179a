package proxy

import (
	"net/http"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
)

// TestRecordedRegistrationsNameTheDialectAnswered: a registration keeps
// the dialect of its latest status answer, with the pending code it
// answered when that is not the dialect's own; the page's needs no naming.
func TestRecordedRegistrationsNameTheDialectAnswered(t *testing.T) {
	t.Parallel()
	rec, err := openRecorder("", "https://api.aopay.co.in", func(fixtures.Transaction) error { return nil }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	q := rechargestatus.Enquiry{RegistrationID: "AOP-554", ReferenceID: "A"}
	steps := []struct {
		name       string
		body       []byte
		answeredIn string
		want       string
	}{
		{"page", foundAnswer("A", "1", "1", ""), "", ""},
		{"upstream", foundAnswer("A", "1", "1", ""), dialect.Upstream, dialect.Upstream},
		{"unclassified keeps the last known", foundAnswer("A", "1", "1", ""), "", dialect.Upstream},
		{"pending code of its own", foundAnswer("B", "2", "3", ""), dialect.Upstream, "upstream;pending-status=3"},
		{"page with that pending code", foundAnswer("B", "2", "3", ""), dialect.Page, "page;pending-status=3"},
	}
	for _, st := range steps {
		if st.name == "pending code of its own" || st.name == "page with that pending code" {
			q.ReferenceID = "B"
		}
		if _, err := rec.RecordIn(q, http.StatusOK, st.body, st.answeredIn); err != nil {
			t.Fatal(err)
		}
		set, _ := rec.snapshot()
		if len(set.Registrations) != 1 || set.Registrations[0].Dialect != st.want {
			t.Fatalf("%s: registrations %+v, want dialect %q", st.name, set.Registrations, st.want)
		}
		if _, err := fixtures.Parse(mustMarshal(t, set), nil); err != nil {
			t.Fatalf("%s: the snapshot does not load: %v", st.name, err)
		}
	}
}

// TestRecordingHoldsAtMostItsBound: past maxTransactions a new transaction
// is counted, not recorded; one recorded already is still kept up to date.
func TestRecordingHoldsAtMostItsBound(t *testing.T) {
	t.Parallel()
	rec, err := openRecorder("", "https://api.aopay.co.in", func(fixtures.Transaction) error { return nil }, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	rec.maxTransactions = 1
	for _, st := range []struct{ ref, status string }{{"A", "2"}, {"B", "1"}, {"A", "1"}} {
		q := rechargestatus.Enquiry{RegistrationID: "AOP-554", ReferenceID: st.ref}
		if _, err := rec.Record(q, http.StatusOK, foundAnswer(st.ref, "1", st.status, "")); err != nil {
			t.Fatal(err)
		}
	}
	set, notRecorded := rec.snapshot()
	if len(set.Transactions) != 1 || set.Transactions[0].ReferenceID != "A" || set.Transactions[0].State != "success" || notRecorded != 1 {
		t.Fatalf("transactions %+v, %d not recorded; want A, success, and B counted", set.Transactions, notRecorded)
	}
}

func mustMarshal(t *testing.T, set fixtures.Set) []byte {
	t.Helper()
	data, err := set.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	return data
}
