package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// TestRecordThenReplay proxies a session to a mock standing for the
// provider, recording it, then replays it offline from the recording: every
// final transaction answers the bytes the upstream answered last, a pending
// one stays pending, and nothing secret was written.
func TestRecordThenReplay(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "session")
	upstream := serveLoopback(t, newMockUpstream(t))
	rig := newProxyRig(t, upstream.URL, Config{RecordDir: dir})

	signed := func(reqid string) http.Header {
		tok, err := rechargestatus.SignToken("aopay-sandbox-secret", "AOP-SECURE", reqid, sandboxEpoch)
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
		wantState recharge.State
	}{
		{key: key{"AOP-554", "12345678"}, wantState: recharge.StateSuccess},
		{key: key{"AOP-554", "REFUND-1001"}, wantState: recharge.StateRefunded},
		{key: key{"AOP-554", "FAILED-1001"}, wantState: recharge.StateFailed},
		{key: key{"AOP-554", "STUCK-1001"}, wantState: recharge.StatePending},
		{key: key{"AOP-554", "PENDING-1001"}, enquiries: 3, wantState: recharge.StateSuccess},
		{key: key{"AOP-554", "PENDREFUND-1001"}, enquiries: 3, wantState: recharge.StateRefunded},
		{key: key{"AOP-554", "ORDER-77"}, wantState: recharge.StateSuccess},
		{key: key{"AOP-554", "FAILED-77"}, wantState: recharge.StateFailed},
		{key: key{"AOP-554", "PENDING-77"}, wantState: recharge.StatePending},
		{key: key{"AOP-SECURE", "SECURE-1001"}, header: signed("rec-1"), wantState: recharge.StateSuccess},
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
	recorded, err := os.ReadFile(filepath.Join(dir, RecordFile))
	if err != nil {
		t.Fatal(err)
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
	if len(entries) != 1 || entries[0].Name() != RecordFile {
		t.Fatalf("the directory holds %v, want only %s", entries, RecordFile)
	}
	set, err := fixtures.Load(dir)
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
	states := map[key]recharge.State{}
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

	replay := newSandbox(t, Config{FixturesPath: dir, Unknown: recharge.UnknownNotFound})
	for _, step := range session {
		if step.registration == "NOPE" {
			continue // the registrations the upstream refused are unknown offline too
		}
		for i := range 2 {
			e, parsed := replay.enquireValid(step.registration, step.reference, nil)
			want := last[step.key]
			switch step.wantState {
			case recharge.StatePending:
				if got := dataStatus(parsed); got != "2" {
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

func TestTransactionOfReadsTheProviderData(t *testing.T) {
	full := func(edit func(map[string]any)) map[string]json.RawMessage {
		data := map[string]any{"txnid": "7310042220", "operatorname": "Paytm Payments Bank", "canumber": "TN09BX4410", "amount": "1000.00",
			"comm": "0.00", "tds": "0.00", "status": "1", "refid": "X", "operatorid": "OP1", "dateadded": "2026-03-05 17:15:02",
			"refunded": "0", "refundtxnid": "", "daterefunded": nil}
		edit(data)
		raw := map[string]json.RawMessage{}
		for k, v := range data {
			raw[k], _ = json.Marshal(v)
		}
		return raw
	}
	tests := []struct {
		name      string
		edit      func(map[string]any)
		wantState recharge.State
		wantErr   string
	}{
		{name: "success", edit: func(map[string]any) {}, wantState: recharge.StateSuccess},
		{name: "failed", edit: func(d map[string]any) { d["status"] = "0" }, wantState: recharge.StateFailed},
		{name: "refunded", edit: func(d map[string]any) {
			d["status"], d["refunded"], d["refundtxnid"], d["daterefunded"] = "0", "1", "RF1", "2026-03-05 18:02:37"
		}, wantState: recharge.StateRefunded},
		{name: "pending 2", edit: func(d map[string]any) { d["status"] = "2" }, wantState: recharge.StatePending},
		{name: "pending other value", edit: func(d map[string]any) { d["status"] = "IN PROCESS" }, wantState: recharge.StatePending},
		{name: "amount as number", edit: func(d map[string]any) { d["amount"] = 1000 }, wantErr: "data.amount is 1000, not a string"},
		{name: "dateadded in another format", edit: func(d map[string]any) { d["dateadded"] = "2026-03-05T17:15:02Z" }, wantErr: "data.dateadded"},
		{name: "daterefunded in another format", edit: func(d map[string]any) { d["daterefunded"] = "05/03/2026" }, wantErr: "data.daterefunded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := recharge.Key{RegistrationID: "AOP-554", ReferenceID: "X"}
			tx, err := transactionOf(key, full(tt.edit))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tx.State != tt.wantState || tx.Key != key || tx.TxnID != "7310042220" || rechargestatus.FormatTime(tx.DateAdded) != "2026-03-05 17:15:02" {
				t.Fatalf("read %+v", tx)
			}
			if (tx.State == recharge.StateRefunded) != (tx.DateRefunded != nil) {
				t.Fatalf("daterefunded %v for a %s transaction", tx.DateRefunded, tx.State)
			}
		})
	}
}

// newTestRecorder records into dir with the server's loadability check.
func newTestRecorder(t *testing.T, dir string) (*sessionRecorder, error) {
	t.Helper()
	service := recharge.NewService(recharge.NewMemoryStore(), recharge.NewFrozenClock(sandboxEpoch), 1)
	rec, err := openSessionRecorder(dir, "https://api.aopay.co.in", func(tx recharge.Transaction) error {
		service.Complete(&tx, sandboxEpoch)
		return tx.Validate()
	}, func(err error) { t.Errorf("recording not written: %v", err) }, nil)
	if err == nil {
		t.Cleanup(func() { _ = rec.Close() })
	}
	return rec, err
}

func foundAnswer(refid, txnid, status, refundtxnid string) []byte {
	return []byte(`{"response_code":1,"status":true,"data":{"txnid":"` + txnid + `","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"` + status +
		`","refid":"` + refid + `","operatorid":"","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"` + refundtxnid + `","daterefunded":null},"message":"Transaction Enquiry Successful"}`)
}

func TestRecorderKeepsTheLatestAnswerAndContinuesARecording(t *testing.T) {
	dir := t.TempDir()
	rec, err := newTestRecorder(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	q := func(ref string) rechargestatus.Enquiry {
		return rechargestatus.Enquiry{RegistrationID: "AOP-554", ReferenceID: ref}
	}
	steps := []struct {
		name        string
		ref         string
		body        []byte
		wantChanged bool
		wantErr     string
	}{
		{name: "first answer", ref: "A", body: foundAnswer("A", "1", "2", ""), wantChanged: true},
		{name: "same answer again", ref: "A", body: foundAnswer("A", "1", "2", ""), wantChanged: false},
		{name: "resolved", ref: "A", body: foundAnswer("A", "1", "1", ""), wantChanged: true},
		{name: "not found", ref: "B", body: []byte(`{"response_code":2,"status":false,"message":"No Transaction found"}`), wantChanged: false},
		{name: "not JSON", ref: "B", body: []byte(`<html>`), wantChanged: false},
		{name: "would not load", ref: "C", body: foundAnswer("C", "3", "0", "RF3"), wantErr: "would not load as a fixture"},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			before, _ := os.ReadFile(filepath.Join(dir, RecordFile))
			changed, err := rec.Record(q(st.ref), http.StatusOK, st.body)
			if flushErr := rec.Flush(); flushErr != nil {
				t.Fatal(flushErr)
			}
			if st.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), st.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, st.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			after, _ := os.ReadFile(filepath.Join(dir, RecordFile))
			if changed != st.wantChanged || changed == bytes.Equal(before, after) {
				t.Fatalf("changed %v, file rewritten %v; want %v", changed, !bytes.Equal(before, after), st.wantChanged)
			}
		})
	}

	again, err := newTestRecorder(t, dir)
	if err != nil {
		t.Fatalf("continue the recording: %v", err)
	}
	if _, err := again.Record(q("D"), http.StatusOK, foundAnswer("D", "4", "0", "")); err != nil {
		t.Fatal(err)
	}
	if err := again.Close(); err != nil {
		t.Fatal(err)
	}
	set, err := fixtures.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tx := range set.Transactions {
		got = append(got, tx.ReferenceID+"="+string(tx.State))
	}
	if strings.Join(got, " ") != "A=success D=failed" {
		t.Fatalf("recorded %v, want A's latest answer and D after it", got)
	}
}

func TestRecorderFailsAtStartOnAnUnusableDirectory(t *testing.T) {
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestRecorder(t, file); err == nil || !strings.Contains(err.Error(), "record") {
		t.Fatalf("recording into a file: %v", err)
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, RecordFile), []byte("transactions: [{state: done}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestRecorder(t, broken); err == nil || !strings.Contains(err.Error(), "continue the recording") {
		t.Fatalf("continuing a broken recording: %v", err)
	}
}

// TestRecordKeepsRegistrationsWithoutTransactions replays a session that
// found no transaction: the registration still answers "No Transaction
// found", and a disabled one still answers "service is disabled".
func TestRecordKeepsRegistrationsWithoutTransactions(t *testing.T) {
	dir := t.TempDir()
	upstream := serveLoopback(t, newMockUpstream(t))
	rig := newProxyRig(t, upstream.URL, Config{RecordDir: dir})
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
	replay := newSandbox(t, Config{FixturesPath: dir, Unknown: recharge.UnknownNotFound})
	for i, st := range steps[:2] {
		e, _ := replay.enquireValid(st.registration, st.reference, nil)
		if want := proxiedAnswers[i]; e.status != want.status || !bytes.Equal(e.body, want.body) {
			t.Fatalf("%s/%s replayed %d %s, the upstream answered %d %s", st.registration, st.reference, e.status, e.body, want.status, want.body)
		}
	}
	if e, _ := replay.enquireValid("NOPE", "ORDER-1", nil); e.status != http.StatusUnauthorized {
		t.Fatalf("a registration the upstream refused replayed as %d %s", e.status, e.body)
	}
}

// TestRecordingDoesNotHoldUpTheProxy sends many new transactions from many
// clients through a recording proxy and a plain one: recording costs a
// small share of the time, and a graceful stop leaves every one in the file.
func TestRecordingDoesNotHoldUpTheProxy(t *testing.T) {
	const clients, perClient = 20, 25
	upstream := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var q rechargestatus.Enquiry
		_ = json.NewDecoder(r.Body).Decode(&q)
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(foundAnswer(q.ReferenceID, "7"+strings.TrimPrefix(q.ReferenceID, "LOAD-"), "1", ""))
	}))
	run := func(rig *proxyRig) time.Duration {
		start := time.Now()
		var wg sync.WaitGroup
		errs := make(chan error, clients)
		for c := range clients {
			wg.Go(func() {
				for i := range perClient {
					ref := fmt.Sprintf("LOAD-%d%04d", c+1, i)
					a, err := rig.trySend(http.MethodPost, "application/json", enquiryJSON("AOP-554", ref), nil)
					if err == nil && (a.status != http.StatusOK || a.violationCount(t) != "0") {
						err = fmt.Errorf("%s: %d %s=%s %s", ref, a.status, ContractViolationsHeader, a.violationCount(t), a.body)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Fatal(err)
		}
		return time.Since(start)
	}
	plain := run(newProxyRig(t, upstream.URL, Config{}))
	dir := t.TempDir()
	recording := newProxyRig(t, upstream.URL, Config{RecordDir: dir})
	recorded := run(recording)
	// Rewriting and syncing the file for every new transaction took a
	// hundred times longer; writing behind costs a fraction.
	if limit := 4*plain + 500*time.Millisecond; recorded > limit {
		t.Fatalf("%d enquiries took %s recording, %s not: want at most %s", clients*perClient, recorded, plain, limit)
	}
	if err := recording.srv.Close(); err != nil {
		t.Fatal(err)
	}
	set, err := fixtures.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Transactions) != clients*perClient {
		t.Fatalf("the recording holds %d transactions after a graceful stop, want %d", len(set.Transactions), clients*perClient)
	}
}
