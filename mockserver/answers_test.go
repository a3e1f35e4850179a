package mockserver

import (
	"bytes"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// encodedAfresh is the answer to an enquiry that found t, encoded now.
func encodedAfresh(d dialect.Dialect, t *recharge.Transaction, codes recharge.StatusCodes) []byte {
	data := t.Data(codes)
	return d.AppendAnswer(nil, foundAnswer(&data))
}

func settledTransaction() recharge.Transaction {
	added := time.Date(2021, 8, 20, 10, 11, 8, 0, time.UTC)
	return recharge.Transaction{
		Key:   transaction.Key{RegistrationID: "AOP-554", ReferenceID: "KEPT-1"},
		State: transaction.StateSuccess, TxnID: "6469", OperatorName: "ICICI Bank", CANumber: "DL10CG6228",
		Amount: "1", Comm: "0.00", TDS: "0.00", OperatorID: "OP1", DateAdded: added,
	}
}

// TestKeptAnswerFollowsWhatTheTransactionShows changes, one at a time, each
// thing an answer shows, and what it does not, and holds every answer to
// the one encoded afresh: a kept answer served after a change would differ.
func TestKeptAnswerFollowsWhatTheTransactionShows(t *testing.T) {
	t.Parallel()
	page, spelt := mustDialect(t, "page"), mustDialect(t, "page;pending-status=3;answer-code-key=responsecode")
	refunded := time.Date(2021, 8, 21, 9, 0, 0, 0, time.UTC)
	steps := []struct {
		name   string
		change func(*recharge.Transaction)
		same   bool // the answer stays the bytes kept before
	}{
		{"first enquiry", func(*recharge.Transaction) {}, false},
		{"enquired again", func(tx *recharge.Transaction) { tx.Enquiries++; tx.StateEnquiries++ }, true},
		{"entered its state later", func(tx *recharge.Transaction) { tx.StateSince = tx.StateSince.Add(time.Hour) }, true},
		{"amount", func(tx *recharge.Transaction) { tx.Amount = "499.00" }, false},
		{"operator", func(tx *recharge.Transaction) { tx.OperatorName = "Airtel" }, false},
		{"operatorid", func(tx *recharge.Transaction) { tx.OperatorID = "OP2" }, false},
		{"comm and tds", func(tx *recharge.Transaction) { tx.Comm, tx.TDS = "1.00", "0.10" }, false},
		{"canumber", func(tx *recharge.Transaction) { tx.CANumber = "MH01" }, false},
		{"txnid", func(tx *recharge.Transaction) { tx.TxnID = "7000" }, false},
		{"dateadded", func(tx *recharge.Transaction) { tx.DateAdded = tx.DateAdded.Add(time.Second) }, false},
		{"failed", func(tx *recharge.Transaction) { tx.State = transaction.StateFailed }, false},
		{"refunded", func(tx *recharge.Transaction) { tx.State, tx.RefundTxnID = transaction.StateRefunded, "RF7000" }, false},
		{"daterefunded", func(tx *recharge.Transaction) { tx.DateRefunded = &refunded }, false},
		{"refund txnid", func(tx *recharge.Transaction) { tx.RefundTxnID = "RF7001" }, false},
		{"pending for good", func(tx *recharge.Transaction) { tx.State = transaction.StatePending }, false},
	}
	for _, d := range []dialect.Dialect{page, spelt} {
		kept := newKeptAnswers(keptAnswersSlots)
		codes := recharge.DefaultStatusCodes
		codes.Pending = d.Knobs().PendingStatus
		tx := settledTransaction()
		var before []byte
		for _, step := range steps {
			step.change(&tx)
			got, want := kept.answer(d, &tx, codes), encodedAfresh(d, &tx, codes)
			if !bytes.Equal(got, want) {
				t.Fatalf("%s, %s: kept answer\n%s\nwant\n%s", d, step.name, got, want)
			}
			if reused := before != nil && &got[0] == &before[0]; reused != step.same {
				t.Fatalf("%s, %s: answer kept from before %v, want %v", d, step.name, reused, step.same)
			}
			before = got
		}
	}
	// One transaction answered in another dialect is encoded in that one.
	kept, tx := newKeptAnswers(keptAnswersSlots), settledTransaction()
	codes := recharge.DefaultStatusCodes
	kept.answer(page, &tx, codes)
	if got, want := kept.answer(spelt, &tx, codes), encodedAfresh(spelt, &tx, codes); !bytes.Equal(got, want) {
		t.Fatalf("in %s after %s: %s, want %s", spelt, page, got, want)
	}
}

// TestAnswersAreKeptOfSettledTransactionsEnquiredAgain serves enquiries of
// transactions kept answers are for and not, and counts what is kept.
func TestAnswersAreKeptOfSettledTransactionsEnquiredAgain(t *testing.T) {
	t.Parallel()
	d, codes := mustDialect(t, "page"), recharge.DefaultStatusCodes
	rule := transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 5}
	for _, c := range []struct {
		name      string
		enquiries int
		resolve   *transaction.Rule
		kept      bool
	}{
		{"first enquiry", 1, nil, false},
		{"second enquiry", keptFrom, nil, true},
		{"a rule still to move it", keptFrom + 3, &rule, false},
	} {
		kept, tx := newKeptAnswers(keptAnswersSlots), settledTransaction()
		tx.Enquiries, tx.StateEnquiries = c.enquiries, c.enquiries
		if c.resolve != nil {
			tx.State, tx.Resolve = transaction.StatePending, c.resolve
		}
		w := httptest.NewRecorder()
		served := kept.serve(w, d, &tx, codes)
		if served != c.kept || (kept.entries.Len() == 1) != c.kept {
			t.Fatalf("%s: served %v, %d kept; want %v", c.name, served, kept.entries.Len(), c.kept)
		}
		if served && !bytes.Equal(w.Body.Bytes(), encodedAfresh(d, &tx, codes)) {
			t.Fatalf("%s: answered %s", c.name, w.Body.Bytes())
		}
	}
}

// TestAChangeBetweenEnquiriesIsAnsweredAtOnce changes a settled
// transaction through the admin API between enquiries of it.
func TestAChangeBetweenEnquiriesIsAnsweredAtOnce(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	path := "/__admin/transactions/AOP-554/KEPT-ADMIN"
	for _, body := range []map[string]any{
		{"state": "success", "amount": "10.00", "txnid": "801"},
		{"state": "success", "amount": "20.00", "txnid": "801"},
		{"state": "failed", "amount": "20.00", "txnid": "801"},
	} {
		if a := sb.admin(http.MethodPut, path, body); a.status != http.StatusCreated && a.status != http.StatusOK {
			t.Fatalf("PUT %v: %d %s", body, a.status, a.body)
		}
		for range 2 {
			_, parsed := sb.enquireValid("AOP-554", "KEPT-ADMIN", nil)
			data := parsed["data"].(map[string]any)
			want := map[string]string{"success": "1", "failed": "0"}[body["state"].(string)]
			if data["amount"] != body["amount"] || dataStatus(parsed) != want {
				t.Fatalf("after PUT %v the enquiry answered %v", body, data)
			}
		}
	}
}
