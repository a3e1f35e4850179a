package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// serverWriteTimeout is the write timeout of the server the mock is served
// with (mockserver.WriteTimeout).
const serverWriteTimeout = 60 * time.Second

func TestParseUpstream(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, raw, wantEnquiry, wantDisplay, wantErr string
	}{
		{name: "host", raw: "https://api.aopay.co.in", wantEnquiry: "https://api.aopay.co.in/api/AOP/RechargeStatus", wantDisplay: "https://api.aopay.co.in/api/AOP/RechargeStatus"},
		{name: "path prefix", raw: "http://127.0.0.1:9000/gateway/", wantEnquiry: "http://127.0.0.1:9000/gateway/api/AOP/RechargeStatus", wantDisplay: "http://127.0.0.1:9000/gateway/api/AOP/RechargeStatus"},
		{name: "whole endpoint", raw: "https://api.aopay.co.in/api/AOP/RechargeStatus", wantEnquiry: "https://api.aopay.co.in/api/AOP/RechargeStatus", wantDisplay: "https://api.aopay.co.in/api/AOP/RechargeStatus"},
		{name: "secrets kept from display", raw: "https://user:pw@api.aopay.co.in/?key=k", wantEnquiry: "https://user:pw@api.aopay.co.in/api/AOP/RechargeStatus?key=k", wantDisplay: "https://api.aopay.co.in/api/AOP/RechargeStatus"},
		{name: "no scheme", raw: "api.aopay.co.in", wantErr: "absolute http"},
		{name: "other scheme", raw: "ftp://api.aopay.co.in", wantErr: "absolute http"},
		{name: "fragment", raw: "https://api.aopay.co.in/#x", wantErr: "fragment"},
		{name: "malformed", raw: "http://[::1", wantErr: "proxy upstream"},
		{name: "malformed, credentials kept from the error", raw: "http://user:pass@[::1", wantErr: "not a valid URL"},
		{name: "other scheme, credentials kept from the error", raw: "ftp://user:pass@api.aopay.co.in", wantErr: "absolute http"},
		{name: "fragment, credentials kept from the error", raw: "https://user:pass@api.aopay.co.in/#x", wantErr: "fragment"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := ParseUpstream(tt.raw)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one mentioning %q", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "pass") {
					t.Fatalf("error %q shows the URL's password", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			target := enquiryURL(u)
			if target.String() != tt.wantEnquiry || DisplayURL(target) != tt.wantDisplay {
				t.Fatalf("enquiry URL %q shown %q", target, DisplayURL(target))
			}
		})
	}
}

func TestUpstreamBoundKeepsClearOfTheWriteDeadline(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name                           string
		timeout, writeTimeout, elapsed time.Duration
		want                           time.Duration
	}{
		{name: "fresh request, the proxy timeout", timeout: 10 * time.Second, writeTimeout: serverWriteTimeout, want: 10 * time.Second},
		{name: "after a 48s latency fault", timeout: 15 * time.Second, writeTimeout: 60 * time.Second, elapsed: 48 * time.Second, want: 10 * time.Second},
		{name: "nothing left", timeout: 15 * time.Second, writeTimeout: 60 * time.Second, elapsed: 59 * time.Second, want: -1 * time.Second},
		{name: "short write timeout", timeout: 15 * time.Second, writeTimeout: 5 * time.Second, want: 3 * time.Second},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := upstreamBound(tt.timeout, tt.writeTimeout, tt.elapsed)
			if got != tt.want {
				t.Fatalf("bound %s, want %s", got, tt.want)
			}
			if got > 0 && tt.elapsed+got > tt.writeTimeout-writeDeadlineMargin {
				t.Fatalf("the upstream may run until %s, past the write deadline's margin", tt.elapsed+got)
			}
		})
	}
}

func TestTransactionOfReadsTheProviderData(t *testing.T) {
	t.Parallel()
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
		wantState transaction.State
		wantErr   string
	}{
		{name: "success", edit: func(map[string]any) {}, wantState: transaction.StateSuccess},
		{name: "failed", edit: func(d map[string]any) { d["status"] = "0" }, wantState: transaction.StateFailed},
		{name: "refunded", edit: func(d map[string]any) {
			d["status"], d["refunded"], d["refundtxnid"], d["daterefunded"] = "0", "1", "RF1", "2026-03-05 18:02:37"
		}, wantState: transaction.StateRefunded},
		{name: "pending 2", edit: func(d map[string]any) { d["status"] = "2" }, wantState: transaction.StatePending},
		{name: "pending other value", edit: func(d map[string]any) { d["status"] = "IN PROCESS" }, wantState: transaction.StatePending},
		{name: "amount as number", edit: func(d map[string]any) { d["amount"] = 1000 }, wantErr: "data.amount is 1000, not a string"},
		{name: "dateadded in another format", edit: func(d map[string]any) { d["dateadded"] = "2026-03-05T17:15:02Z" }, wantErr: "data.dateadded"},
		{name: "daterefunded in another format", edit: func(d map[string]any) { d["daterefunded"] = "05/03/2026" }, wantErr: "data.daterefunded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "X"}
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
			if tx.State != tt.wantState || tx.Key != key || tx.TxnID != "7310042220" || tx.DateAdded != "2026-03-05 17:15:02" || tx.Scenario != RecordedScenario {
				t.Fatalf("read %+v", tx)
			}
			if (tx.State == transaction.StateRefunded) != (tx.DateRefunded != "") {
				t.Fatalf("daterefunded %v for a %s transaction", tx.DateRefunded, tx.State)
			}
		})
	}
}

// recording is what the files of a recording in dir hold.
func recording(dir string) []byte {
	regs, _ := os.ReadFile(filepath.Join(dir, RecordRegistrationsFile))
	txs, _ := os.ReadFile(filepath.Join(dir, RecordTransactionsFile))
	return append(regs, txs...)
}

// newTestRecorder records into dir, holding each transaction to what a
// fixtures file accepts.
func newTestRecorder(t *testing.T, dir string) (*recorder, error) {
	t.Helper()
	rec, err := openRecorder(dir, "https://api.aopay.co.in", func(tx fixtures.Transaction) error {
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
	t.Parallel()
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
			before := recording(dir)
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
			after := recording(dir)
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
	set, err := fixtures.Load(context.Background(), dir, nil)
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
	t.Parallel()
	file := filepath.Join(t.TempDir(), "not-a-directory")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestRecorder(t, file); err == nil || !strings.Contains(err.Error(), "record") {
		t.Fatalf("recording into a file: %v", err)
	}
	broken := t.TempDir()
	if err := os.WriteFile(filepath.Join(broken, RecordTransactionsFile), []byte("transactions: [{state: done}]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := newTestRecorder(t, broken); err == nil || !strings.Contains(err.Error(), "continue the recording") {
		t.Fatalf("continuing a broken recording: %v", err)
	}
}
