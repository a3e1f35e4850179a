package mocktest_test

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func TestNewClosesTheMockWhenTheTestEnds(t *testing.T) {
	var addr string
	t.Run("using the mock", func(t *testing.T) {
		mock := mocktest.New(t)
		addr = strings.TrimPrefix(mock.URL, "http://")
		if got := enquire(mock, "AOP-554", "12345678"); !strings.HasPrefix(got, "200 ") {
			t.Fatalf("enquiry answered %s", got)
		}
	})
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatalf("the mock at %s still accepts connections after its test ended", addr)
	}
}

func TestOptions(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	epoch := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	set := fixtures.Set{
		Registrations: []fixtures.Registration{{ID: "P-1"}},
		Transactions:  []fixtures.Transaction{{Key: transaction.Key{RegistrationID: "P-1", ReferenceID: "A"}, Description: transaction.Description{State: transaction.StateFailed}}},
	}
	mock := mocktest.New(t, mocktest.WithFixtures(set), mocktest.WithClock(epoch), mocktest.WithAdminToken("s3cret"), mocktest.WithSeed(7),
		mocktest.WithConfig(func(c *mockserver.Config) { c.Unknown = recharge.UnknownNotFound }))
	if got := enquire(mock, "P-1", "A"); !strings.Contains(got, `"status":"0"`) {
		t.Fatalf("the fixture of WithFixtures answered %s", got)
	}
	if got := enquire(mock, "P-1", "B"); !strings.Contains(got, `"response_code":2`) {
		t.Fatalf("an unknown referenceid under WithConfig's notfound answered %s", got)
	}
	clock, err := mock.Admin.Clock(ctx)
	if err != nil || !clock.Now.Equal(epoch) || !clock.Frozen {
		t.Fatalf("clock %+v, %v; want frozen at %s", clock, err, epoch)
	}
	if _, err := admin.NewClient(mock.URL).Health(ctx); admin.ErrorCode(err) != admin.CodeUnauthorized {
		t.Fatalf("a client without the token: %v, want unauthorized", err)
	}
	seven, err := mock.Admin.GetTransaction(ctx, transaction.Key{RegistrationID: "P-1", ReferenceID: "A"})
	if err != nil {
		t.Fatal(err)
	}
	other := mocktest.New(t, mocktest.WithFixtures(set), mocktest.WithClock(epoch), mocktest.WithSeed(8))
	eight, err := other.Admin.GetTransaction(ctx, transaction.Key{RegistrationID: "P-1", ReferenceID: "A"})
	if err != nil || eight.Data.TxnID == seven.Data.TxnID {
		t.Fatalf("seeds 7 and 8 generated txnid %s and %s, %v", seven.Data.TxnID, eight.Data.TxnID, err)
	}
}

func TestWithFixturesFileReloads(t *testing.T) {
	t.Parallel()
	path := filepath.Join(t.TempDir(), "fixtures.yaml")
	write := func(state string) {
		body := "registrations: [{id: P-1}]\ntransactions: [{registrationId: P-1, referenceId: A, state: " + state + "}, {registrationId: P-1, referenceId: " + state + ", state: success}]\n"
		if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("pending")
	mock := mocktest.New(t, mocktest.WithFixturesFile(path))
	write("failed")
	res, err := mock.Admin.ReloadFixtures(context.Background())
	if err != nil || res.Transactions != 2 {
		t.Fatalf("reload: %+v, %v", res, err)
	}
	if got := enquire(mock, "P-1", "failed"); !strings.HasPrefix(got, "200 ") || !strings.Contains(got, `"status":"1"`) {
		t.Fatalf("the reloaded file's new transaction answered %s", got)
	}
}

func TestStartRefusesABadConfiguration(t *testing.T) {
	t.Parallel()
	if _, err := mocktest.Start(mocktest.WithFixturesFile(filepath.Join(t.TempDir(), "missing.yaml"))); err == nil || !strings.Contains(err.Error(), "missing.yaml") {
		t.Fatalf("Start with a missing fixtures file: %v", err)
	}
}
