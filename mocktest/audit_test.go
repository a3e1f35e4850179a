package mocktest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// naiveClient sends every enquiry at once, as told, on connections of its
// own.
type naiveClient struct {
	t    *testing.T
	url  string
	http *http.Client
}

func newNaiveClient(t *testing.T, mock *mocktest.Mock) *naiveClient {
	transport := &http.Transport{}
	t.Cleanup(transport.CloseIdleConnections)
	return &naiveClient{t: t, url: mock.EnquiryURL(), http: &http.Client{Transport: transport, Timeout: 10 * time.Second}}
}

// enquire sends an enquiry of referenceID of AOP-554 with headers given as
// name, value pairs, and returns the status answered.
func (c *naiveClient) enquire(referenceID string, headers ...string) int {
	body := fmt.Sprintf(`{"referenceid":%q,"RegistrationID":"AOP-554"}`, referenceID)
	req, err := http.NewRequest(http.MethodPost, c.url, strings.NewReader(body))
	if err != nil {
		c.t.Error(err)
		return 0
	}
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.t.Error(err)
		return 0
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode
}

// recorder is a testing.TB that keeps the errors reported to it.
type recorder struct {
	testing.TB
	errors []string
}

func (r *recorder) Helper() {}

func (r *recorder) Errorf(format string, args ...any) {
	r.errors = append(r.errors, fmt.Sprintf(format, args...))
}

// naiveMockClients each break one rule of the audit once against a mock;
// evidence are the positions in the journal of the entries the finding
// must show.
var naiveMockClients = []struct {
	rule     audit.RuleID
	drive    func(t *testing.T, mock *mocktest.Mock)
	evidence []int
}{
	{audit.PollTooFast, func(t *testing.T, mock *mocktest.Mock) {
		c := newNaiveClient(t, mock)
		c.enquire("STUCK-7")
		c.enquire("STUCK-7")
	}, []int{0, 1}},
	{audit.PollAfterFinal, func(t *testing.T, mock *mocktest.Mock) {
		c := newNaiveClient(t, mock)
		c.enquire("12345678")
		c.enquire("12345678")
	}, []int{0, 1}},
	{audit.IgnoresRetryAfter, func(t *testing.T, mock *mocktest.Mock) {
		c := newNaiveClient(t, mock)
		c.enquire("ORDER-9", admin.FaultHeader, "status=429;retryAfter=30")
		c.enquire("ORDER-9")
	}, []int{0, 1}},
	{audit.NoBackoff, func(t *testing.T, mock *mocktest.Mock) {
		addFault(t, mock, admin.FaultRule{Kind: admin.FaultStatus, Status: http.StatusInternalServerError, ReferenceID: "ORDER-5", Count: 3})
		c := newNaiveClient(t, mock)
		for c.enquire("ORDER-5") != http.StatusOK {
		}
	}, []int{0, 1, 2, 3}},
	{audit.RetriesAuthFailure, func(t *testing.T, mock *mocktest.Mock) {
		c := newNaiveClient(t, mock)
		for range 3 {
			c.enquire("AUTHFAIL-3")
		}
	}, []int{0, 2}},
	{audit.ConcurrentDuplicate, func(t *testing.T, mock *mocktest.Mock) {
		// The answers wait long enough for both requests to be in flight.
		addFault(t, mock, admin.FaultRule{Kind: admin.FaultLatency, LatencyMin: transaction.Duration(time.Second), LatencyMax: transaction.Duration(time.Second), ReferenceID: "ORDER-2"})
		var wg sync.WaitGroup
		for _, c := range []*naiveClient{newNaiveClient(t, mock), newNaiveClient(t, mock)} {
			wg.Go(func() { c.enquire("ORDER-2") })
		}
		wg.Wait()
	}, []int{0, 1}},
	{audit.GaveUpPending, func(t *testing.T, mock *mocktest.Mock) {
		newNaiveClient(t, mock).enquire("STUCK-8")
		if _, err := mock.Admin.MoveClock(context.Background(), admin.Advance(3*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}, []int{0}},
}

func addFault(t *testing.T, mock *mocktest.Mock, rule admin.FaultRule) {
	t.Helper()
	if _, err := mock.Admin.AddFault(context.Background(), rule); err != nil {
		t.Fatal(err)
	}
}

// TestAuditFindsEachNaiveClient: each naive client is found out by its
// rule alone, once, with the journal entries that show it; Mock.Audit
// fails the test with it unless waived or of info severity.
func TestAuditFindsEachNaiveClient(t *testing.T) {
	t.Parallel()
	epoch := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	for _, nc := range naiveMockClients {
		t.Run(string(nc.rule), func(t *testing.T) {
			t.Parallel()
			ctx := context.Background()
			mock := mocktest.New(t, mocktest.WithClock(epoch))
			nc.drive(t, mock)
			report, err := mock.Admin.Audit(ctx, audit.Query{})
			if err != nil {
				t.Fatal(err)
			}
			if len(report.Findings) != 1 || report.Findings[0].Rule != nc.rule {
				t.Fatalf("findings %v, want one of %s", report.Findings, nc.rule)
			}
			journal, err := mock.Admin.ListRequests(ctx, admin.JournalQuery{})
			if err != nil {
				t.Fatal(err)
			}
			var want, got []uint64
			for _, i := range nc.evidence {
				want = append(want, journal[i].ID)
			}
			for _, e := range report.Findings[0].Evidence {
				got = append(got, e.ID)
				if entry := journal[slices.IndexFunc(journal, func(j admin.JournalEntry) bool { return j.ID == e.ID })]; !e.Time.Equal(entry.Time) {
					t.Errorf("evidence #%d at %s, the journal's entry at %s", e.ID, e.Time, entry.Time)
				}
			}
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Errorf("evidence %v, want the journal's entries %v", got, want)
			}

			rec := &recorder{TB: t}
			mock.Audit(rec)
			if fails := report.Findings[0].Severity.AtLeast(audit.Warning); fails != (len(rec.errors) == 1) {
				t.Errorf("Mock.Audit reported %q for a finding of severity %s", rec.errors, report.Findings[0].Severity)
			}
			waived := &recorder{TB: t}
			mock.Audit(waived, audit.Waive(nc.rule))
			if len(waived.errors) != 0 {
				t.Errorf("Mock.Audit with %s waived reported %q", nc.rule, waived.errors)
			}
		})
	}
}

// TestAuditOverHTTPRefusesBadThresholds: a bad threshold is a 400 in the
// admin envelope, naming it.
func TestAuditOverHTTPRefusesBadThresholds(t *testing.T) {
	t.Parallel()
	mock := mocktest.New(t)
	for _, query := range []string{"minPollInterval=soon", "backoffRetries=0", "backoffGrowth=0.5", "since=yesterday"} {
		res, err := http.Get(mock.URL + admin.RouteOf(admin.OpAudit).Path() + "?" + query)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		name, _, _ := strings.Cut(query, "=")
		if res.StatusCode != http.StatusBadRequest || !strings.Contains(string(body), `"invalid"`) || !strings.Contains(string(body), name) {
			t.Errorf("%s answered %d %s, want 400 invalid naming %s", query, res.StatusCode, body, name)
		}
	}
}
