package mockserver

import (
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func TestAdminPutTransaction(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	path := "/__admin/transactions/AOP-554/ORDER-1"

	created := sb.admin(http.MethodPut, path, map[string]any{"state": "success"})
	if created.status != http.StatusCreated {
		t.Fatalf("first PUT: %d %s, want 201", created.status, created.body)
	}
	if loc := created.header.Get("Location"); loc != path {
		t.Errorf("Location %q, want %q", loc, path)
	}
	var tx admin.TransactionView
	created.decode(t, &tx)
	if tx.Origin != transaction.OriginAdmin || tx.State != transaction.StateSuccess || tx.Data.Status != "1" || tx.Data.RefID != "ORDER-1" {
		t.Fatalf("created %+v", tx)
	}
	if tx.Data.TxnID == "" || tx.Data.OperatorName == "" || tx.Data.CANumber == "" || tx.Data.OperatorID == "" {
		t.Fatalf("missing fields were not generated: %+v", tx.Data)
	}

	replaced := sb.admin(http.MethodPut, path, map[string]any{
		"state": "pending", "amount": "499.00", "txnid": "900",
		"resolve": map[string]any{"to": "failed", "afterEnquiries": 2},
		"refund":  map[string]any{"afterEnquiries": 1},
	})
	if replaced.status != http.StatusOK {
		t.Fatalf("second PUT: %d %s, want 200", replaced.status, replaced.body)
	}
	replaced.decode(t, &tx)
	if tx.State != transaction.StatePending || tx.Data.Amount != "499.00" || tx.Data.TxnID != "900" || tx.Resolve == nil || tx.Resolve.AfterEnquiries != 2 || tx.Refund == nil || tx.Refund.To != "" {
		t.Fatalf("replaced %+v", tx)
	}

	// The rules of the PUT drive what enquiries see.
	var seen []string
	for range 4 {
		_, parsed := sb.enquireValid("AOP-554", "ORDER-1", nil)
		data := parsed["data"].(map[string]any)
		seen = append(seen, dataStatus(parsed)+"/"+data["refunded"].(string))
	}
	if got, want := strings.Join(seen, " "), "2/0 2/0 0/0 0/1"; got != want {
		t.Fatalf("enquiries answered %s, want %s", got, want)
	}

	got := sb.admin(http.MethodGet, path, nil)
	got.decode(t, &tx)
	if got.status != http.StatusOK || tx.State != transaction.StateRefunded || tx.Enquiries != 4 || tx.Data.RefundTxnID != "RF900" {
		t.Fatalf("GET after enquiries: %d %+v", got.status, tx)
	}
}

func TestAdminPutTransactionErrors(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	tests := []struct {
		name       string
		path       string
		body       any
		wantStatus int
		wantCode   string
		wantInMsg  string
	}{
		{name: "unknown registration", path: "/__admin/transactions/NOPE/X-1", body: map[string]any{"state": "success"}, wantStatus: 404, wantCode: admin.CodeNotFound, wantInMsg: `no registration "NOPE"`},
		{name: "state missing", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"amount": "1"}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "state is required"},
		{name: "state unknown", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "done"}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "state"},
		{name: "amount not decimal", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "success", "amount": "1,00"}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "amount"},
		{name: "amount a number", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "success", "amount": 1}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "amount must be a string"},
		{name: "dateadded not provider format", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "success", "dateadded": "2026-03-05T12:00:00Z"}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "dateadded"},
		{name: "resolve on a final state", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "success", "resolve": map[string]any{"to": "failed", "afterEnquiries": 1}}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "resolve applies only to a pending transaction; this one is success"},
		{name: "resolve without a trigger", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "pending", "resolve": map[string]any{"to": "success"}}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "resolve: a rule needs afterEnquiries or after"},
		{name: "resolve to refunded", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "pending", "resolve": map[string]any{"to": "refunded", "afterEnquiries": 1}}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "resolve.to"},
		{name: "resolve.after not a duration", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "pending", "resolve": map[string]any{"to": "success", "after": "soon"}}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "resolve.after"},
		{name: "refund fields on success", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "success", "refundtxnid": "RF1"}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "refundtxnid and daterefunded apply only to state refunded"},
		{name: "unknown field", path: "/__admin/transactions/AOP-554/X-1", body: map[string]any{"state": "success", "colour": "blue"}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "colour"},
		{name: "not JSON", path: "/__admin/transactions/AOP-554/X-1", body: `{"state":`, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sb.admin(http.MethodPut, tt.path, tt.body)
			code, msg := a.errorMessage(t)
			if a.status != tt.wantStatus || code != tt.wantCode || !strings.Contains(msg, tt.wantInMsg) {
				t.Fatalf("got %d %s %q; want %d %s containing %q", a.status, code, msg, tt.wantStatus, tt.wantCode, tt.wantInMsg)
			}
		})
	}
	if a := sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/X-1", nil); a.status != http.StatusNotFound {
		t.Fatalf("a rejected PUT stored a transaction: %d %s", a.status, a.body)
	}
}

func TestAdminGetAndDeleteTransaction(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	tests := []struct {
		name, method, path string
		wantStatus         int
	}{
		{name: "get fixture", method: http.MethodGet, path: "/__admin/transactions/AOP-554/12345678", wantStatus: 200},
		{name: "get unknown", method: http.MethodGet, path: "/__admin/transactions/AOP-554/NEVER-1", wantStatus: 404},
		{name: "delete fixture", method: http.MethodDelete, path: "/__admin/transactions/AOP-554/12345678", wantStatus: 204},
		{name: "get deleted", method: http.MethodGet, path: "/__admin/transactions/AOP-554/12345678", wantStatus: 404},
		{name: "delete again", method: http.MethodDelete, path: "/__admin/transactions/AOP-554/12345678", wantStatus: 404},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sb.admin(tt.method, tt.path, nil)
			if a.status != tt.wantStatus {
				t.Fatalf("%s %s: %d %s, want %d", tt.method, tt.path, a.status, a.body, tt.wantStatus)
			}
			if a.status == http.StatusNotFound {
				if code, msg := a.errorMessage(t); code != admin.CodeNotFound || !strings.Contains(msg, "no transaction AOP-554/") {
					t.Fatalf("404 says %s %q", code, msg)
				}
			}
		})
	}
	// A deleted fixture is an unknown referenceid again: made on enquiry.
	_, parsed := sb.enquireValid("AOP-554", "12345678", nil)
	if data := parsed["data"].(map[string]any); data["txnid"] == "6469" {
		t.Fatal("the deleted transaction still answers its fixture data")
	}
}

func TestAdminListTransactions(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	sb.admin(http.MethodPut, "/__admin/transactions/AOP-SECURE/S-1", map[string]any{"state": "failed"})
	tests := []struct {
		name, query string
		wantStatus  int
		want        func(admin.TransactionView) bool
		wantMin     int
	}{
		{name: "all", query: "", wantStatus: 200, want: func(admin.TransactionView) bool { return true }, wantMin: 8},
		{name: "by registration", query: "?registrationId=AOP-SECURE", wantStatus: 200, want: func(t admin.TransactionView) bool { return t.RegistrationID == "AOP-SECURE" }, wantMin: 1},
		{name: "by state", query: "?state=pending", wantStatus: 200, want: func(t admin.TransactionView) bool { return t.State == transaction.StatePending }, wantMin: 4},
		{name: "by both", query: "?registrationId=AOP-SECURE&state=failed", wantStatus: 200, want: func(t admin.TransactionView) bool { return t.ReferenceID == "S-1" }, wantMin: 1},
		{name: "bad state", query: "?state=done", wantStatus: 400},
	}
	all := 0
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sb.admin(http.MethodGet, "/__admin/transactions"+tt.query, nil)
			if a.status != tt.wantStatus {
				t.Fatalf("%d %s, want %d", a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				if code, msg := a.errorMessage(t); code != admin.CodeInvalid || !strings.Contains(msg, "state") {
					t.Fatalf("error %s %q does not name state", code, msg)
				}
				return
			}
			var list struct{ Transactions []admin.TransactionView }
			a.decode(t, &list)
			if len(list.Transactions) < tt.wantMin {
				t.Fatalf("%d transactions, want at least %d", len(list.Transactions), tt.wantMin)
			}
			for _, tx := range list.Transactions {
				if !tt.want(tx) {
					t.Fatalf("%s/%s (%s) does not match the filter", tx.RegistrationID, tx.ReferenceID, tx.State)
				}
			}
			if tt.query == "" {
				all = len(list.Transactions)
			} else if len(list.Transactions) >= all {
				t.Fatalf("filter %s kept all %d transactions", tt.query, all)
			}
		})
	}
}

func TestAdminTransition(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	tests := []struct {
		name       string
		ref        string
		body       any
		wantStatus int
		wantState  transaction.State
		wantCode   string
		wantInMsg  string
	}{
		{name: "stuck to success", ref: "STUCK-1001", body: map[string]string{"to": "success"}, wantStatus: 200, wantState: transaction.StateSuccess},
		{name: "success again", ref: "STUCK-1001", body: map[string]string{"to": "success"}, wantStatus: 409, wantCode: admin.CodeConflict, wantInMsg: "the transaction is already success"},
		{name: "failed to refunded", ref: "FAILED-1001", body: map[string]string{"to": "refunded"}, wantStatus: 200, wantState: transaction.StateRefunded},
		{name: "refund a success", ref: "12345678", body: map[string]string{"to": "refunded"}, wantStatus: 409, wantCode: admin.CodeConflict, wantInMsg: "only a failed transaction can be refunded; this one is success"},
		{name: "success to failed", ref: "12345678", body: map[string]string{"to": "failed"}, wantStatus: 409, wantCode: admin.CodeConflict, wantInMsg: "a success transaction is final and cannot become failed"},
		{name: "back to pending", ref: "12345678", body: map[string]string{"to": "pending"}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "to"},
		{name: "to missing", ref: "12345678", body: map[string]string{}, wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "to is required"},
		{name: "unknown transaction", ref: "NEVER-1", body: map[string]string{"to": "success"}, wantStatus: 404, wantCode: admin.CodeNotFound, wantInMsg: "no transaction AOP-554/NEVER-1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sb.admin(http.MethodPost, "/__admin/transactions/AOP-554/"+tt.ref+"/transition", tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("%d %s, want %d", a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				var tx admin.TransactionView
				a.decode(t, &tx)
				if tx.State != tt.wantState {
					t.Fatalf("state %s, want %s", tx.State, tt.wantState)
				}
				_, parsed := sb.enquireValid("AOP-554", tt.ref, nil)
				want := map[transaction.State]string{transaction.StateSuccess: "1", transaction.StateRefunded: "0"}[tt.wantState]
				if dataStatus(parsed) != want {
					t.Fatalf("enquiry after the transition answers status %q, want %q", dataStatus(parsed), want)
				}
				return
			}
			if code, msg := a.errorMessage(t); code != tt.wantCode || !strings.Contains(msg, tt.wantInMsg) {
				t.Fatalf("error %s %q, want %s containing %q", code, msg, tt.wantCode, tt.wantInMsg)
			}
		})
	}
}

func TestTimedTransitionUnderVirtualClock(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	view := func() admin.TransactionView {
		var tx admin.TransactionView
		sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/TIMED-1001", nil).decode(t, &tx)
		return tx
	}
	steps := []struct {
		name      string
		advance   string
		wantState string
	}{
		{name: "at start", wantState: "2"},
		{name: "29 minutes later", advance: "29m", wantState: "2"},
		{name: "30 minutes later", advance: "1m", wantState: "1"},
		{name: "a day later", advance: "24h", wantState: "1"},
	}
	var txnid string
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			if st.advance != "" {
				a := sb.admin(http.MethodPost, "/__admin/clock", map[string]string{"advance": st.advance})
				if a.status != http.StatusOK {
					t.Fatalf("advance: %d %s", a.status, a.body)
				}
				// The view already shows what the next enquiry will answer.
				if got := view().Data.Status; got != st.wantState {
					t.Fatalf("admin view says status %s before the enquiry, want %s", got, st.wantState)
				}
			}
			_, parsed := sb.enquireValid("AOP-554", "TIMED-1001", nil)
			if got := dataStatus(parsed); got != st.wantState {
				t.Fatalf("data.status %q, want %q", got, st.wantState)
			}
			id := parsed["data"].(map[string]any)["txnid"].(string)
			if txnid != "" && id != txnid {
				t.Fatalf("txnid changed from %s to %s", txnid, id)
			}
			txnid = id
		})
	}
	tx := view()
	if want := sandboxEpoch.Add(30 * time.Minute); !tx.StateSince.Equal(want) {
		t.Fatalf("resolved at %s, want the rule's due time %s", tx.StateSince, want)
	}
}

func TestAdminClock(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	var c admin.Clock
	a := sb.admin(http.MethodGet, "/__admin/clock", nil)
	a.decode(t, &c)
	if !c.Now.Equal(sandboxEpoch) || !c.Frozen {
		t.Fatalf("initial clock %+v, want frozen at %s", c, sandboxEpoch)
	}
	tests := []struct {
		name       string
		body       any
		wantStatus int
		wantNow    time.Time
		wantFrozen bool
		wantInMsg  string
	}{
		{name: "advance", body: map[string]any{"advance": "90m"}, wantStatus: 200, wantNow: sandboxEpoch.Add(90 * time.Minute), wantFrozen: true},
		{name: "freeze at", body: map[string]any{"freeze": "2026-04-01T10:00:00+05:30"}, wantStatus: 200, wantNow: time.Date(2026, 4, 1, 4, 30, 0, 0, time.UTC), wantFrozen: true},
		{name: "freeze now", body: map[string]any{"freeze": true}, wantStatus: 200, wantNow: time.Date(2026, 4, 1, 4, 30, 0, 0, time.UTC), wantFrozen: true},
		{name: "resume", body: map[string]any{"resume": true}, wantStatus: 200, wantNow: time.Date(2026, 4, 1, 4, 30, 0, 0, time.UTC), wantFrozen: false},
		{name: "set", body: map[string]any{"set": "2027-01-01T00:00:00Z"}, wantStatus: 200, wantNow: time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC), wantFrozen: false},
		{name: "negative advance", body: map[string]any{"advance": "-5m"}, wantStatus: 400, wantInMsg: "advance"},
		{name: "two moves", body: map[string]any{"advance": "5m", "resume": true}, wantStatus: 400, wantInMsg: "request body"},
		{name: "no move", body: map[string]any{}, wantStatus: 400, wantInMsg: "request body"},
		{name: "set not a time", body: map[string]any{"set": "tomorrow"}, wantStatus: 400, wantInMsg: "set"},
		{name: "freeze false", body: map[string]any{"freeze": false}, wantStatus: 400, wantInMsg: "freeze"},
		{name: "advance past the range", body: map[string]any{"advance": "2540400h"}, wantStatus: 400, wantInMsg: "between 1970 and 2200"},
		{name: "set past the range", body: map[string]any{"set": "9999-12-31T23:59:59Z"}, wantStatus: 400, wantInMsg: "between 1970 and 2200"},
		{name: "freeze before the range", body: map[string]any{"freeze": "0001-01-01T00:00:00Z"}, wantStatus: 400, wantInMsg: "between 1970 and 2200"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sb.admin(http.MethodPost, "/__admin/clock", tt.body)
			if a.status != tt.wantStatus {
				t.Fatalf("%d %s, want %d", a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				if code, msg := a.errorMessage(t); code != admin.CodeInvalid || !strings.Contains(msg, tt.wantInMsg) {
					t.Fatalf("error %s %q, want one naming %q", code, msg, tt.wantInMsg)
				}
				return
			}
			a.decode(t, &c)
			// A running clock moves on while the test runs; a second is plenty.
			if d := c.Now.Sub(tt.wantNow); d < 0 || d > time.Second || c.Frozen != tt.wantFrozen {
				t.Fatalf("clock %+v, want now %s frozen %v", c, tt.wantNow, tt.wantFrozen)
			}
			if now := sb.srv.control.Now(); now.Sub(tt.wantNow) > time.Second || now.Before(tt.wantNow) {
				t.Fatalf("the server's clock reads %s, want %s", now, tt.wantNow)
			}
		})
	}
}

func TestAdminJournal(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	for range 3 {
		sb.enquireValid("AOP-554", "PENDING-1001", nil)
	}
	sb.admin(http.MethodPost, "/__admin/clock", map[string]string{"advance": "1h"})
	sb.enquireValid("AOP-554", "12345678", nil)
	sb.enquireValid("AOP-SECURE", "SECURE-1001", nil) // 401, journaled all the same
	later := url.QueryEscape(sandboxEpoch.Add(30 * time.Minute).Format(time.RFC3339))

	tests := []struct {
		name, query string
		wantCount   int
		wantStatus  int
	}{
		{name: "all", query: "", wantCount: 5, wantStatus: 200},
		{name: "by reference", query: "?referenceId=PENDING-1001", wantCount: 3, wantStatus: 200},
		{name: "by registration", query: "?registrationId=AOP-SECURE", wantCount: 1, wantStatus: 200},
		{name: "since", query: "?since=" + later, wantCount: 2, wantStatus: 200},
		{name: "until", query: "?until=" + later, wantCount: 3, wantStatus: 200},
		{name: "reference and since", query: "?referenceId=PENDING-1001&since=" + later, wantCount: 0, wantStatus: 200},
		{name: "bad since", query: "?since=yesterday", wantStatus: 400},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			count := sb.admin(http.MethodGet, "/__admin/requests/count"+tt.query, nil)
			list := sb.admin(http.MethodGet, "/__admin/requests"+tt.query, nil)
			if count.status != tt.wantStatus || list.status != tt.wantStatus {
				t.Fatalf("count %d %s, list %d %s, want %d", count.status, count.body, list.status, list.body, tt.wantStatus)
			}
			if tt.wantStatus != 200 {
				if code, msg := count.errorMessage(t); code != admin.CodeInvalid || !strings.Contains(msg, "since") {
					t.Fatalf("error %s %q does not name since", code, msg)
				}
				return
			}
			var n struct{ Count int }
			count.decode(t, &n)
			var entries struct{ Requests []admin.JournalEntry }
			list.decode(t, &entries)
			if n.Count != tt.wantCount || len(entries.Requests) != tt.wantCount {
				t.Fatalf("count %d, list %d, want %d", n.Count, len(entries.Requests), tt.wantCount)
			}
		})
	}

	var entries struct{ Requests []admin.JournalEntry }
	sb.admin(http.MethodGet, "/__admin/requests?limit=2", nil).decode(t, &entries)
	if len(entries.Requests) != 2 || entries.Requests[0].ReferenceID != "12345678" || entries.Requests[1].Status != http.StatusUnauthorized {
		t.Fatalf("limit=2 gave %+v, want the last two requests, oldest first", entries.Requests)
	}
	if auth := entries.Requests[0].RequestHeaders; auth["Authorization"] != nil {
		t.Fatal("an enquiry's journal entry carries an Authorization header it never sent")
	}
	if a := sb.admin(http.MethodDelete, "/__admin/requests", nil); a.status != http.StatusNoContent {
		t.Fatalf("DELETE requests: %d %s", a.status, a.body)
	}
	var n struct{ Count int }
	sb.admin(http.MethodGet, "/__admin/requests/count", nil).decode(t, &n)
	if n.Count != 0 {
		t.Fatalf("count after DELETE: %d (admin calls must not be journaled)", n.Count)
	}
}

func TestAdminReset(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	var before struct{ Transactions []admin.TransactionView }
	sb.admin(http.MethodGet, "/__admin/transactions", nil).decode(t, &before)

	sb.admin(http.MethodPut, "/__admin/transactions/AOP-554/ORDER-9", map[string]any{"state": "success"})
	sb.admin(http.MethodPost, "/__admin/transactions/AOP-554/STUCK-1001/transition", map[string]any{"to": "failed"})
	sb.admin(http.MethodPost, "/__admin/faults", map[string]any{"kind": "status", "status": 503, "referenceId": "nothing"})
	sb.enquireValid("AOP-554", "AUTO-77", nil)
	sb.admin(http.MethodPost, "/__admin/clock", map[string]any{"advance": "2h"})

	a := sb.admin(http.MethodPost, "/__admin/reset", nil)
	var res struct{ Transactions int }
	a.decode(t, &res)
	if a.status != http.StatusOK || res.Transactions != len(before.Transactions) {
		t.Fatalf("reset: %d %s, want %d transactions", a.status, a.body, len(before.Transactions))
	}
	checks := []struct {
		name, path string
		wantStatus int
	}{
		{name: "admin-created transaction gone", path: "/__admin/transactions/AOP-554/ORDER-9", wantStatus: 404},
		{name: "auto-created transaction gone", path: "/__admin/transactions/AOP-554/AUTO-77", wantStatus: 404},
		{name: "fixture back", path: "/__admin/transactions/AOP-554/STUCK-1001", wantStatus: 200},
	}
	for _, c := range checks {
		t.Run(c.name, func(t *testing.T) {
			if a := sb.admin(http.MethodGet, c.path, nil); a.status != c.wantStatus {
				t.Fatalf("%d %s, want %d", a.status, a.body, c.wantStatus)
			}
		})
	}
	var stuck admin.TransactionView
	sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/STUCK-1001", nil).decode(t, &stuck)
	if stuck.State != transaction.StatePending || stuck.Enquiries != 0 {
		t.Fatalf("STUCK-1001 after reset: %s with %d enquiries", stuck.State, stuck.Enquiries)
	}
	var faults admin.FaultList
	sb.admin(http.MethodGet, "/__admin/faults", nil).decode(t, &faults)
	var n struct{ Count int }
	sb.admin(http.MethodGet, "/__admin/requests/count", nil).decode(t, &n)
	if len(faults.Faults) != 0 || n.Count != 0 {
		t.Fatalf("after reset: %d fault rules, %d journaled requests", len(faults.Faults), n.Count)
	}
	// The clock, frozen and moved before, follows the system clock again.
	var clock admin.Clock
	sb.admin(http.MethodGet, "/__admin/clock", nil).decode(t, &clock)
	if clock.Frozen || clock.Offset != "0s" || time.Since(clock.Now).Abs() > time.Minute {
		t.Fatalf("clock after reset: %+v, want the system clock's, not frozen", clock)
	}
}

func TestFixturesReloadKeepsRuntimeState(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	path := filepath.Join(dir, "fixtures.yaml")
	write := func(content string) {
		t.Helper()
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write(`registrations:
  - id: P-1
transactions:
  - {registrationId: P-1, referenceId: KEEP, state: pending}
  - {registrationId: P-1, referenceId: EDITED, state: pending}
  - {registrationId: P-1, referenceId: DROPPED, state: success}
`)
	sb := newSandbox(t, Config{FixturesPath: path})
	sb.admin(http.MethodPost, "/__admin/transactions/P-1/KEEP/transition", map[string]string{"to": "failed"})
	sb.admin(http.MethodPut, "/__admin/transactions/P-1/MINE", map[string]any{"state": "failed"})
	sb.enquireValid("P-1", "AUTO-1", nil)

	write(`registrations:
  - id: P-1
  - id: P-2
transactions:
  - {registrationId: P-1, referenceId: KEEP, state: success}
  - {registrationId: P-1, referenceId: EDITED, state: success}
  - {registrationId: P-1, referenceId: ADDED, state: refunded}
  - {registrationId: P-2, referenceId: OTHER, state: success}
`)
	a := sb.admin(http.MethodPost, "/__admin/fixtures/reload", nil)
	var res admin.ReloadResult
	a.decode(t, &res)
	if a.status != http.StatusOK || res.Registrations != 2 || res.Transactions != 4 {
		t.Fatalf("reload: %d %s", a.status, a.body)
	}
	tests := []struct {
		name, key  string
		wantStatus int
		wantState  transaction.State
	}{
		{name: "runtime change wins over the file", key: "P-1/KEEP", wantStatus: 200, wantState: transaction.StateFailed},
		{name: "untouched fixture already in the store is kept", key: "P-1/EDITED", wantStatus: 200, wantState: transaction.StatePending},
		{name: "new fixture added", key: "P-1/ADDED", wantStatus: 200, wantState: transaction.StateRefunded},
		{name: "new registration's fixture added", key: "P-2/OTHER", wantStatus: 200, wantState: transaction.StateSuccess},
		{name: "fixture gone from the file removed", key: "P-1/DROPPED", wantStatus: 404},
		{name: "admin-created kept", key: "P-1/MINE", wantStatus: 200, wantState: transaction.StateFailed},
		{name: "enquiry-created kept", key: "P-1/AUTO-1", wantStatus: 200, wantState: transaction.StateSuccess},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sb.admin(http.MethodGet, "/__admin/transactions/"+tt.key, nil)
			if a.status != tt.wantStatus {
				t.Fatalf("%d %s, want %d", a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus == 200 {
				var tx admin.TransactionView
				a.decode(t, &tx)
				if tx.State != tt.wantState {
					t.Fatalf("state %s, want %s", tx.State, tt.wantState)
				}
			}
		})
	}
	// The new registration answers enquiries at once.
	if _, parsed := sb.enquireValid("P-2", "OTHER", nil); dataStatus(parsed) != "1" {
		t.Fatalf("P-2/OTHER answers %v", parsed)
	}

	write("registrations: [{id: P-1}]\ntransactions:\n  - {registrationId: P-1, referenceId: X, state: done}\n")
	a = sb.admin(http.MethodPost, "/__admin/fixtures/reload", nil)
	if code, msg := a.errorMessage(t); a.status != http.StatusUnprocessableEntity || code != admin.CodeInvalid || !strings.Contains(msg, `state "done"`) {
		t.Fatalf("broken file: %d %s %q", a.status, code, msg)
	}
	if a := sb.admin(http.MethodGet, "/__admin/transactions/P-2/OTHER", nil); a.status != http.StatusOK {
		t.Fatalf("a failed reload changed the store: %d", a.status)
	}
}

func TestAdminAuth(t *testing.T) {
	t.Parallel()
	const token = "s3cret-admin-token"
	sb := newSandbox(t, Config{AdminToken: token})
	operations := []struct{ method, path string }{
		{http.MethodGet, "/__admin/health"},
		{http.MethodGet, "/__admin/transactions"},
		{http.MethodGet, "/__admin/transactions/AOP-554/12345678"},
		{http.MethodPut, "/__admin/transactions/AOP-554/12345678"},
		{http.MethodDelete, "/__admin/transactions/AOP-554/12345678"},
		{http.MethodPost, "/__admin/transactions/AOP-554/12345678/transition"},
		{http.MethodGet, "/__admin/requests"},
		{http.MethodGet, "/__admin/requests/count"},
		{http.MethodDelete, "/__admin/requests"},
		{http.MethodPost, "/__admin/reset"},
		{http.MethodGet, "/__admin/clock"},
		{http.MethodPost, "/__admin/clock"},
		{http.MethodPost, "/__admin/fixtures/reload"},
		{http.MethodGet, "/__admin/faults"},
		{http.MethodPut, "/__admin/faults"},
		{http.MethodPost, "/__admin/faults"},
		{http.MethodDelete, "/__admin/faults"},
		{http.MethodDelete, "/__admin/faults/f1"},
		{http.MethodGet, "/metrics"},
		{http.MethodGet, "/__admin/no-such-thing"},
	}
	wrong := []struct{ name, token string }{
		{"no token", ""},
		{"wrong token", "not-the-token"},
		{"prefix of the token", token[:len(token)-1]},
		{"token with a suffix", token + "x"},
		{"token in another case", strings.ToUpper(token)},
	}
	for _, op := range operations {
		for _, w := range wrong {
			t.Run(op.method+" "+op.path+" "+w.name, func(t *testing.T) {
				a := sb.adminAs(w.token, op.method, op.path, nil)
				code, msg := a.errorMessage(t)
				if a.status != http.StatusUnauthorized || code != admin.CodeUnauthorized || !strings.Contains(msg, "Authorization: Bearer") {
					t.Fatalf("%d %s %q, want 401 unauthorized", a.status, code, msg)
				}
				if !strings.HasPrefix(a.header.Get("WWW-Authenticate"), "Bearer") {
					t.Fatalf("WWW-Authenticate %q", a.header.Get("WWW-Authenticate"))
				}
				if strings.Contains(string(a.body), token) {
					t.Fatal("the answer reveals the token")
				}
			})
		}
	}
	t.Run("right token", func(t *testing.T) {
		if a := sb.admin(http.MethodGet, "/__admin/health", nil); a.status != http.StatusOK {
			t.Fatalf("%d %s", a.status, a.body)
		}
		if a := sb.admin(http.MethodGet, "/metrics", nil); a.status != http.StatusOK {
			t.Fatalf("/metrics: %d %s", a.status, a.body)
		}
	})
	t.Run("enquiries need no admin token", func(t *testing.T) {
		if e, _ := sb.enquireValid("AOP-554", "12345678", nil); e.status != http.StatusOK {
			t.Fatalf("%d %s", e.status, e.body)
		}
	})
}

func TestAdminErrorsKeepTheAdminShape(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	tests := []struct {
		name, method, path, contentType, body string
		wantStatus                            int
		wantCode, wantInMsg                   string
	}{
		{name: "unknown admin path", method: http.MethodGet, path: "/__admin/nothing", wantStatus: 404, wantCode: admin.CodeNotFound, wantInMsg: "/__admin/nothing"},
		{name: "wrong method", method: http.MethodPatch, path: "/__admin/clock", wantStatus: 405, wantCode: admin.CodeInvalid, wantInMsg: "PATCH"},
		{name: "not JSON", method: http.MethodPost, path: "/__admin/clock", contentType: "text/plain", body: "advance 5m", wantStatus: 415, wantCode: admin.CodeInvalid, wantInMsg: "Content-Type"},
		{name: "bad limit", method: http.MethodGet, path: "/__admin/requests?limit=zero", wantStatus: 400, wantCode: admin.CodeInvalid, wantInMsg: "limit"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, sb.ts.URL+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			res, err := sb.client.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Body.Close()
			var e admin.ErrorEnvelope
			a := adminAnswer{status: res.StatusCode}
			a.body = readAll(t, res)
			a.decode(t, &e)
			if a.status != tt.wantStatus || e.Error.Code != tt.wantCode || !strings.Contains(e.Error.Message, tt.wantInMsg) {
				t.Fatalf("%d %s, want %d %s containing %q", a.status, a.body, tt.wantStatus, tt.wantCode, tt.wantInMsg)
			}
		})
	}
}

func TestAdminPathsKeepEscapedSlashes(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	put := sb.admin(http.MethodPut, "/__admin/transactions/AOP-554/a%2Fb", map[string]any{"state": "success"})
	if put.status != http.StatusCreated {
		t.Fatalf("PUT a/b: %d %s", put.status, put.body)
	}
	got := sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/a%2Fb", nil)
	if got.status != http.StatusOK || !strings.Contains(string(got.body), `"referenceId":"a/b"`) || !strings.Contains(string(got.body), `"scenario":"admin-success"`) {
		t.Fatalf("GET a/b: %d %s", got.status, got.body)
	}
}
