package proxy_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
)

// sharedProxyRigs are replicas in proxy mode to upstream sharing one Redis
// server, each keeping as many violations as journalSize.
func sharedProxyRigs(t *testing.T, redisURL, upstream string, journalSize, n int) []*proxyRig {
	t.Helper()
	rigs := make([]*proxyRig, n)
	for i := range rigs {
		store, err := redisstore.Open(context.Background(), redisURL, redisstore.Options{ConnectTimeout: 5 * time.Second, JournalEntries: int64(journalSize)})
		if err != nil {
			t.Fatal(err)
		}
		// Registered before the rig's, so the store closes after the server.
		t.Cleanup(func() { store.Close() })
		rigs[i] = newProxyRig(t, upstream, mockserver.Config{Store: store, JournalSize: journalSize})
	}
	return rigs
}

func referencesOf(list admin.ViolationList) []string {
	out := make([]string, len(list.Violations))
	for i, v := range list.Violations {
		out[i] = v.ReferenceID
	}
	return out
}

// TestReplicasShareViolations holds replicas in proxy mode on one Redis to
// one violation log: found through either, listed and paged alike through
// both, cleared through one for both, kept over a reset as in one process.
func TestReplicasShareViolations(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	upstream, _ := spoiltUpstream(t, editData(func(d map[string]any) { d["refid"] = "OTHER" }))
	rigs := sharedProxyRigs(t, srv.URL, upstream.URL, 5, 2)
	for i := range 8 {
		if got := rigs[i%2].enquire("AOP-554", fmt.Sprintf("ORDER-%d", i), nil); got.header.Get(admin.ContractViolationsHeader) != "1" {
			t.Fatalf("ORDER-%d answered %d with %s violations, want 1", i, got.status, got.header.Get(admin.ContractViolationsHeader))
		}
	}
	want := []string{"ORDER-3", "ORDER-4", "ORDER-5", "ORDER-6", "ORDER-7"}
	for i, rig := range rigs {
		if got := rig.violations(""); got.Total != 8 || !slices.Equal(referencesOf(got), want) {
			t.Fatalf("replica %d lists total %d, %v; want 8, %v", i, got.Total, referencesOf(got), want)
		}
	}
	first, second := rigs[0].violations("?limit=2"), rigs[1].violations("?limit=2&after=5")
	if !slices.Equal(referencesOf(first), want[:2]) || first.Next != "5" || !slices.Equal(referencesOf(second), want[2:4]) || second.Next != "7" {
		t.Fatalf("pages through two replicas: %v next %s, %v next %s", referencesOf(first), first.Next, referencesOf(second), second.Next)
	}
	if status, body := rigs[1].admin(http.MethodPost, "/__admin/reset", ""); status != http.StatusOK {
		t.Fatalf("reset: %d %s", status, body)
	}
	if got := rigs[0].violations(""); got.Total != 8 {
		t.Fatalf("after a reset through the other replica: total %d, want the 8 kept, as a reset leaves violations", got.Total)
	}
	if status, body := rigs[1].admin(http.MethodDelete, "/__admin/violations", ""); status != http.StatusNoContent {
		t.Fatalf("clear: %d %s", status, body)
	}
	if got := rigs[0].violations(""); got.Total != 0 || len(got.Violations) != 0 {
		t.Fatalf("after a clear through the other replica: %+v", got)
	}
}

// With Redis down a violating answer is still relayed, the violation
// logged, counted as unkept and the failing log reported once; the listing
// answers 503; all recover when Redis is back.
func TestProxyRelaysViolatingAnswersWithRedisDown(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("waits out the redis client's redials of an outage")
	}
	srv := redistest.Start(t)
	upstream, _ := spoiltUpstream(t, editData(func(d map[string]any) { d["refid"] = "OTHER" }))
	rig := sharedProxyRigs(t, srv.URL, upstream.URL, 5, 1)[0]
	srv.Stop(t)
	for i := range 2 {
		got := rig.enquire("AOP-554", fmt.Sprintf("DOWN-%d", i), nil)
		if got.status != http.StatusOK || got.header.Get(admin.ContractViolationsHeader) != "1" {
			t.Fatalf("enquiry with redis down: %d, %s violations; want the upstream's 200 relayed with 1", got.status, got.header.Get(admin.ContractViolationsHeader))
		}
	}
	const failing = "contract violations not kept"
	if n := strings.Count(rig.log.String(), failing); n != 1 {
		t.Errorf("the failing log is reported %d times, want once:\n%s", n, rig.log.String())
	}
	if !strings.Contains(rig.metrics(), "aopay_mock_proxy_violations_unkept_total 2") {
		t.Errorf("metrics do not count 2 violations unkept:\n%s", rig.metrics())
	}
	_, err := rig.srv.Admin().ListViolationPage(t.Context(), admin.ViolationQuery{})
	if e, ok := err.(*admin.Error); !ok || e.Status != http.StatusServiceUnavailable || e.Code != admin.CodeUnavailable {
		t.Errorf("listing with redis down: %v, want 503 unavailable", err)
	}
	if err := rig.srv.Admin().ClearViolations(t.Context()); admin.ErrorCode(err) != admin.CodeUnavailable {
		t.Errorf("clear with redis down: %v, want 503 unavailable", err)
	}
	srv.Restart(t)
	// The client redials in the background after an outage, and a dial
	// begun during it may still fail the first calls after: the log is
	// back once an answer's violation is listed.
	n := 0
	err = testutil.Poll(10*time.Second, func() (bool, error) {
		n++
		rig.enquire("AOP-554", fmt.Sprintf("BACK-%d", n), nil)
		list, err := rig.srv.Admin().ListViolationPage(t.Context(), admin.ViolationQuery{})
		return err == nil && list.Total > 0, nil
	})
	if err != nil {
		t.Fatalf("no violation kept once redis is back: %v", err)
	}
	if got := rig.violations(""); got.Total != 1 || !slices.Equal(referencesOf(got), []string{fmt.Sprintf("BACK-%d", n)}) {
		t.Fatalf("once redis is back: %+v, want BACK-%d alone", got, n)
	}
}
