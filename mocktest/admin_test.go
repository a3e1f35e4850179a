package mocktest_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// adminScript calls every operation of a, on a sandbox that enquire reaches
// over HTTP, and writes down what each answered: values, or the status and
// code of an *admin.Error. Over HTTP, the admin API's document may word a
// refusal before the sandbox does, so the message is not compared.
func adminScript(t *testing.T, a admin.Admin, enquire func(registrationID, referenceID string)) []string {
	t.Helper()
	ctx := context.Background()
	var out []string
	note := func(op string, v any, err error) {
		var e *admin.Error
		switch {
		case errors.As(err, &e):
			if e.Message == "" {
				t.Fatalf("%s: refused without a message", op)
			}
			out = append(out, fmt.Sprintf("%s: error %d %s", op, e.Status, e.Code))
		case err != nil:
			t.Fatalf("%s: %v is not an *admin.Error", op, err)
		default:
			b, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, fmt.Sprintf("%s: %s", op, b))
		}
	}
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER/1"}
	pending := transaction.Description{State: transaction.StatePending, Amount: "10.00", Resolve: &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 2}}
	v, created, err := a.PutTransaction(ctx, key, pending)
	note("put", []any{v, created}, err)
	v, created, err = a.PutTransaction(ctx, key, pending)
	note("put again", []any{v, created}, err)
	_, _, err = a.PutTransaction(ctx, transaction.Key{RegistrationID: "NOPE", ReferenceID: "1"}, pending)
	note("put of an unknown registration", nil, err)
	_, _, err = a.PutTransaction(ctx, key, transaction.Description{State: transaction.StateSuccess, Refund: &transaction.Rule{AfterEnquiries: 1}})
	note("put of a refund on success", nil, err)
	enquire(key.RegistrationID, key.ReferenceID)
	enquire("AOP-554", "PENDING-77")
	v, err = a.GetTransaction(ctx, key)
	note("get", v, err)
	list, err := a.ListTransactions(ctx, admin.TransactionFilter{State: transaction.StatePending})
	note("list pending", list, err)
	_, err = a.ListTransactions(ctx, admin.TransactionFilter{State: "done"})
	note("list done", nil, err)
	v, err = a.Transition(ctx, key, transaction.StateFailed)
	note("transition", v, err)
	_, err = a.Transition(ctx, key, transaction.StateSuccess)
	note("transition of a final one", nil, err)
	n, err := a.CountRequests(ctx, admin.JournalQuery{ReferenceID: "PENDING-77"})
	note("count", n, err)
	// Where a request came from, when on the system clock and how long it
	// took differ by run.
	scrub := func(entries []admin.JournalEntry) []admin.JournalEntry {
		for i := range entries {
			entries[i].RemoteAddr, entries[i].DurationMillis, entries[i].RequestHeaders = "", 0, nil
			entries[i].SystemStarted = time.Time{}
		}
		return entries
	}
	pendingOf77 := admin.RequestMatcher{Method: "post", ReferenceID: "PENDING-77", BodyFields: map[string]any{"/RegistrationID": "AOP-554"}}
	found, err := a.FindRequests(ctx, pendingOf77)
	if found.Count != 1 || len(found.Requests) != 1 {
		t.Fatalf("find of PENDING-77: %+v, %v; want its one enquiry", found, err)
	}
	found.Requests = scrub(found.Requests)
	note("find", found, err)
	n, err = a.CountMatching(ctx, pendingOf77)
	note("count matching", n, err)
	pendingOf77.Status = 503
	found, err = a.FindRequests(ctx, pendingOf77)
	if found.Count != 0 || len(found.NearMisses) == 0 || found.NearMisses[0].Differences[0].Field != "status" {
		t.Fatalf("find of a 503 of PENDING-77: %+v, %v; want near misses naming status", found, err)
	}
	for i := range found.NearMisses {
		found.NearMisses[i].Request = scrub([]admin.JournalEntry{found.NearMisses[i].Request})[0]
	}
	note("find with near misses", found, err)
	misses, err := a.NearMisses(ctx, pendingOf77)
	for i := range misses {
		misses[i].Request = scrub([]admin.JournalEntry{misses[i].Request})[0]
	}
	note("near misses", misses, err)
	_, err = a.FindRequests(ctx, admin.RequestMatcher{Headers: map[string]admin.HeaderMatch{"X-A": admin.HeaderMatches("(")}})
	note("find with a bad expression", nil, err)
	_, err = a.CountMatching(ctx, admin.RequestMatcher{Status: 42})
	note("count with a bad status", nil, err)
	_, err = a.NearMisses(ctx, admin.RequestMatcher{Dialect: "nope"})
	note("near misses of an unknown dialect", nil, err)
	note("verify exactly 1", nil, admin.Verify(ctx, a, admin.Exactly(1), admin.RequestMatcher{ReferenceID: "PENDING-77"}))
	err = admin.Verify(ctx, a, admin.Exactly(2), admin.RequestMatcher{ReferenceID: "PENDING-77"})
	var verr *admin.VerificationError
	if !errors.As(err, &verr) || verr.Count != 1 {
		t.Fatalf("verify exactly 2 of one: %v", err)
	}
	out = append(out, "verify exactly 2: "+err.Error())
	report, err := a.Audit(ctx, audit.Query{ReferenceID: "PENDING-77"})
	note("audit", report, err)
	entries, err := a.ListRequests(ctx, admin.JournalQuery{Limit: 1})
	note("list requests", scrub(entries), err)
	page, err := a.ListRequestPage(ctx, admin.JournalQuery{After: admin.AfterID(0), Limit: 1})
	page.Requests = scrub(page.Requests)
	note("first page of requests", page, err)
	entries, err = a.ListRequests(ctx, admin.JournalQuery{After: admin.AfterID(page.NextAfter)})
	note("requests after the first page", scrub(entries), err)
	n, err = a.CountRequests(ctx, admin.JournalQuery{After: admin.AfterID(page.NextAfter)})
	note("count after the first page", n, err)
	_, err = a.ListRequestPage(ctx, admin.JournalQuery{Limit: admin.MaxJournalPage + 1})
	note("a page past the largest", nil, err)
	note("clear requests", nil, a.ClearRequests(ctx))
	note("delete", nil, a.DeleteTransaction(ctx, key))
	_, err = a.GetTransaction(ctx, key)
	note("get after delete", nil, err)

	c, err := a.MoveClock(ctx, admin.Advance(time.Hour))
	c.Offset = "" // from the system clock, which moves on between the runs
	note("advance", c, err)
	_, err = a.MoveClock(ctx, admin.ClockMove{})
	note("no move", nil, err)
	_, err = a.MoveClock(ctx, admin.SetClock(time.Date(1960, 1, 1, 0, 0, 0, 0, time.UTC)))
	note("set before 1970", nil, err)

	rule, err := a.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: 503, Count: 2, ReferenceID: "X"})
	note("add fault", rule, err)
	_, err = a.AddFault(ctx, admin.FaultRule{ID: rule.ID, Kind: admin.FaultReset})
	note("add a taken id", nil, err)
	rules, err := a.ReplaceFaults(ctx, []admin.FaultRule{{ID: "slow", Kind: admin.FaultLatency, Latency: transaction.Duration(time.Millisecond)}})
	note("replace faults", rules, err)
	rules, err = a.ListFaults(ctx)
	note("list faults", rules, err)
	note("delete a missing fault", nil, a.DeleteFault(ctx, "f9"))
	note("clear faults", nil, a.ClearFaults(ctx))
	violations, err := a.Violations(ctx, admin.ViolationQuery{})
	note("violations", violations, err)
	note("clear violations", nil, a.ClearViolations(ctx))

	res, err := a.Reset(ctx)
	note("reset", res, err)
	clk, err := a.Clock(ctx)
	note("clock after reset", admin.Clock{Offset: clk.Offset, Frozen: clk.Frozen}, err)
	reloaded, err := a.ReloadFixtures(ctx)
	note("reload", reloaded, err)
	h, err := a.Health(ctx)
	h.Uptime = ""         // differs by run
	h.Clock = time.Time{} // the system clock's since the reset
	note("health", h, err)
	return out
}

// TestInProcessAdminAnswersAsTheClient runs the same calls on the server's
// in-process admin.Admin and on a Client of another mock alike: every
// answer and every refusal is the same.
func TestInProcessAdminAnswersAsTheClient(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	run := func(inProcess bool) []string {
		mock := mocktest.New(t, mocktest.WithClock(epoch))
		var a admin.Admin = mock.Admin
		if inProcess {
			a = mock.Server.Admin()
		}
		return adminScript(t, a, func(registrationID, referenceID string) { enquire(mock, registrationID, referenceID) })
	}
	client, inProcess := run(false), run(true)
	if len(client) != len(inProcess) {
		t.Fatalf("%d answers over HTTP, %d in process", len(client), len(inProcess))
	}
	for i := range client {
		if client[i] != inProcess[i] {
			t.Errorf("over HTTP:  %s\nin process: %s", client[i], inProcess[i])
		}
	}
}
