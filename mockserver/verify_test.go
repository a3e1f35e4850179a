package mockserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

// TestUnknownAdminQueryParametersAreRefused holds every kind of admin
// operation to the query parameters its document declares: a misspelt
// filter answers 400 naming it, never everything.
func TestUnknownAdminQueryParametersAreRefused(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	sb.enquireValid("AOP-554", "ORDER-9", nil)
	tests := []struct {
		method, path, naming string
	}{
		{http.MethodGet, "/__admin/requests/count?referenceID=ORDER-9", `"referenceID"`},
		{http.MethodGet, "/__admin/requests?limit=1&referenceId=ORDER-9&from=x", `"from"`},
		{http.MethodGet, "/__admin/transactions?State=pending", `"State"`},
		{http.MethodGet, "/__admin/clock?now=1", `"now"`},
		{http.MethodGet, "/__admin/violations?rules=x", `"rules"`},
		{http.MethodDelete, "/__admin/faults?id=f1", `"id"`},
		{http.MethodPost, "/__admin/reset?hard=true", `"hard"`},
		{http.MethodGet, "/__admin/transactions/AOP-554/ORDER-9?verbose", `"verbose"`},
	}
	for _, tt := range tests {
		a := sb.admin(tt.method, tt.path, nil)
		code, msg := a.errorMessage(t)
		if a.status != http.StatusBadRequest || code != admin.CodeInvalid || !strings.Contains(msg, "unknown query parameter "+tt.naming) {
			t.Errorf("%s %s: %d %s, want 400 invalid naming %s", tt.method, tt.path, a.status, a.body, tt.naming)
		}
	}
	// The declared ones are read as before.
	var n admin.Count
	sb.admin(http.MethodGet, "/__admin/requests/count?referenceId=ORDER-9", nil).decode(t, &n)
	if n.Count != 1 {
		t.Fatalf("count of ORDER-9 = %d, want 1", n.Count)
	}
}

// TestUnknownMatcherKeysAreRefused refuses a misspelt key of a matcher, at
// the top or inside a header test, on each operation taking one.
func TestUnknownMatcherKeysAreRefused(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	for _, path := range []string{"/__admin/requests/find", "/__admin/requests/count", "/__admin/requests/near-misses"} {
		for body, naming := range map[string]string{
			`{"referenceID":"ORDER-9"}`:                       "referenceID",
			`{"headers":{"X-Trace":{"equal":"1"}}}`:           "equal",
			`{"status":200,"bodyField":{"/referenceid":"1"}}`: "bodyField",
		} {
			a := sb.admin(http.MethodPost, path, body)
			code, msg := a.errorMessage(t)
			if a.status != http.StatusBadRequest || code != admin.CodeInvalid || !strings.Contains(msg, naming) {
				t.Errorf("POST %s %s: %d %s, want 400 invalid naming %s", path, body, a.status, a.body, naming)
			}
		}
	}
}

// TestMatcherOperationsOverHTTP finds, counts and lists near misses of
// journaled enquiries over HTTP, each answer held to the admin document.
func TestMatcherOperationsOverHTTP(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	for range 2 {
		sb.enquireValid("AOP-554", "ORDER-9", http.Header{"X-Trace-Id": {"trace-7"}})
	}
	sb.enquireValid("AOP-554", "ORDER-10", nil)
	matcher := map[string]any{
		"method":     "POST",
		"status":     200,
		"dialect":    "page",
		"headers":    map[string]any{"x-trace-id": map[string]any{"matches": `^trace-\d+$`}},
		"bodyFields": map[string]any{"/referenceid": "ORDER-9"},
	}
	var found admin.FoundRequests
	sb.admin(http.MethodPost, "/__admin/requests/find", matcher).decode(t, &found)
	if found.Count != 2 || len(found.Requests) != 2 || found.Requests[0].ReferenceID != "ORDER-9" || found.Requests[0].Dialect != "page" || found.NearMisses != nil {
		t.Fatalf("found %+v, want the two enquiries of ORDER-9", found)
	}
	var n admin.Count
	sb.admin(http.MethodPost, "/__admin/requests/count", matcher).decode(t, &n)
	if n.Count != 2 {
		t.Fatalf("count %d, want 2", n.Count)
	}
	matcher["status"] = 503
	sb.admin(http.MethodPost, "/__admin/requests/find", matcher).decode(t, &found)
	if found.Count != 0 || len(found.NearMisses) != 3 || found.NearMisses[0].Differences[0].Field != "status" {
		t.Fatalf("found %+v, want no match and near misses naming status first", found)
	}
	var misses admin.NearMissList
	sb.admin(http.MethodPost, "/__admin/requests/near-misses", matcher).decode(t, &misses)
	if len(misses.NearMisses) != 3 || misses.NearMisses[2].Request.ReferenceID != "ORDER-10" || len(misses.NearMisses[2].Differences) != 3 {
		t.Fatalf("near misses %+v, want ORDER-10 last, missing status, header and body field", misses)
	}
}
