package mockserver

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
)

// TestAuditOfARefusedTokenSentAgain: the journal keeps a digest of the
// Token, never the Token, and where each request came in the journal's
// order; the audit finds the refused Token sent a third time, and its
// answer is as admin/openapi.yaml declares it.
func TestAuditOfARefusedTokenSentAgain(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	const token = "not.a-valid.jwt"
	for range 3 {
		if e := sb.enquire(sb.client, "AOP-SECURE", "SECURE-1001", http.Header{"Token": {token}}); e.status != http.StatusUnauthorized {
			t.Fatalf("enquiry with a bad Token answered %d %s", e.status, e.body)
		}
	}
	sb.enquire(sb.client, "AOP-554", "12345678", nil)
	sb.waitJournalLen(4)
	listing := sb.admin(http.MethodGet, "/__admin/requests", nil)
	if strings.Contains(string(listing.body), token) {
		t.Fatalf("the journal shows the Token: %s", listing.body)
	}
	var page admin.JournalList
	if err := json.Unmarshal(listing.body, &page); err != nil {
		t.Fatal(err)
	}
	for i, e := range page.Requests {
		if wantDigest := i < 3; (e.TokenDigest != "") != wantDigest || (wantDigest && e.TokenDigest != page.Requests[0].TokenDigest) {
			t.Errorf("entry %d has Token digest %q", i, e.TokenDigest)
		}
		if e.Started.IsZero() || e.SystemStarted.IsZero() || e.StartedAfter != e.ID-1 {
			t.Errorf("entry %d: started %s, system %s, after #%d; want both times and the entry before", e.ID, e.Started, e.SystemStarted, e.StartedAfter)
		}
	}

	a := sb.admin(http.MethodGet, "/__admin/audit?registrationId=AOP-SECURE", nil)
	var report audit.Report
	if err := json.Unmarshal(a.body, &report); err != nil || a.status != http.StatusOK {
		t.Fatalf("audit answered %d %s (%v)", a.status, a.body, err)
	}
	if len(report.Findings) != 1 || report.Findings[0].Rule != audit.RetriesAuthFailure || report.Exchanges != 3 {
		t.Fatalf("findings %v of %d exchanges, want retries-auth-failure of 3", report.Findings, report.Exchanges)
	}
	if ev := report.Findings[0].Evidence; len(ev) != 2 || ev[0].ID != page.Requests[0].ID || ev[1].ID != page.Requests[2].ID {
		t.Errorf("evidence %+v, want the first refusal and the third send", ev)
	}
	sb.admin(http.MethodDelete, "/__admin/requests", nil)
	a = sb.admin(http.MethodGet, "/__admin/audit", nil)
	if err := json.Unmarshal(a.body, &report); err != nil || report.Exchanges != 0 || len(report.Findings) != 0 {
		t.Errorf("after the journal was cleared the audit answered %s", a.body)
	}
}
