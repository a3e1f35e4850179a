package mockserver

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
)

// The attacks of a hostile probe that the mock must withstand, each bounded
// in count and time, in process or on loopback.

// TestJournalFloodOfLargeRequestsStaysWithinItsBytes journals far more
// large requests than the journal's bytes hold, with an entry bound that
// would let them all in: the journal stays within its bytes, the heap with
// it, and the largest listing answers a page of a few MiB, not the journal.
func TestJournalFloodOfLargeRequestsStaysWithinItsBytes(t *testing.T) {
	const journalBytes, requests = 1 << 20, 600
	s := memoryTestServer(t, Config{JournalSize: 20_000, JournalBytes: journalBytes})
	r := benchRequest(t, pageExampleRequest)
	w := &benchWriter{header: http.Header{}}
	huge := strings.Repeat("R", 9<<10)
	flood := func(from, to int) {
		for i := from; i < to; i++ {
			serveOnce(s, r, w, fmt.Appendf(nil, `{"referenceid":"%s-%d","RegistrationID":"AOP-554"}`, huge, i))
		}
	}
	flood(0, requests/4)
	before := settledHeap()
	flood(requests/4, requests)
	after := settledHeap()
	if n, b := s.journal.Len(), s.journal.Bytes(); n >= requests || b > journalBytes {
		t.Fatalf("the journal holds %d entries, %d bytes; want at most %d bytes", n, b, journalBytes)
	}
	if growth := int64(after) - int64(before); growth > 2*journalBytes {
		t.Fatalf("the heap grew by %d bytes over %d large requests, the journal's bound is %d", growth, 3*requests/4, journalBytes)
	}
	req := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080/__admin/requests?limit=1000", nil)
	rec := httptest.NewRecorder()
	s.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK || rec.Body.Len() > MaxJournalPageBytes+MaxJournalPageBytes/4 {
		t.Fatalf("the largest listing answered %d with %d bytes, want a page of at most about %d", rec.Code, rec.Body.Len(), MaxJournalPageBytes)
	}
	t.Logf("journal %d entries, %d bytes; heap %d → %d; listing %d bytes", s.journal.Len(), s.journal.Bytes(), before, after, rec.Body.Len())
}

// send makes a request of the sandbox with host as its Host and header
// beside it, and checks the answer against the document of its path.
func (sb *sandbox) send(method, path, host string, header http.Header, body string) adminAnswer {
	sb.t.Helper()
	req, err := http.NewRequest(method, sb.ts.URL+path, strings.NewReader(body))
	if err != nil {
		sb.t.Fatal(err)
	}
	req.Host = host
	for k, v := range header {
		req.Header[k] = v
	}
	res, err := sb.client.Do(req)
	if err != nil {
		sb.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got := readAll(sb.t, res)
	check, _ := http.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
	check.Header = req.Header.Clone()
	if v := specValidator.CheckResponse(context.Background(), check, []byte(body), res.StatusCode, res.Header, got); len(v) > 0 && v[0].Rule != "route" {
		sb.t.Fatalf("%s %s answered %d %s, which breaks its OpenAPI document: %v", method, path, res.StatusCode, got, v)
	}
	return adminAnswer{status: res.StatusCode, header: res.Header, body: got}
}

// TestCrossSitePagesCannotChangeTheSandbox sends what a web page of another
// origin can make a browser send (a form or fetch without preflight: plain
// text or no body) to the calls that change the sandbox: each is refused in
// the admin error format and changes nothing, with or without an admin
// token, while curl, same-origin pages and reads go through.
func TestCrossSitePagesCannotChangeTheSandbox(t *testing.T) {
	t.Parallel()
	for _, token := range []string{"", "s3cret"} {
		sb := newSandbox(t, Config{AdminToken: token})
		auth := http.Header{}
		if token != "" {
			auth.Set("Authorization", "Bearer "+token)
		}
		with := func(kv ...string) http.Header {
			h := auth.Clone()
			for i := 0; i < len(kv); i += 2 {
				h.Set(kv[i], kv[i+1])
			}
			return h
		}
		host := strings.TrimPrefix(sb.ts.URL, "http://")
		tests := []struct {
			name, method, path string
			header             http.Header
			wantStatus         int
		}{
			{"reset from a cross-site page", http.MethodPost, "/__admin/reset", with("Sec-Fetch-Site", "cross-site", "Content-Type", "text/plain"), 403},
			{"reload from a cross-site page", http.MethodPost, "/__admin/fixtures/reload", with("Sec-Fetch-Site", "cross-site"), 403},
			{"reset from a same-site page of another origin", http.MethodPost, "/__admin/reset", with("Sec-Fetch-Site", "same-site"), 403},
			{"reset from an old browser on another origin", http.MethodPost, "/__admin/reset", with("Origin", "http://evil.example", "Content-Type", "text/plain"), 403},
			{"clear faults from another origin", http.MethodDelete, "/__admin/faults", with("Origin", "http://evil.example"), 403},
			{"reset from curl", http.MethodPost, "/__admin/reset", with(), 200},
			{"reset from the sandbox's own origin", http.MethodPost, "/__admin/reset", with("Sec-Fetch-Site", "same-origin", "Origin", "http://"+host), 200},
			{"reset typed in the address bar", http.MethodPost, "/__admin/reset", with("Sec-Fetch-Site", "none"), 200},
			{"a read from a cross-site page", http.MethodGet, "/__admin/clock", with("Sec-Fetch-Site", "cross-site"), 200},
		}
		for _, tt := range tests {
			sb.srv.journal.Add(admin.JournalEntry{}, nil, nil)
			a := sb.send(tt.method, tt.path, host, tt.header, "")
			if a.status != tt.wantStatus {
				t.Fatalf("token %q, %s: %d %s, want %d", token, tt.name, a.status, a.body, tt.wantStatus)
			}
			if tt.wantStatus != http.StatusForbidden {
				continue
			}
			if code, msg := a.errorMessage(t); code != admin.CodeForbidden || !strings.Contains(msg, "cross-origin") {
				t.Fatalf("token %q, %s: %s %q, want forbidden saying why", token, tt.name, code, msg)
			}
			if sb.srv.journal.Len() == 0 {
				t.Fatalf("token %q, %s: the refused call reset the sandbox", token, tt.name)
			}
		}
	}
}

// TestForeignHostsAreRefusedWithoutAnAdminToken asks a sandbox without an
// admin token for a Host a DNS-rebinding page would send: the admin API,
// the journal and the endpoint refuse it, each in its own envelope; loopback
// names and addresses and the allowed names are answered, and with an
// admin token every Host is.
func TestForeignHostsAreRefusedWithoutAnAdminToken(t *testing.T) {
	t.Parallel()
	open := newSandbox(t, Config{AllowedHosts: []string{"mock"}})
	guarded := newSandbox(t, Config{AdminToken: "s3cret"})
	enquiry := `{"referenceid":"12345678","RegistrationID":"AOP-554"}`
	jsonBody := http.Header{"Content-Type": {"application/json"}}
	tests := []struct {
		sb         *sandbox
		host       string
		wantStatus int
	}{
		{open, "evil.example", 403},
		{open, "evil.example:80", 403},
		{open, "mock.evil.example", 403},
		{open, "192.168.1.10:8080", 403},
		{open, "localhost:8080", 200},
		{open, "127.0.0.1", 200},
		{open, "127.42.0.1:9", 200},
		{open, "[::1]:8080", 200},
		{open, "MOCK:8080", 200},
		{guarded, "evil.example", 200},
	}
	for _, tt := range tests {
		journal := tt.sb.send(http.MethodGet, "/__admin/requests", tt.host, http.Header{"Authorization": {"Bearer " + tt.sb.token}}, "")
		endpoint := tt.sb.send(http.MethodPost, rechargestatus.EnquiryPath, tt.host, jsonBody, enquiry)
		if tt.wantStatus == http.StatusOK {
			if journal.status != http.StatusOK || endpoint.status != http.StatusOK {
				t.Fatalf("Host %q: journal %d, endpoint %d %s; want both answered", tt.host, journal.status, endpoint.status, endpoint.body)
			}
			continue
		}
		if code, msg := journal.errorMessage(t); journal.status != http.StatusForbidden || code != admin.CodeForbidden || !strings.Contains(msg, "--allowed-hosts") {
			t.Fatalf("Host %q: the journal answered %d %s", tt.host, journal.status, journal.body)
		}
		var refusal rechargestatus.ErrorAnswer
		if err := json.Unmarshal(endpoint.body, &refusal); err != nil || endpoint.status != http.StatusBadRequest ||
			refusal.ResponseCode != rechargestatus.CodeValidation || !strings.Contains(refusal.Message, "is not answered") {
			t.Fatalf("Host %q: the endpoint answered %d %s, want the provider's validation envelope", tt.host, endpoint.status, endpoint.body)
		}
	}
	if _, err := New(Config{AllowedHosts: []string{"mock:8080"}}); err == nil {
		t.Fatal("an allowed host with a port was accepted")
	}
}
