package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestRecordThenReplay proxies a session to a mock standing for the
// provider, recording it, then replays it offline from the recording: every
// final transaction answers the bytes the upstream answered last, a pending
// one stays pending, and nothing secret was written.
func TestRecordThenReplay(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "session")
	upstream := serveLoopback(t, newMockUpstream(t))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{RecordDir: dir})

	signed := func(reqid string) http.Header {
		tok, err := partnertoken.Sign("aopay-sandbox-secret", "AOP-SECURE", reqid, sandboxEpoch)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Token": {tok}, "Authorisedkey": {"partner-key-123"}}
	}
	type key struct{ registration, reference string }
	session := []struct {
		key
		header    http.Header
		enquiries int
		// wantState is the recorded state; "" when nothing is recorded.
		wantState transaction.State
	}{
		{key: key{"AOP-554", "12345678"}, wantState: transaction.StateSuccess},
		{key: key{"AOP-554", "REFUND-1001"}, wantState: transaction.StateRefunded},
		{key: key{"AOP-554", "FAILED-1001"}, wantState: transaction.StateFailed},
		{key: key{"AOP-554", "STUCK-1001"}, wantState: transaction.StatePending},
		{key: key{"AOP-554", "PENDING-1001"}, enquiries: 3, wantState: transaction.StateSuccess},
		{key: key{"AOP-554", "PENDREFUND-1001"}, enquiries: 3, wantState: transaction.StateRefunded},
		{key: key{"AOP-554", "ORDER-77"}, wantState: transaction.StateSuccess},
		{key: key{"AOP-554", "FAILED-77"}, wantState: transaction.StateFailed},
		{key: key{"AOP-554", "PENDING-77"}, wantState: transaction.StatePending},
		{key: key{"AOP-SECURE", "SECURE-1001"}, header: signed("rec-1"), wantState: transaction.StateSuccess},
		{key: key{"AOP-554", "NOTFOUND-1001"}},
		{key: key{"NOPE", "ORDER-1"}},
		{key: key{"AOP-DISABLED", "ORDER-1"}},
	}
	last := map[key]proxied{}
	for _, step := range session {
		for range max(step.enquiries, 1) {
			a := rig.enquire(step.registration, step.reference, step.header)
			if a.violationCount(t) != "0" {
				t.Fatalf("%v: the mock upstream was flagged: %s", step.key, a.body)
			}
			mustMatchSpec(t, step.registration, step.reference, a)
			last[step.key] = a
		}
	}

	if err := rig.srv.Close(); err != nil {
		t.Fatal(err)
	}
	var recorded []byte
	for _, name := range []string{proxy.RecordRegistrationsFile, proxy.RecordTransactionsFile} {
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		recorded = append(recorded, data...)
	}
	for _, secret := range []string{"aopay-sandbox-secret", signed("rec-1").Get("Token")[:20], "partner-key-123", "key:"} {
		if bytes.Contains(recorded, []byte(secret)) {
			t.Fatalf("the recording holds %q:\n%s", secret, recorded)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 2 || entries[0].Name() != proxy.RecordRegistrationsFile || entries[1].Name() != proxy.RecordTransactionsFile {
		t.Fatalf("the directory holds %v, want only %s and %s", entries, proxy.RecordRegistrationsFile, proxy.RecordTransactionsFile)
	}
	set, err := fixtures.Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatalf("the recording does not load as fixtures: %v\n%s", err, recorded)
	}
	var regs []string
	for _, r := range set.Registrations {
		regs = append(regs, fmt.Sprintf("%s(disabled=%v)", r.ID, r.Disabled))
	}
	if strings.Join(regs, ",") != "AOP-554(disabled=false),AOP-SECURE(disabled=false),AOP-DISABLED(disabled=true)" {
		t.Fatalf("registrations recorded: %v; want those the upstream processed enquiries for, and the disabled one", regs)
	}
	states := map[key]transaction.State{}
	for _, tx := range set.Transactions {
		states[key{tx.RegistrationID, tx.ReferenceID}] = tx.State
	}
	for _, step := range session {
		if got := states[step.key]; got != step.wantState {
			t.Errorf("%v recorded as %q, want %q", step.key, got, step.wantState)
		}
	}
	if len(set.Transactions) != len(states) {
		t.Fatalf("%d transactions for %d keys: one per transaction, the latest answer", len(set.Transactions), len(states))
	}

	replay := replayOf(t, dir)
	for _, step := range session {
		if step.registration == "NOPE" {
			continue // the registrations the upstream refused are unknown offline too
		}
		for i := range 2 {
			e := replay.enquire(step.registration, step.reference, nil)
			mustMatchSpec(t, step.registration, step.reference, e)
			want := last[step.key]
			switch step.wantState {
			case transaction.StatePending:
				if got := dataStatus(t, e); got != "2" {
					t.Fatalf("%v replay %d answered data.status %q, want it still pending", step.key, i, got)
				}
			default:
				if e.status != want.status || !bytes.Equal(e.body, want.body) {
					t.Fatalf("%v replay %d answered %d %s\nthe upstream answered %d %s", step.key, i, e.status, e.body, want.status, want.body)
				}
			}
		}
	}
}

// TestRecordKeepsRegistrationsWithoutTransactions replays a session that
// found no transaction: the registration still answers "No Transaction
// found", and a disabled one still answers "service is disabled".
func TestRecordKeepsRegistrationsWithoutTransactions(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	upstream := serveLoopback(t, newMockUpstream(t))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{RecordDir: dir})
	steps := []struct{ registration, reference string }{
		{"AOP-554", "NOTFOUND-1001"},
		{"AOP-DISABLED", "ORDER-1"},
		{"NOPE", "ORDER-1"},
	}
	proxiedAnswers := make([]proxied, len(steps))
	for i, st := range steps {
		proxiedAnswers[i] = rig.enquire(st.registration, st.reference, nil)
		mustMatchSpec(t, st.registration, st.reference, proxiedAnswers[i])
	}
	if err := rig.srv.Close(); err != nil {
		t.Fatal(err)
	}
	replay := replayOf(t, dir)
	for i, st := range steps[:2] {
		e := replay.enquire(st.registration, st.reference, nil)
		mustMatchSpec(t, st.registration, st.reference, e)
		if want := proxiedAnswers[i]; e.status != want.status || !bytes.Equal(e.body, want.body) {
			t.Fatalf("%s/%s replayed %d %s, the upstream answered %d %s", st.registration, st.reference, e.status, e.body, want.status, want.body)
		}
	}
	if e := replay.enquire("NOPE", "ORDER-1", nil); e.status != http.StatusUnauthorized {
		t.Fatalf("a registration the upstream refused replayed as %d %s", e.status, e.body)
	}
}

// TestRecordingDoesNotHoldUpTheProxy sends many new transactions from many
// clients through a recording proxy and a plain one: recording costs a
// small share of the time, and a graceful stop leaves every one in the file.
func TestRecordingDoesNotHoldUpTheProxy(t *testing.T) {
	t.Parallel()
	const clients, perClient = 10, 20
	upstream := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q rechargestatus.Enquiry
		_ = json.NewDecoder(r.Body).Decode(&q)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(foundAnswer(q.ReferenceID, "7"+strings.TrimPrefix(q.ReferenceID, "LOAD-"), "1", ""))
	}))
	run := func(rig *proxyRig) time.Duration {
		start := time.Now()
		var g errgroup.Group
		for c := range clients {
			g.Go(func() error {
				for i := range perClient {
					ref := fmt.Sprintf("LOAD-%d%04d", c+1, i)
					a, err := rig.trySend(http.MethodPost, "application/json", enquiryJSON("AOP-554", ref), nil)
					if err == nil && (a.status != http.StatusOK || a.violationCount(t) != "0") {
						err = fmt.Errorf("%s: %d %s=%s %s", ref, a.status, admin.ContractViolationsHeader, a.violationCount(t), a.body)
					}
					if err != nil {
						return err
					}
				}
				return nil
			})
		}
		if err := g.Wait(); err != nil {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	plain := run(newProxyRig(t, upstream.URL, mockserver.Config{}))
	dir := t.TempDir()
	recording := newProxyRig(t, upstream.URL, mockserver.Config{RecordDir: dir})
	recorded := run(recording)
	// Rewriting and syncing the file for every new transaction took a
	// hundred times longer; writing behind costs a fraction.
	if limit := 4*plain + 500*time.Millisecond; recorded > limit {
		t.Fatalf("%d enquiries took %s recording, %s not: want at most %s", clients*perClient, recorded, plain, limit)
	}
	if err := recording.srv.Close(); err != nil {
		t.Fatal(err)
	}
	set, err := fixtures.Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Transactions) != clients*perClient {
		t.Fatalf("the recording holds %d transactions after a graceful stop, want %d", len(set.Transactions), clients*perClient)
	}
}

// replayOf serves the recording in dir as aopay-mock --fixtures DIR
// --unknown notfound does, through a rig's client.
func replayOf(t *testing.T, dir string) *proxyRig {
	t.Helper()
	m := mocktest.New(t, mocktest.WithFixturesFile(dir), mocktest.WithClock(sandboxEpoch), mocktest.WithConfig(func(c *mockserver.Config) {
		c.Unknown = recharge.UnknownNotFound
	}))
	return &proxyRig{t: t, srv: m.Server, url: m.URL, client: &http.Client{Timeout: 10 * time.Second}}
}

// dataStatus is data.status of an answer, "" without data.
func dataStatus(t *testing.T, a proxied) string {
	t.Helper()
	var parsed struct {
		Data *struct {
			Status string `json:"status"`
		} `json:"data"`
	}
	if err := json.Unmarshal(a.body, &parsed); err != nil {
		t.Fatalf("answer %s: %v", a.body, err)
	}
	if parsed.Data == nil {
		return ""
	}
	return parsed.Data.Status
}

func foundAnswer(refid, txnid, status, refundtxnid string) []byte {
	return []byte(`{"response_code":1,"status":true,"data":{"txnid":"` + txnid + `","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"` + status +
		`","refid":"` + refid + `","operatorid":"","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"` + refundtxnid + `","daterefunded":null},"message":"Transaction Enquiry Successful"}`)
}
