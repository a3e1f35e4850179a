package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/examples/client"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestPollerPassesTheAudit: the poller rides out a 429 with Retry-After,
// two 500s and a reset connection, polls a pending recharge at the notes'
// interval until it succeeds, stops at a refused credential, and the
// sandbox's audit finds nothing to say. It waits by advancing the
// sandbox's clock, as a test should.
func TestPollerPassesTheAudit(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	mock := mocktest.New(t, mocktest.WithClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)))
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-P"}
	if _, _, err := mock.Admin.PutTransaction(ctx, key, transaction.Description{
		State: transaction.StatePending, Resolve: &transaction.Rule{To: transaction.StateSuccess, After: transaction.Duration(time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	for _, f := range []admin.FaultRule{
		{Kind: admin.FaultStatus, Status: http.StatusTooManyRequests, RetryAfter: "5", ReferenceID: key.ReferenceID, Count: 1},
		{Kind: admin.FaultStatus, Status: http.StatusInternalServerError, ReferenceID: key.ReferenceID, Count: 2},
		{Kind: admin.FaultReset, ReferenceID: key.ReferenceID, Count: 1},
	} {
		if _, err := mock.Admin.AddFault(ctx, f); err != nil {
			t.Fatal(err)
		}
	}
	var waits []time.Duration
	poller := &client.Poller{
		Client: &client.Client{BaseURL: mock.URL, RegistrationID: "AOP-554", HTTP: &http.Client{Timeout: 10 * time.Second}},
		Wait: func(ctx context.Context, d time.Duration) error {
			waits = append(waits, d)
			_, err := mock.Admin.MoveClock(ctx, admin.Advance(d))
			return err
		},
	}
	got, err := poller.Poll(ctx, key.ReferenceID)
	if err != nil || got.State() != "success" {
		t.Fatalf("Poll = %+v, %v; want success", got, err)
	}
	want := []time.Duration{5 * time.Second, time.Second, 2 * time.Second, 4 * time.Second, 30 * time.Minute, 30 * time.Minute}
	if len(waits) != len(want) {
		t.Fatalf("waited %v, want %v", waits, want)
	}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waited %v, want %v", waits, want)
		}
	}
	for _, ref := range []string{"PENDFAIL-1", "12345678"} {
		if got, err := poller.Poll(ctx, ref); err != nil || got.State() == "pending" {
			t.Errorf("Poll(%s) = %+v, %v; want a final state", ref, got, err)
		}
	}
	var apiErr *client.APIError
	if _, err := poller.Poll(ctx, "AUTHFAIL-1"); !errors.As(err, &apiErr) || apiErr.HTTPStatus != http.StatusUnauthorized {
		t.Errorf("Poll(AUTHFAIL-1) error %v, want the 401 at once", err)
	}

	report := mock.Audit(t)
	if report.Exchanges < 12 || report.Transactions != 4 {
		t.Errorf("the audit read %d exchanges of %d transactions, want every enquiry of the four", report.Exchanges, report.Transactions)
	}
}
