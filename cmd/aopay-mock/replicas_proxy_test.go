package main

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
)

// TestReplicasShareProxyViolations runs two aopay-mock processes in proxy
// mode on one redis-server: the violations found through one are listed
// through the other, and cleared through it for both.
func TestReplicasShareProxyViolations(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts redis-server and two aopay-mock processes")
	}
	// An upstream whose answer lacks the data a successful one carries.
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"response_code":1,"status":true,"message":"Transaction Enquiry Successful"}`)
	}))
	t.Cleanup(upstream.Close)
	srv := redistest.Start(t)
	bin := testutil.BuildBinaryWithoutRace(t, ".")
	finder := startReplica(t, bin, srv.URL, "--proxy-upstream", upstream.URL)
	lister := startReplica(t, bin, srv.URL, "--proxy-upstream", upstream.URL)
	enquired := []string{"PROXIED-0", "PROXIED-1", "PROXIED-2"}
	for _, ref := range enquired {
		if status, body := finder.call(t, http.MethodPost, rechargestatus.EnquiryPath, map[string]string{"referenceid": ref, "RegistrationID": "AOP-554"}); status != http.StatusOK {
			t.Fatalf("enquiry of %s through the proxy: %d %s", ref, status, body)
		}
	}
	list := func(r *replica) admin.ViolationList {
		t.Helper()
		status, body := r.call(t, http.MethodGet, "/__admin/violations", nil)
		var l admin.ViolationList
		if err := json.Unmarshal(body, &l); status != http.StatusOK || err != nil {
			t.Fatalf("violations: %d %s", status, body)
		}
		return l
	}
	found, listed := list(finder), list(lister)
	var refs []string
	for _, v := range listed.Violations {
		if !slices.Contains(refs, v.ReferenceID) {
			refs = append(refs, v.ReferenceID)
		}
	}
	if listed.Total == 0 || listed.Total != found.Total || !slices.Equal(refs, enquired) {
		t.Fatalf("the other replica lists %d violations of %v, the finder %d; want the same, of %v", listed.Total, refs, found.Total, enquired)
	}
	if status, body := lister.call(t, http.MethodDelete, "/__admin/violations", nil); status != http.StatusNoContent {
		t.Fatalf("clear: %d %s", status, body)
	}
	if got := list(finder); got.Total != 0 || len(got.Violations) != 0 {
		t.Fatalf("after a clear through the other replica the finder lists %+v", got)
	}
}
