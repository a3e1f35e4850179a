package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// An enquiry that assumes the store's version has it checked by its own
// write: on another version, or a store that lost the sandbox, nothing is
// counted and the enquiry is told to come again.
func TestAnEnquiryOnAStaleVersionChangesNothing(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := open(t, srv.URL)
	ctx := context.Background()
	stored := tx("12345678", "6469")
	if err := s.Replace(ctx, recharge.Replacement{Add: []recharge.Transaction{stored}}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Version(ctx)
	if err != nil {
		t.Fatal(err)
	}
	unread := func(context.Context) (int64, error) {
		t.Error("the version was read apart from the enquiry's write")
		return 0, nil
	}
	enquire := func(assumed int64) (recharge.Transaction, *recharge.AssumedVersion, error) {
		ctx := recharge.Assume(ctx, assumed, unread, nil)
		got, err := s.UpdateEnquiry(ctx, stored.Key, func(recharge.Transaction, bool) (recharge.Transaction, error) {
			t.Error("a count-only transaction was updated through the enquiry function")
			return recharge.Transaction{}, nil
		})
		return got, recharge.AssumedFrom(ctx), err
	}

	if _, _, err := enquire(v - 1); !errors.Is(err, recharge.ErrStale) {
		t.Fatalf("an enquiry on version %d of %d: %v, want ErrStale", v-1, v, err)
	}
	got, assumed, err := enquire(v)
	if err != nil || got.Enquiries != 1 {
		t.Fatalf("an enquiry on the store's version: %+v, %v; want it counted once, the stale one not at all", got, err)
	}
	if _, ok := assumed.Expected(); ok {
		t.Fatal("a write that found the version did not confirm it")
	}

	if err := s.Client().FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, _, err := enquire(v); !errors.Is(err, recharge.ErrStale) {
		t.Fatalf("an enquiry of a store that lost the sandbox: %v, want ErrStale", err)
	}
}

// Two mocks on one Redis: what one changes, the other's next enquiry
// answers on, although it reads no version before its write; an enquiry
// answered again for it is counted once.
func TestAReplicasNextEnquiryAnswersOnAnotherReplicasChange(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	a, b := mockOn(t, srv.URL), mockOn(t, srv.URL)
	ctx := context.Background()
	page := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "12345678"}
	enquire := func(m *mocktest.Mock, ref string) (int, string) {
		t.Helper()
		status, body, err := postEnquiry(m, ref)
		if err != nil {
			t.Fatal(err)
		}
		return status, string(body)
	}
	enquiries := func() int {
		t.Helper()
		view, err := a.Admin.GetTransaction(ctx, page)
		if err != nil {
			t.Fatal(err)
		}
		return view.Enquiries
	}

	// b learns the version it then assumes.
	if status, body := enquire(b, page.ReferenceID); status != http.StatusOK || !strings.Contains(body, `"txnid":"6469"`) {
		t.Fatalf("the page's example through b: %d %s", status, body)
	}
	before := enquiries()
	if _, err := a.Admin.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: http.StatusBadGateway, Count: 1, ReferenceID: page.ReferenceID}); err != nil {
		t.Fatal(err)
	}
	if status, body := enquire(b, page.ReferenceID); status != http.StatusBadGateway {
		t.Fatalf("b's first enquiry after a fault rule was added through a: %d %s, want the fault's 502", status, body)
	}
	if status, _ := enquire(b, page.ReferenceID); status != http.StatusOK {
		t.Fatalf("b's enquiry after the rule's one fault: %d, want 200", status)
	}
	if after := enquiries(); after != before+1 {
		t.Fatalf("enquiries counted %d, then %d; want the one answered, not the faulted one", before, after)
	}

	// A Token's reqid is spent once: a signed enquiry whose shared state
	// moved is not answered twice, its second time refused as a replay.
	if _, err := a.Admin.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: http.StatusBadGateway, ReferenceID: "ELSEWHERE-1"}); err != nil {
		t.Fatal(err)
	}
	token, err := partnertoken.Sign("aopay-sandbox-secret", "AOP-SECURE", "assumed-1", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(http.MethodPost, b.EnquiryURL(), strings.NewReader(`{"referenceid":"SECURE-1001","RegistrationID":"AOP-SECURE"}`))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(rechargestatus.TokenHeader, token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	signed, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		t.Fatalf("b's signed enquiry after a rule was added through a: %d %s, want 200", res.StatusCode, signed)
	}

	// A pending transaction that resolves after an hour, enquired through
	// b before and after the clock moves through a.
	pending := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "CLOCK-1"}
	if _, _, err := a.Admin.PutTransaction(ctx, pending, transaction.Description{State: transaction.StatePending, TxnID: "7001", Amount: "1",
		Resolve: &transaction.Rule{To: transaction.StateSuccess, After: transaction.Duration(time.Hour)}}); err != nil {
		t.Fatal(err)
	}
	if status, body := enquire(b, pending.ReferenceID); status != http.StatusOK || dataStatus(t, body) != "2" {
		t.Fatalf("the pending transaction through b: %d %s, want pending (2)", status, body)
	}
	if _, err := a.Admin.MoveClock(ctx, admin.ClockMove{Advance: new(transaction.Duration(2 * time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if status, body := enquire(b, pending.ReferenceID); status != http.StatusOK || dataStatus(t, body) != "1" {
		t.Fatalf("through b after a moved the clock two hours: %d %s, want success (1)", status, body)
	}
}

func dataStatus(t *testing.T, body string) string {
	t.Helper()
	var answer struct {
		Data struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(body), &answer); err != nil {
		t.Fatalf("%v: %s", err, body)
	}
	return answer.Data.Status
}

// A recording's enquiry is answered by its upstream, without a write that
// could check the shared state: it reads the version before, so a fault
// rule added through another mock answers it instead of the upstream.
func TestARecordingReplicaAnswersOnAnotherReplicasFaultRule(t *testing.T) {
	t.Parallel()
	var relayed atomic.Int64
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		relayed.Add(1)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"response_code":2,"status":false,"message":"No Transaction found"}`)
	}))
	t.Cleanup(upstream.Close)
	srv := redistest.Start(t)
	a, b := mockOn(t, srv.URL), mockOn(t, srv.URL)
	ctx := context.Background()
	if _, err := b.Admin.StartRecording(ctx, admin.RecordingStart{Upstream: upstream.URL, Registrations: []string{"AOP-554"}}); err != nil {
		t.Fatal(err)
	}
	enquire := func() int {
		t.Helper()
		status, _, err := postEnquiry(b, "REC-1")
		if err != nil {
			t.Fatal(err)
		}
		return status
	}
	if status := enquire(); status != http.StatusOK || relayed.Load() != 1 {
		t.Fatalf("the recorded enquiry through b: %d, %d relayed; want 200 from the upstream", status, relayed.Load())
	}
	if _, err := a.Admin.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: http.StatusBadGateway, ReferenceID: "REC-1", Count: 1}); err != nil {
		t.Fatal(err)
	}
	if status := enquire(); status != http.StatusBadGateway || relayed.Load() != 1 {
		t.Fatalf("b's recorded enquiry after a fault rule was added through a: %d, %d relayed; want the fault's 502 and no relay", status, relayed.Load())
	}
}

// mockOn is a mock keeping its state in the Redis at url, through a store
// of its own, as one replica of several.
func mockOn(t *testing.T, url string) *mocktest.Mock {
	store := open(t, url)
	return mocktest.New(t, mocktest.WithConfig(func(c *mockserver.Config) { c.Store = store }))
}

// postEnquiry sends the enquiry of AOP-554's referenceid ref to m and
// answers its status and body.
func postEnquiry(m *mocktest.Mock, ref string) (int, []byte, error) {
	res, err := http.Post(m.EnquiryURL(), "application/json",
		strings.NewReader(`{"referenceid":"`+ref+`","RegistrationID":"AOP-554"}`))
	if err != nil {
		return 0, nil, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	return res.StatusCode, body, err
}
