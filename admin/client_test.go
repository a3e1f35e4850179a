package admin_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var epoch = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

// sandbox serves a mock with the built-in fixtures on loopback, on a frozen
// clock, and returns its URL.
func sandbox(t *testing.T, cfg mockserver.Config) string {
	t.Helper()
	cfg.Clock = recharge.NewFrozenClock(epoch)
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	t.Cleanup(func() {
		srv.Stop()
		ts.Close()
	})
	return ts.URL
}

// enquire posts an enquiry and returns the answer's status.
func enquire(t *testing.T, baseURL, registrationID, referenceID string) int {
	t.Helper()
	body := `{"referenceid":"` + referenceID + `","RegistrationID":"` + registrationID + `"}`
	res, err := http.Post(baseURL+rechargestatus.EnquiryPath, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	return res.StatusCode
}

// wantError fails unless err is an *admin.Error of status and code.
func wantError(t *testing.T, what string, err error, status int, code string) *admin.Error {
	t.Helper()
	var e *admin.Error
	if !errors.As(err, &e) || e.Status != status || e.Code != code || e.Message == "" {
		t.Fatalf("%s: error %#v, want an *admin.Error %d %s with a message", what, err, status, code)
	}
	return e
}

func TestClientTransactions(t *testing.T) {
	c := admin.NewClient(sandbox(t, mockserver.Config{}))
	ctx := context.Background()
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER/1"}
	in := transaction.Description{
		State: transaction.StatePending, TxnID: "900", Amount: "499.00",
		Resolve: &transaction.Rule{To: transaction.StateFailed, AfterEnquiries: 2},
		Refund:  &transaction.Rule{After: transaction.Duration(10 * time.Minute)},
	}
	v, created, err := c.PutTransaction(ctx, key, in)
	if err != nil || !created {
		t.Fatalf("PutTransaction: created %v, %v", created, err)
	}
	if v.Key != key || v.State != transaction.StatePending || v.Origin != transaction.OriginAdmin || v.Data.TxnID != "900" || v.Data.Amount != "499.00" ||
		v.Data.RefID != key.ReferenceID || v.Resolve == nil || *v.Resolve != *in.Resolve || v.Refund == nil || *v.Refund != *in.Refund || !v.StateSince.Equal(epoch) {
		t.Fatalf("PutTransaction answered %+v", v)
	}
	if _, created, err := c.PutTransaction(ctx, key, in); err != nil || created {
		t.Fatalf("second PutTransaction: created %v, %v", created, err)
	}
	got, err := c.GetTransaction(ctx, key)
	if err != nil || got.Key != key || got.Data != v.Data {
		t.Fatalf("GetTransaction: %+v, %v", got, err)
	}
	pending, err := c.ListTransactions(ctx, admin.TransactionFilter{RegistrationID: "AOP-554", State: transaction.StatePending})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, p := range pending {
		found = found || p.Key == key
		if p.State != transaction.StatePending || p.RegistrationID != "AOP-554" {
			t.Fatalf("ListTransactions(pending, AOP-554) listed %+v", p)
		}
	}
	if !found {
		t.Fatalf("ListTransactions did not list %s", key)
	}
	moved, err := c.Transition(ctx, key, transaction.StateFailed)
	if err != nil || moved.State != transaction.StateFailed {
		t.Fatalf("Transition: %+v, %v", moved, err)
	}
	_, err = c.Transition(ctx, key, transaction.StateSuccess)
	wantError(t, "Transition failed→success", err, http.StatusConflict, admin.CodeConflict)

	if err := c.DeleteTransaction(ctx, key); err != nil {
		t.Fatal(err)
	}
	_, err = c.GetTransaction(ctx, key)
	wantError(t, "GetTransaction after delete", err, http.StatusNotFound, admin.CodeNotFound)
	_, _, err = c.PutTransaction(ctx, transaction.Key{RegistrationID: "NOPE", ReferenceID: "1"}, transaction.Description{State: transaction.StateSuccess})
	wantError(t, "PutTransaction of an unknown registration", err, http.StatusNotFound, admin.CodeNotFound)
	_, _, err = c.PutTransaction(ctx, key, transaction.Description{State: "done"})
	wantError(t, "PutTransaction of state done", err, http.StatusBadRequest, admin.CodeInvalid)
}

func TestClientJournalResetAndReload(t *testing.T) {
	base := sandbox(t, mockserver.Config{})
	c := admin.NewClient(base)
	ctx := context.Background()
	for range 3 {
		enquire(t, base, "AOP-554", "PENDING-1001")
	}
	if _, err := c.MoveClock(ctx, admin.Advance(time.Hour)); err != nil {
		t.Fatal(err)
	}
	enquire(t, base, "AOP-554", "12345678")
	enquire(t, base, "AOP-SECURE", "SECURE-1001")

	tests := []struct {
		name string
		q    admin.JournalQuery
		want int
	}{
		{"all", admin.JournalQuery{}, 5},
		{"by reference", admin.JournalQuery{ReferenceID: "PENDING-1001"}, 3},
		{"by registration", admin.JournalQuery{RegistrationID: "AOP-SECURE"}, 1},
		{"since", admin.JournalQuery{Since: epoch.Add(30 * time.Minute)}, 2},
		{"until", admin.JournalQuery{Until: epoch.Add(30 * time.Minute)}, 3},
	}
	for _, tt := range tests {
		n, err := c.CountRequests(ctx, tt.q)
		list, listErr := c.ListRequests(ctx, tt.q)
		if err != nil || listErr != nil || n != tt.want || len(list) != tt.want {
			t.Errorf("%s: count %d (%v), list %d (%v), want %d", tt.name, n, err, len(list), listErr, tt.want)
		}
	}
	last, err := c.ListRequests(ctx, admin.JournalQuery{Limit: 2})
	if err != nil || len(last) != 2 || last[0].ReferenceID != "12345678" || last[1].Status != http.StatusUnauthorized || last[1].Scenario != "error:unauthorized" {
		t.Fatalf("ListRequests(limit 2): %+v, %v", last, err)
	}
	_, err = c.ListRequests(ctx, admin.JournalQuery{Limit: -1})
	wantError(t, "ListRequests(limit -1)", err, http.StatusBadRequest, admin.CodeInvalid)
	if err := c.ClearRequests(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := c.CountRequests(ctx, admin.JournalQuery{}); err != nil || n != 0 {
		t.Fatalf("CountRequests after ClearRequests: %d, %v", n, err)
	}

	before, err := c.ListTransactions(ctx, admin.TransactionFilter{})
	if err != nil {
		t.Fatal(err)
	}
	enquire(t, base, "AOP-554", "AUTO-1")
	res, err := c.Reset(ctx)
	if err != nil || res.Transactions != len(before) {
		t.Fatalf("Reset: %+v, %v, want the %d fixtures alone", res, err, len(before))
	}
	if _, err := c.GetTransaction(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "AUTO-1"}); admin.ErrorCode(err) != admin.CodeNotFound {
		t.Fatalf("AUTO-1 after Reset: %v, want it gone", err)
	}
	reloaded, err := c.ReloadFixtures(ctx)
	if err != nil || reloaded.Registrations != 3 || reloaded.Transactions != res.Transactions {
		t.Fatalf("ReloadFixtures: %+v, %v", reloaded, err)
	}
	h, err := c.Health(ctx)
	if err != nil || h.Status != admin.HealthOK || h.Transactions != res.Transactions || h.Uptime == "" || h.Clock.IsZero() {
		t.Fatalf("Health: %+v, %v", h, err)
	}
}

func TestClientClock(t *testing.T) {
	c := admin.NewClient(sandbox(t, mockserver.Config{}))
	ctx := context.Background()
	clock, err := c.Clock(ctx)
	if err != nil || !clock.Now.Equal(epoch) || !clock.Frozen {
		t.Fatalf("Clock: %+v, %v", clock, err)
	}
	at := time.Date(2026, 4, 1, 4, 30, 0, 0, time.UTC)
	steps := []struct {
		name       string
		move       admin.ClockMove
		want       time.Time
		wantFrozen bool
	}{
		{"advance", admin.Advance(90 * time.Minute), epoch.Add(90 * time.Minute), true},
		{"freeze at", admin.FreezeClock(at), at, true},
		{"freeze where it stands", admin.FreezeClockNow(), at, true},
		{"resume", admin.ResumeClock(), at, false},
		{"set", admin.SetClock(at.AddDate(1, 0, 0)), at.AddDate(1, 0, 0), false},
	}
	for _, s := range steps {
		clock, err := c.MoveClock(ctx, s.move)
		if d := clock.Now.Sub(s.want); err != nil || d < 0 || d > time.Second || clock.Frozen != s.wantFrozen {
			t.Fatalf("%s: %+v, %v; want now %s frozen %v", s.name, clock, err, s.want, s.wantFrozen)
		}
	}
	_, err = c.MoveClock(ctx, admin.ClockMove{})
	wantError(t, "MoveClock with no move", err, http.StatusBadRequest, admin.CodeInvalid)
	_, err = c.MoveClock(ctx, admin.SetClock(time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)))
	wantError(t, "MoveClock past 2200", err, http.StatusBadRequest, admin.CodeInvalid)
}

func TestClientFaults(t *testing.T) {
	base := sandbox(t, mockserver.Config{})
	c := admin.NewClient(base)
	ctx := context.Background()
	p := 1.0
	added, err := c.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: 503, ReferenceID: "ORDER-1", Count: 2, Probability: &p})
	if err != nil || added.ID == "" || added.Remaining == nil || *added.Remaining != 2 {
		t.Fatalf("AddFault: %+v, %v", added, err)
	}
	if status := enquire(t, base, "AOP-554", "ORDER-1"); status != http.StatusServiceUnavailable {
		t.Fatalf("enquiry under the rule answered %d, want 503", status)
	}
	rules, err := c.ListFaults(ctx)
	if err != nil || len(rules) != 1 || rules[0].Injected != 1 || *rules[0].Remaining != 1 {
		t.Fatalf("ListFaults: %+v, %v", rules, err)
	}
	_, err = c.AddFault(ctx, admin.FaultRule{ID: added.ID, Kind: admin.FaultReset})
	wantError(t, "AddFault of a taken id", err, http.StatusConflict, admin.CodeConflict)
	_, err = c.AddFault(ctx, admin.FaultRule{Kind: admin.FaultLatency, LatencyMin: transaction.Duration(time.Second), LatencyMax: transaction.Duration(time.Millisecond)})
	wantError(t, "AddFault of latencyMin past latencyMax", err, http.StatusBadRequest, admin.CodeInvalid)

	replaced, err := c.ReplaceFaults(ctx, []admin.FaultRule{
		{ID: "slow", Kind: admin.FaultLatency, LatencyMin: transaction.Duration(time.Millisecond), LatencyMax: transaction.Duration(2 * time.Millisecond)},
		{Kind: admin.FaultEmpty, RegistrationID: "AOP-SECURE"},
	})
	if err != nil || len(replaced) != 2 || replaced[0].ID != "slow" || replaced[0].LatencyMax != transaction.Duration(2*time.Millisecond) || replaced[1].ID == "" {
		t.Fatalf("ReplaceFaults: %+v, %v", replaced, err)
	}
	if err := c.DeleteFault(ctx, "slow"); err != nil {
		t.Fatal(err)
	}
	wantError(t, "DeleteFault of a missing id", c.DeleteFault(ctx, "slow"), http.StatusNotFound, admin.CodeNotFound)
	if err := c.ClearFaults(ctx); err != nil {
		t.Fatal(err)
	}
	if rules, err := c.ListFaults(ctx); err != nil || len(rules) != 0 {
		t.Fatalf("ListFaults after ClearFaults: %+v, %v", rules, err)
	}

	// Outside proxy mode there is nothing to violate.
	list, err := c.Violations(ctx, admin.ViolationQuery{Rule: "type"})
	if err != nil || len(list.Violations) != 0 || list.Total != 0 {
		t.Fatalf("Violations: %+v, %v", list, err)
	}
	if err := c.ClearViolations(ctx); err != nil {
		t.Fatal(err)
	}
	metrics, err := c.Metrics(ctx)
	if err != nil || !bytes.Contains(metrics, []byte(`aopay_mock_faults_injected_total{kind="status",source="rule"} 1`)) {
		t.Fatalf("Metrics: %v\n%s", err, metrics)
	}
}

func TestClientToken(t *testing.T) {
	base := sandbox(t, mockserver.Config{AdminToken: "s3cret"})
	ctx := context.Background()
	_, err := admin.NewClient(base).Health(ctx)
	wantError(t, "Health without the token", err, http.StatusUnauthorized, admin.CodeUnauthorized)
	_, err = admin.NewClient(base, admin.WithToken("wrong")).Metrics(ctx)
	wantError(t, "Metrics with a wrong token", err, http.StatusUnauthorized, admin.CodeUnauthorized)
	if h, err := admin.NewClient(base, admin.WithToken("s3cret"), admin.WithHTTPClient(&http.Client{Timeout: 5 * time.Second})).Health(ctx); err != nil || h.Status != admin.HealthOK {
		t.Fatalf("Health with the token: %+v, %v", h, err)
	}
}

// TestClientErrorsOfAnotherServer holds answers that are not the admin API's
// to an *admin.Error all the same: a gateway's page, a health answer saying
// the store is down.
func TestClientErrorsOfAnotherServer(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == admin.RouteOf(admin.OpHealth).Pattern {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusServiceUnavailable)
			_, _ = w.Write([]byte(`{"status":"unavailable","error":"disk gone"}`))
			return
		}
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(http.StatusBadGateway)
		_, _ = w.Write([]byte("<h1>Bad Gateway</h1>\n"))
	}))
	t.Cleanup(ts.Close)
	c := admin.NewClient(ts.URL + "/")
	_, err := c.Clock(context.Background())
	if e := wantError(t, "Clock behind a gateway", err, http.StatusBadGateway, ""); e.Message != "<h1>Bad Gateway</h1>" {
		t.Fatalf("message %q, want the gateway's page", e.Message)
	}
	h, err := c.Health(context.Background())
	if e := wantError(t, "Health of a broken store", err, http.StatusServiceUnavailable, admin.CodeUnavailable); e.Message != "disk gone" || h.Status != admin.HealthUnavailable {
		t.Fatalf("Health: %+v, %v", h, e)
	}
}

// TestTypesHoldEverythingTheServerSends decodes the sandbox's answers with
// unknown fields refused, so a field the server adds and the types lack
// fails here rather than vanishing in a client.
func TestTypesHoldEverythingTheServerSends(t *testing.T) {
	base := sandbox(t, mockserver.Config{})
	c := admin.NewClient(base)
	ctx := context.Background()
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-1"}
	if _, _, err := c.PutTransaction(ctx, key, transaction.Description{State: transaction.StatePending,
		Resolve: &transaction.Rule{To: transaction.StateFailed, After: transaction.Duration(time.Minute)}, Refund: &transaction.Rule{AfterEnquiries: 1}}); err != nil {
		t.Fatal(err)
	}
	p := 0.5
	if _, err := c.AddFault(ctx, admin.FaultRule{Kind: admin.FaultLatency, LatencyMin: 1, LatencyMax: 2, Count: 3, Probability: &p, RegistrationID: "AOP-554", ReferenceID: "X"}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: 429, RetryAfter: "2", Latency: 1, ReferenceID: "ORDER-1"}); err != nil {
		t.Fatal(err)
	}
	enquire(t, base, key.RegistrationID, key.ReferenceID)
	answers := []struct {
		path string
		into any
	}{
		{admin.RouteOf(admin.OpGetTransaction).Path(key.RegistrationID, key.ReferenceID), &admin.TransactionView{}},
		{admin.RouteOf(admin.OpListTransactions).Path(), &admin.TransactionList{}},
		{admin.RouteOf(admin.OpListRequests).Path(), &admin.JournalList{}},
		{admin.RouteOf(admin.OpCountRequests).Path(), &admin.Count{}},
		{admin.RouteOf(admin.OpGetClock).Path(), &admin.Clock{}},
		{admin.RouteOf(admin.OpHealth).Path(), &admin.Health{}},
		{admin.RouteOf(admin.OpListFaults).Path(), &admin.FaultList{}},
		{admin.RouteOf(admin.OpListViolations).Path(), &admin.ViolationList{}},
		{admin.RouteOf(admin.OpListTransactions).Path() + "/NOPE/1", &admin.ErrorEnvelope{}},
	}
	for _, a := range answers {
		res, err := http.Get(base + a.path)
		if err != nil {
			t.Fatal(err)
		}
		dec := json.NewDecoder(res.Body)
		dec.DisallowUnknownFields()
		err = dec.Decode(a.into)
		res.Body.Close()
		if err != nil {
			t.Errorf("GET %s: %v", a.path, err)
		}
	}
}

// TestClientReadsTheJournalPageByPage journals more requests than a page
// holds: a page is the latest ones, pages from a cursor read them all, and
// ListRequests gathers every page.
func TestClientReadsTheJournalPageByPage(t *testing.T) {
	t.Parallel()
	base := sandbox(t, mockserver.Config{})
	c := admin.NewClient(base)
	ctx := context.Background()
	const n = admin.DefaultJournalPage*2 + 10
	for range n {
		enquire(t, base, "AOP-554", "12345678")
	}
	latest, err := c.ListRequestPage(ctx, admin.JournalQuery{})
	if err != nil || len(latest.Requests) != admin.DefaultJournalPage || latest.Requests[0].ID != n-admin.DefaultJournalPage+1 || latest.NextAfter != n || latest.HasMore {
		t.Fatalf("the latest page: %d requests from id %d, nextAfter %d, hasMore %v, %v", len(latest.Requests), latest.Requests[0].ID, latest.NextAfter, latest.HasMore, err)
	}
	var pages, read int
	for q := (admin.JournalQuery{After: admin.AfterID(0)}); ; pages++ {
		page, err := c.ListRequestPage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		read += len(page.Requests)
		if !page.HasMore {
			break
		}
		q.After = admin.AfterID(page.NextAfter)
	}
	if read != n || pages != 2 {
		t.Fatalf("paging from the start read %d requests in %d pages after the first, want %d in 2", read, pages, n)
	}
	for _, limit := range []int{0, admin.MaxJournalPage + 1} {
		all, err := c.ListRequests(ctx, admin.JournalQuery{Limit: limit})
		if err != nil || len(all) != n || all[0].ID != 1 || all[n-1].ID != n {
			t.Fatalf("ListRequests(limit %d): %d requests, %v; want all %d", limit, len(all), err, n)
		}
	}
	_, err = c.ListRequestPage(ctx, admin.JournalQuery{Limit: admin.MaxJournalPage + 1})
	wantError(t, "a page past the largest", err, http.StatusBadRequest, admin.CodeInvalid)
}
