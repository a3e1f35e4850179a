package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// faultCheck asserts what a client saw of one faulted enquiry of
// AOP-554/12345678.
type faultCheck func(t *testing.T, e enquiry)

// wantProviderError expects an answer in the provider's envelope that
// openapi.yaml declares.
func wantProviderError(status, code int, message string) faultCheck {
	return func(t *testing.T, e enquiry) {
		t.Helper()
		if e.err != nil {
			t.Fatalf("client error %v, want HTTP %d", e.err, status)
		}
		if v := violations("AOP-554", "12345678", e); len(v) > 0 {
			t.Fatalf("answer %d %s breaks openapi.yaml: %v", e.status, e.body, v)
		}
		var got rechargestatus.ErrorAnswer
		if err := json.Unmarshal(e.body, &got); err != nil {
			t.Fatalf("body %q: %v", e.body, err)
		}
		if e.status != status || got.ResponseCode != code || got.Message != message || got.Status {
			t.Fatalf("got %d %s, want %d code %d %q", e.status, e.body, status, code, message)
		}
	}
}

// wantConnectionCut expects the connection to end without a complete answer.
func wantConnectionCut(t *testing.T, e enquiry) {
	t.Helper()
	if e.err == nil {
		t.Fatalf("client got %d %q, want a failed connection", e.status, e.body)
	}
	if !errors.Is(e.err, syscall.ECONNRESET) && !errors.Is(e.err, io.EOF) && !errors.Is(e.err, io.ErrUnexpectedEOF) {
		t.Fatalf("client error %v, want connection reset or EOF", e.err)
	}
}

// wantViolation expects a complete 200 answer that breaks openapi.yaml by rule.
func wantViolation(rule string) func(t *testing.T, e enquiry) {
	return func(t *testing.T, e enquiry) {
		t.Helper()
		v := violations("AOP-554", "12345678", e)
		for _, viol := range v {
			if viol.Rule == rule {
				return
			}
		}
		t.Fatalf("violations %v, want one of rule %s", v, rule)
	}
}

func TestFaultKindsAsClientsSeeThem(t *testing.T) {
	t.Parallel()
	pageAnswer := `{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`
	tests := []struct {
		name          string
		rule          map[string]any
		clientTimeout time.Duration
		check         faultCheck
		// counted is whether the enquiry reached the transaction.
		counted bool
	}{
		{name: "status 500", rule: map[string]any{"kind": "status", "status": 500}, check: wantProviderError(500, 5, rechargestatus.MessageUnableToProcess)},
		{name: "status 502", rule: map[string]any{"kind": "status", "status": 502}, check: wantProviderError(502, 5, "Bad Gateway")},
		{name: "status 503", rule: map[string]any{"kind": "status", "status": 503}, check: wantProviderError(503, 5, "Service Unavailable")},
		{name: "status 504", rule: map[string]any{"kind": "status", "status": 504}, check: wantProviderError(504, 5, "Gateway Timeout")},
		{name: "status 412", rule: map[string]any{"kind": "status", "status": 412}, check: wantProviderError(412, 6, "Jwt Token Error")},
		{name: "status 404", rule: map[string]any{"kind": "status", "status": 404}, check: wantProviderError(404, 3, "service is disabled")},
		{name: "status 429 with Retry-After", rule: map[string]any{"kind": "status", "status": 429, "retryAfter": "7"}, check: func(t *testing.T, e enquiry) {
			wantProviderError(429, 5, "Too Many Requests")(t, e)
			if got := e.header.Get("Retry-After"); got != "7" {
				t.Fatalf("Retry-After %q, want 7", got)
			}
		}},
		{name: "status 429 default Retry-After", rule: map[string]any{"kind": "status", "status": 429}, check: func(t *testing.T, e enquiry) {
			wantProviderError(429, 5, "Too Many Requests")(t, e)
			if got := e.header.Get("Retry-After"); got != "1" {
				t.Fatalf("Retry-After %q, want 1", got)
			}
		}},
		{name: "status after a delay", rule: map[string]any{"kind": "status", "status": 503, "latency": "60ms"}, check: func(t *testing.T, e enquiry) {
			wantProviderError(503, 5, "Service Unavailable")(t, e)
			if e.elapsed < 60*time.Millisecond {
				t.Fatalf("answered after %s, want at least 60ms", e.elapsed)
			}
		}},
		{name: "reset", rule: map[string]any{"kind": "reset"}, check: wantConnectionCut},
		{name: "empty", rule: map[string]any{"kind": "empty"}, check: func(t *testing.T, e enquiry) {
			if e.err != nil || e.status != 200 || len(e.body) != 0 || !strings.HasPrefix(e.header.Get("Content-Type"), "application/json") {
				t.Fatalf("got %v %d %q %q, want 200 JSON with an empty body", e.err, e.status, e.header.Get("Content-Type"), e.body)
			}
			var v any
			if err := json.Unmarshal(e.body, &v); err == nil || !strings.Contains(err.Error(), "unexpected end of JSON input") {
				t.Fatalf("decoding the body: %v, want unexpected end of JSON input", err)
			}
		}},
		{name: "truncated", rule: map[string]any{"kind": "truncated"}, counted: true, check: func(t *testing.T, e enquiry) {
			if !errors.Is(e.err, io.ErrUnexpectedEOF) {
				t.Fatalf("reading the body: %v, want unexpected EOF", e.err)
			}
			if e.status != 200 || len(e.body) != len(pageAnswer)/2 || !strings.HasPrefix(pageAnswer, string(e.body)) {
				t.Fatalf("got %d %q, want the first half of the real answer", e.status, e.body)
			}
		}},
		{name: "malformed", rule: map[string]any{"kind": "malformed"}, counted: true, check: func(t *testing.T, e enquiry) {
			if e.err != nil || e.status != 200 {
				t.Fatalf("got %v %d, want 200", e.err, e.status)
			}
			var v any
			var syntax *json.SyntaxError
			if err := json.Unmarshal(e.body, &v); !errors.As(err, &syntax) {
				t.Fatalf("decoding %q: %v, want a JSON syntax error", e.body, err)
			}
			wantViolation("json")(t, e)
		}},
		{name: "content-type", rule: map[string]any{"kind": "content-type"}, counted: true, check: func(t *testing.T, e enquiry) {
			if e.err != nil || e.status != 200 || !strings.HasPrefix(e.header.Get("Content-Type"), "text/html") || string(e.body) != pageAnswer {
				t.Fatalf("got %v %d %q %q, want the real answer as text/html", e.err, e.status, e.header.Get("Content-Type"), e.body)
			}
			wantViolation("content-type")(t, e)
		}},
		{name: "trickle", rule: map[string]any{"kind": "trickle", "latency": "120ms"}, counted: true, check: func(t *testing.T, e enquiry) {
			if e.err != nil || e.status != 200 || string(e.body) != pageAnswer {
				t.Fatalf("got %v %d %q, want the whole real answer", e.err, e.status, e.body)
			}
			if v := violations("AOP-554", "12345678", e); len(v) > 0 {
				t.Fatalf("trickled answer breaks openapi.yaml: %v", v)
			}
			if e.elapsed < 100*time.Millisecond {
				t.Fatalf("arrived in %s, want it spread over about 120ms", e.elapsed)
			}
		}},
		{name: "latency", rule: map[string]any{"kind": "latency", "latency": "60ms"}, counted: true, check: func(t *testing.T, e enquiry) {
			if e.err != nil || string(e.body) != pageAnswer {
				t.Fatalf("got %v %q, want the real answer", e.err, e.body)
			}
			if v := violations("AOP-554", "12345678", e); len(v) > 0 {
				t.Fatalf("delayed answer breaks openapi.yaml: %v", v)
			}
			if e.elapsed < 60*time.Millisecond {
				t.Fatalf("answered in %s, want at least 60ms", e.elapsed)
			}
		}},
		{name: "latency range", rule: map[string]any{"kind": "latency", "latencyMin": "40ms", "latencyMax": "80ms"}, counted: true, check: func(t *testing.T, e enquiry) {
			if e.err != nil || string(e.body) != pageAnswer {
				t.Fatalf("got %v %q, want the real answer", e.err, e.body)
			}
			if v := violations("AOP-554", "12345678", e); len(v) > 0 {
				t.Fatalf("delayed answer breaks openapi.yaml: %v", v)
			}
			if e.elapsed < 40*time.Millisecond {
				t.Fatalf("answered in %s, want at least 40ms", e.elapsed)
			}
		}},
		{name: "hang until the client gives up", rule: map[string]any{"kind": "hang", "latency": "20s"}, clientTimeout: 100 * time.Millisecond, check: func(t *testing.T, e enquiry) {
			var ne net.Error
			if !errors.As(e.err, &ne) || !ne.Timeout() {
				t.Fatalf("client error %v, want its timeout", e.err)
			}
			if e.elapsed > 5*time.Second {
				t.Fatalf("gave up after %s", e.elapsed)
			}
		}},
		{name: "hang until its bound", rule: map[string]any{"kind": "hang", "latency": "60ms"}, check: func(t *testing.T, e enquiry) {
			wantConnectionCut(t, e)
			if e.elapsed < 60*time.Millisecond {
				t.Fatalf("connection closed after %s, want at least 60ms", e.elapsed)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// A sandbox of its own: the faults wait in parallel.
			t.Parallel()
			sb := newSandbox(t, Config{})
			rule := map[string]any{"count": 1, "referenceId": "12345678"}
			for k, v := range tt.rule {
				rule[k] = v
			}
			if a := sb.admin(http.MethodPost, "/__admin/faults", rule); a.status != http.StatusCreated {
				t.Fatalf("add rule: %d %s", a.status, a.body)
			}
			var before admin.TransactionView
			sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/12345678", nil).decode(t, &before)
			journaled := sb.srv.journal.Len()

			// A fresh client each time, so that a cut connection is not reused.
			client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{}}
			if tt.clientTimeout > 0 {
				client.Timeout = tt.clientTimeout
			}
			e := sb.enquire(client, "AOP-554", "12345678", nil)
			tt.check(t, e)

			// The server journals a request once its handler is done, which
			// may be after the client gave up or read the last byte.
			sb.waitJournalLen(journaled + 1)
			var entries struct{ Requests []admin.JournalEntry }
			sb.admin(http.MethodGet, "/__admin/requests?limit=1", nil).decode(t, &entries)
			if len(entries.Requests) != 1 || !strings.HasPrefix(entries.Requests[0].Fault, "rule f") || !strings.Contains(entries.Requests[0].Fault, tt.rule["kind"].(string)) {
				t.Fatalf("journal entry %+v does not record the fault", entries.Requests)
			}
			var after admin.TransactionView
			sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/12345678", nil).decode(t, &after)
			if counted := after.Enquiries - before.Enquiries; counted != map[bool]int{true: 1, false: 0}[tt.counted] {
				t.Fatalf("the faulted enquiry counted %d times, want counted=%v", counted, tt.counted)
			}

			// The rule had a count of one: the next enquiry is answered normally.
			if next, _ := sb.enquireValid("AOP-554", "12345678", nil); string(next.body) != pageAnswer {
				t.Fatalf("after the rule expired: %d %s", next.status, next.body)
			}
		})
	}
}

func TestFaultScopes(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		rule    map[string]any
		faulted map[string]bool // "registration/reference" → faulted
	}{
		{name: "everything", rule: map[string]any{"kind": "status", "status": 503}, faulted: map[string]bool{"AOP-554/A-1": true, "AOP-554/B-1": true, "AOP-SECURE/A-1": true}},
		{name: "one reference", rule: map[string]any{"kind": "status", "status": 503, "referenceId": "A-1"}, faulted: map[string]bool{"AOP-554/A-1": true, "AOP-554/B-1": false, "AOP-SECURE/A-1": true}},
		{name: "one registration", rule: map[string]any{"kind": "status", "status": 503, "registrationId": "AOP-554"}, faulted: map[string]bool{"AOP-554/A-1": true, "AOP-554/B-1": true, "AOP-SECURE/A-1": false}},
		{name: "both", rule: map[string]any{"kind": "status", "status": 503, "registrationId": "AOP-554", "referenceId": "A-1"}, faulted: map[string]bool{"AOP-554/A-1": true, "AOP-554/B-1": false, "AOP-SECURE/A-1": false}},
	}
	sb := newSandbox(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb.admin(http.MethodPut, "/__admin/faults", map[string]any{"faults": []any{tt.rule}})
			for key, want := range tt.faulted {
				reg, ref, _ := strings.Cut(key, "/")
				e := sb.enquire(sb.client, reg, ref, nil)
				if v := violations(reg, ref, e); e.err != nil || len(v) > 0 {
					t.Fatalf("%s: %v %v", key, e.err, v)
				}
				if got := e.status == http.StatusServiceUnavailable; got != want {
					t.Fatalf("%s answered %d, faulted=%v, want %v", key, e.status, got, want)
				}
			}
		})
	}
}

func TestFaultCountExpires(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	a := sb.admin(http.MethodPost, "/__admin/faults", map[string]any{"kind": "status", "status": 500, "count": 2})
	var rule admin.FaultRule
	a.decode(t, &rule)
	if a.status != http.StatusCreated || rule.ID == "" || rule.Remaining == nil || *rule.Remaining != 2 {
		t.Fatalf("add: %d %s", a.status, a.body)
	}
	steps := []struct {
		name          string
		wantStatus    int
		wantRemaining int // -1: the rule is gone
	}{
		{"first", 500, 1},
		{"second", 500, -1},
		{"third", 200, -1},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			e := sb.enquire(sb.client, "AOP-554", "12345678", nil)
			if e.err != nil || e.status != st.wantStatus {
				t.Fatalf("got %v %d, want %d", e.err, e.status, st.wantStatus)
			}
			if v := violations("AOP-554", "12345678", e); len(v) > 0 {
				t.Fatal(v)
			}
			var list admin.FaultList
			sb.admin(http.MethodGet, "/__admin/faults", nil).decode(t, &list)
			switch {
			case st.wantRemaining < 0 && len(list.Faults) != 0:
				t.Fatalf("rule still listed: %+v", list.Faults)
			case st.wantRemaining >= 0 && (len(list.Faults) != 1 || *list.Faults[0].Remaining != st.wantRemaining || list.Faults[0].Injected != 2-st.wantRemaining):
				t.Fatalf("rules %+v, want remaining %d", list.Faults, st.wantRemaining)
			}
		})
	}
}

// faultPattern enquires n times and marks each enquiry faulted or not.
func faultPattern(t *testing.T, seed int64, n int) string {
	t.Helper()
	sb := newSandbox(t, Config{Seed: seed})
	sb.admin(http.MethodPost, "/__admin/faults", map[string]any{"kind": "status", "status": 503, "probability": 0.5})
	var b strings.Builder
	for range n {
		e := sb.enquire(sb.client, "AOP-554", "12345678", nil)
		if e.err != nil {
			t.Fatal(e.err)
		}
		if e.status == http.StatusServiceUnavailable {
			b.WriteByte('x')
		} else {
			b.WriteByte('.')
		}
	}
	return b.String()
}

func TestFaultProbabilityIsDeterministicForASeed(t *testing.T) {
	t.Parallel()
	const n = 40
	first := faultPattern(t, 7, n)
	again := faultPattern(t, 7, n)
	other := faultPattern(t, 8, n)
	if first != again {
		t.Fatalf("seed 7 gave %s then %s", first, again)
	}
	if first == other {
		t.Fatalf("seeds 7 and 8 gave the same pattern %s", first)
	}
	if k := strings.Count(first, "x"); k < n/5 || k > n*4/5 {
		t.Fatalf("probability 0.5 faulted %d of %d enquiries: %s", k, n, first)
	}
}

func TestFaultHeaderOverHTTP(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		disabled   bool
		header     string
		wantStatus int
		wantInBody string
		wantFault  string
	}{
		{name: "status", header: "status=503", wantStatus: 503, wantInBody: "Service Unavailable", wantFault: "header: status=503"},
		{name: "429", header: "status=429;retryAfter=3", wantStatus: 429, wantInBody: "Too Many Requests", wantFault: "header: status=429;retryAfter=3"},
		{name: "invalid header", header: "status=418", wantStatus: 400, wantInBody: "X-Mock-Fault: status 418"},
		{name: "spaces around = and ;", header: " status = 429 ; retryAfter = 3 ", wantStatus: 429, wantInBody: "Too Many Requests", wantFault: "header: status=429;retryAfter=3"},
		{name: "empty parameters", header: "status=503;;;", wantStatus: 400, wantInBody: "X-Mock-Fault: parameter 1 after the kind is empty"},
		{name: "repeated parameter", header: "status=503;status=500", wantStatus: 400, wantInBody: "X-Mock-Fault: parameter status is given twice"},
		{name: "disabled", disabled: true, header: "status=503", wantStatus: 200, wantInBody: "Transaction Enquiry Successful"},
		{name: "disabled ignores invalid headers too", disabled: true, header: "boom", wantStatus: 200, wantInBody: "Transaction Enquiry Successful"},
	}
	on := newSandbox(t, Config{})
	off := newSandbox(t, Config{DisableFaultHeader: true})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := on
			if tt.disabled {
				sb = off
			}
			e, parsed := sb.enquireValid("AOP-554", "12345678", http.Header{admin.FaultHeader: {tt.header}})
			if e.status != tt.wantStatus || !strings.Contains(string(e.body), tt.wantInBody) {
				t.Fatalf("got %d %s (%v), want %d containing %q", e.status, e.body, parsed, tt.wantStatus, tt.wantInBody)
			}
			var entries struct{ Requests []admin.JournalEntry }
			sb.admin(http.MethodGet, "/__admin/requests?limit=1", nil).decode(t, &entries)
			if got := entries.Requests[0].Fault; got != tt.wantFault {
				t.Fatalf("journal fault %q, want %q", got, tt.wantFault)
			}
		})
	}
	t.Run("header reset", func(t *testing.T) {
		client := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{}}
		wantConnectionCut(t, on.enquire(client, "AOP-554", "12345678", http.Header{admin.FaultHeader: {"reset"}}))
	})
	t.Run("header wins over rules", func(t *testing.T) {
		on.admin(http.MethodPut, "/__admin/faults", map[string]any{"faults": []any{map[string]any{"kind": "status", "status": 500}}})
		defer on.admin(http.MethodDelete, "/__admin/faults", nil)
		if e, _ := on.enquireValid("AOP-554", "12345678", http.Header{admin.FaultHeader: {"status=504"}}); e.status != 504 {
			t.Fatalf("got %d", e.status)
		}
	})
}

func TestFaultRuleAdmin(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	steps := []struct {
		name       string
		method     string
		path       string
		body       any
		wantStatus int
		wantIDs    []string // the rules listed afterwards
		wantCode   string
		wantInMsg  string
	}{
		{name: "replace", method: http.MethodPut, path: "/__admin/faults", body: map[string]any{"faults": []any{
			map[string]any{"kind": "latency", "latency": "10ms"},
			map[string]any{"id": "slow", "kind": "trickle"},
		}}, wantStatus: 200, wantIDs: []string{"f1", "slow"}},
		{name: "add", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "reset", "probability": 0}, wantStatus: 201, wantIDs: []string{"f1", "slow", "f2"}},
		{name: "add with a taken id", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"id": "slow", "kind": "empty"}, wantStatus: 409, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeConflict, wantInMsg: `a fault rule with id "slow" already exists`},
		{name: "add without status", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "status"}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: "status is required for kind status"},
		{name: "add an unknown status", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "status", "status": 418}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: "status"},
		{name: "add a probability above one", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "reset", "probability": 2}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: "probability"},
		{name: "add an inverted range", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "latency", "latencyMin": "2s", "latencyMax": "1s"}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: "latencyMin 2s must not exceed latencyMax 1s"},
		{name: "add a delay too long", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "hang", "latency": "10m"}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: "latency 10m0s exceeds the largest delay"},
		{name: "add retryAfter to a 503", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "status", "status": 503, "retryAfter": "2"}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: "retryAfter applies only to status 429"},
		{name: "replace with a bad rule changes nothing", method: http.MethodPut, path: "/__admin/faults", body: map[string]any{"faults": []any{map[string]any{"kind": "reset"}, map[string]any{"kind": "latency"}}}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: "faults[1].latency"},
		{name: "replace with a duplicate id", method: http.MethodPut, path: "/__admin/faults", body: map[string]any{"faults": []any{map[string]any{"id": "a", "kind": "reset"}, map[string]any{"id": "a", "kind": "empty"}}}, wantStatus: 400, wantIDs: []string{"f1", "slow", "f2"}, wantCode: admin.CodeInvalid, wantInMsg: `id "a" is used twice`},
		{name: "delete one", method: http.MethodDelete, path: "/__admin/faults/slow", wantStatus: 204, wantIDs: []string{"f1", "f2"}},
		{name: "delete a missing one", method: http.MethodDelete, path: "/__admin/faults/slow", wantStatus: 404, wantIDs: []string{"f1", "f2"}, wantCode: admin.CodeNotFound, wantInMsg: `no fault rule with id "slow"`},
		{name: "delete all", method: http.MethodDelete, path: "/__admin/faults", wantStatus: 204, wantIDs: []string{}},
		{name: "ids keep counting", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "empty"}, wantStatus: 201, wantIDs: []string{"f3"}},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			a := sb.admin(st.method, st.path, st.body)
			if a.status != st.wantStatus {
				t.Fatalf("%d %s, want %d", a.status, a.body, st.wantStatus)
			}
			if st.wantCode != "" {
				if code, msg := a.errorMessage(t); code != st.wantCode || !strings.Contains(msg, st.wantInMsg) {
					t.Fatalf("error %s %q, want %s containing %q", code, msg, st.wantCode, st.wantInMsg)
				}
			}
			var list admin.FaultList
			sb.admin(http.MethodGet, "/__admin/faults", nil).decode(t, &list)
			ids := []string{}
			for _, f := range list.Faults {
				ids = append(ids, f.ID)
			}
			if strings.Join(ids, ",") != strings.Join(st.wantIDs, ",") {
				t.Fatalf("rules %v, want %v", ids, st.wantIDs)
			}
		})
	}
}

func TestFaultsAndClockSurviveARestartOnTheSameStore(t *testing.T) {
	t.Parallel()
	store := recharge.NewMemoryStore()
	first := newSandbox(t, Config{Store: store, Clock: recharge.NewFrozenClock(sandboxEpoch)})
	first.admin(http.MethodPut, "/__admin/faults", map[string]any{"faults": []any{
		map[string]any{"kind": "status", "status": 503, "count": 3, "referenceId": "12345678"},
		map[string]any{"kind": "latency", "latency": "1ms", "referenceId": "OTHER"},
	}})
	first.enquire(first.client, "AOP-554", "12345678", nil)
	first.admin(http.MethodPost, "/__admin/clock", map[string]any{"advance": "2h"})

	second := newSandbox(t, Config{Store: store, Clock: recharge.NewFrozenClock(time.Now())})
	var list admin.FaultList
	second.admin(http.MethodGet, "/__admin/faults", nil).decode(t, &list)
	if len(list.Faults) != 2 || list.Faults[0].ID != "f1" || *list.Faults[0].Remaining != 2 {
		t.Fatalf("restored rules %+v, want f1 with 2 remaining and f2", list.Faults)
	}
	var c admin.Clock
	second.admin(http.MethodGet, "/__admin/clock", nil).decode(t, &c)
	if want := sandboxEpoch.Add(2 * time.Hour); !c.Now.Equal(want) || !c.Frozen {
		t.Fatalf("restored clock %+v, want frozen at %s", c, want)
	}
	if a := second.admin(http.MethodPost, "/__admin/faults", map[string]any{"kind": "empty"}); !strings.Contains(string(a.body), `"id":"f3"`) {
		t.Fatalf("ids restarted after a restart: %s", a.body)
	}
}

// failingSettings is a store whose settings and records cannot be saved.
type failingSettings struct {
	*recharge.MemoryStore
}

func (failingSettings) SaveSetting(context.Context, string, []byte) error {
	return errors.New("disk full")
}

func (failingSettings) WriteRecords(context.Context, string, bool, []recharge.Record) error {
	return errors.New("disk full")
}

func TestAdminWritesFailWhenTheStoreCannotCommit(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{Store: failingSettings{recharge.NewMemoryStore()}})
	tests := []struct {
		name, method, path string
		body               any
	}{
		{name: "replace faults", method: http.MethodPut, path: "/__admin/faults", body: map[string]any{"faults": []any{map[string]any{"kind": "reset"}}}},
		{name: "add fault", method: http.MethodPost, path: "/__admin/faults", body: map[string]any{"kind": "reset"}},
		{name: "move clock", method: http.MethodPost, path: "/__admin/clock", body: map[string]any{"advance": "1h"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sb.admin(tt.method, tt.path, tt.body)
			if code, msg := a.errorMessage(t); a.status != http.StatusInternalServerError || code != admin.CodeInternal || !strings.Contains(msg, "disk full") {
				t.Fatalf("got %d %s %q, want 500 internal", a.status, code, msg)
			}
		})
	}
	if len(sb.srv.control.Faults().List()) != 0 {
		t.Fatal("a rule the store did not commit is in force")
	}
	if now := sb.srv.control.Now(); !now.Equal(sandboxEpoch) {
		t.Fatalf("the clock moved to %s although its state was not committed", now)
	}
}

// TestAddFaultIsCappedLikeReplace adds rules one by one past the cap that
// PUT holds a whole list to: the one past it is refused, in the admin
// error format, and nothing is added.
func TestAddFaultIsCappedLikeReplace(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	for i := range admin.MaxFaultRules {
		if a := sb.admin(http.MethodPost, "/__admin/faults", map[string]any{"kind": "reset", "referenceId": fmt.Sprintf("R-%d", i)}); a.status != http.StatusCreated {
			t.Fatalf("rule %d: %d %s", i+1, a.status, a.body)
		}
	}
	a := sb.admin(http.MethodPost, "/__admin/faults", map[string]any{"kind": "reset"})
	if code, msg := a.errorMessage(t); a.status != http.StatusConflict || code != admin.CodeConflict || !strings.Contains(msg, fmt.Sprint(admin.MaxFaultRules)) {
		t.Fatalf("rule %d: %d %s %q, want 409 conflict naming the cap", admin.MaxFaultRules+1, a.status, code, msg)
	}
	tooMany := make([]any, admin.MaxFaultRules+1)
	for i := range tooMany {
		tooMany[i] = map[string]any{"kind": "reset"}
	}
	if a := sb.admin(http.MethodPut, "/__admin/faults", map[string]any{"faults": tooMany}); a.status != http.StatusBadRequest {
		t.Fatalf("PUT of %d rules: %d %s", len(tooMany), a.status, a.body)
	}
	if n := len(sb.srv.control.Faults().List()); n != admin.MaxFaultRules {
		t.Fatalf("%d rules in force, want %d", n, admin.MaxFaultRules)
	}
}

// TestFaultHeaderOverridesRulesWithoutUsingThem holds what the README and
// admin/openapi.yaml say: a request's X-Mock-Fault header wins over the
// rules in force, and a counted rule that matches the request keeps its
// count for the requests without the header.
func TestFaultHeaderOverridesRulesWithoutUsingThem(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	const ref = "ORDER-42"
	if a := sb.admin(http.MethodPost, "/__admin/faults", map[string]any{"id": "twice", "kind": "status", "status": 500, "referenceId": ref, "count": 2}); a.status != http.StatusCreated {
		t.Fatalf("add the rule: %d %s", a.status, a.body)
	}
	remaining := func() int {
		t.Helper()
		var rules struct{ Faults []admin.FaultRule }
		sb.admin(http.MethodGet, "/__admin/faults", nil).decode(t, &rules)
		if len(rules.Faults) == 0 {
			return 0
		}
		if len(rules.Faults) != 1 || rules.Faults[0].Remaining == nil {
			t.Fatalf("rules %+v, want the one counted rule", rules.Faults)
		}
		return *rules.Faults[0].Remaining
	}
	for i := range 3 {
		e := sb.enquire(sb.client, "AOP-554", ref, http.Header{admin.FaultHeader: {"status=503"}})
		if e.err != nil || e.status != http.StatusServiceUnavailable {
			t.Fatalf("header enquiry %d: %d %s (%v), want the header's 503", i+1, e.status, e.body, e.err)
		}
		if got := sb.journaled("AOP-554", ref, i+1).Fault; got != "header: status=503" {
			t.Fatalf("journal fault %q, want the header's", got)
		}
		if n := remaining(); n != 2 {
			t.Fatalf("after %d header enquiries the rule has %d left, want 2", i+1, n)
		}
	}
	for i, want := range []int{http.StatusInternalServerError, http.StatusInternalServerError, http.StatusOK} {
		if e := sb.enquire(sb.client, "AOP-554", ref, nil); e.err != nil || e.status != want {
			t.Fatalf("enquiry %d without the header: %d %s (%v), want %d", i+1, e.status, e.body, e.err, want)
		}
	}
	if got := sb.journaled("AOP-554", ref, 4).Fault; !strings.Contains(got, "twice") {
		t.Fatalf("journal fault %q, want the rule's", got)
	}
}
