package proxy_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"reflect"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/testkit"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
)

// sandboxEpoch is where the test clocks stand.
var sandboxEpoch = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

// journalHeaderLimit is the bytes of headers the journal keeps of one
// answer.
const journalHeaderLimit = 8 << 10

// upstreamExchange is one request an upstream got and what it answered.
type upstreamExchange struct {
	path   string
	header http.Header
	body   []byte
	status int
	answer http.Header
	sent   []byte
}

// upstreamTap serves a handler and keeps every exchange it had.
type upstreamTap struct {
	mu        sync.Mutex
	exchanges []upstreamExchange
}

func (tp *upstreamTap) wrap(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		path := r.URL.Path
		header := r.Header.Clone()
		r.Body = io.NopCloser(bytes.NewReader(body))
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, r)
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		_, _ = w.Write(rec.Body.Bytes())
		tp.mu.Lock()
		tp.exchanges = append(tp.exchanges, upstreamExchange{path: path, header: header, body: body, status: rec.Code, answer: rec.Header().Clone(), sent: rec.Body.Bytes()})
		tp.mu.Unlock()
	})
}

func (tp *upstreamTap) count() int {
	tp.mu.Lock()
	defer tp.mu.Unlock()
	return len(tp.exchanges)
}

func (tp *upstreamTap) last(t *testing.T) upstreamExchange {
	t.Helper()
	tp.mu.Lock()
	defer tp.mu.Unlock()
	if len(tp.exchanges) == 0 {
		t.Fatal("the upstream got no request")
	}
	return tp.exchanges[len(tp.exchanges)-1]
}

// serveLoopback serves h on 127.0.0.1 until the test ends.
func serveLoopback(t *testing.T, h http.Handler) *httptest.Server {
	t.Helper()
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	return ts
}

// newMockUpstream is a sandbox mock on a frozen clock, to stand for the
// provider.
func newMockUpstream(t *testing.T) *mockserver.Server {
	t.Helper()
	mock, err := mockserver.New(mockserver.Config{Clock: recharge.NewFrozenClock(sandboxEpoch), Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	return mock
}

// proxyRig is a mock in proxy mode, served on loopback.
type proxyRig struct {
	t      *testing.T
	srv    *mockserver.Server
	url    string
	client *http.Client
	log    *testutil.SyncBuffer
}

func newProxyRig(t *testing.T, upstream string, cfg mockserver.Config) *proxyRig {
	t.Helper()
	cfg.ProxyUpstream = upstream
	return newRig(t, cfg)
}

// newRig serves a mock made by cfg on loopback, on a frozen clock unless
// cfg has one, its warnings logged into the rig.
func newRig(t *testing.T, cfg mockserver.Config) *proxyRig {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = recharge.NewFrozenClock(sandboxEpoch)
	}
	log := &testutil.SyncBuffer{}
	cfg.Logger = slog.New(slog.NewTextHandler(log, &slog.HandlerOptions{Level: slog.LevelWarn}))
	srv, err := mockserver.New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	// Registered before the server, so it runs once the server is closed.
	t.Cleanup(func() {
		if err := srv.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	ts := serveLoopback(t, srv)
	return &proxyRig{t: t, srv: srv, url: ts.URL, client: &http.Client{Timeout: 10 * time.Second}, log: log}
}

// proxied is what a client of the proxy got.
type proxied struct {
	status  int
	header  http.Header
	body    []byte
	elapsed time.Duration
}

func (a proxied) violationCount(t *testing.T) string {
	t.Helper()
	return a.header.Get(admin.ContractViolationsHeader)
}

// send posts body to the proxy's RechargeStatus endpoint.
func (rig *proxyRig) send(method, contentType string, body []byte, header http.Header) proxied {
	rig.t.Helper()
	a, err := rig.trySend(method, contentType, body, header)
	if err != nil {
		rig.t.Fatalf("%s through the proxy: %v", body, err)
	}
	return a
}

// trySend is send for a goroutine of its own, which must not stop the test.
func (rig *proxyRig) trySend(method, contentType string, body []byte, header http.Header) (proxied, error) {
	req, err := http.NewRequest(method, rig.url+rechargestatus.EnquiryPath, bytes.NewReader(body))
	if err != nil {
		return proxied{}, err
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		req.Header[k] = v
	}
	start := time.Now()
	res, err := rig.client.Do(req)
	if err != nil {
		return proxied{}, err
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		return proxied{}, fmt.Errorf("read the proxy's answer: %w", err)
	}
	return proxied{status: res.StatusCode, header: res.Header, body: got, elapsed: time.Since(start)}, nil
}

func (rig *proxyRig) enquire(registrationID, referenceID string, header http.Header) proxied {
	rig.t.Helper()
	return rig.send(http.MethodPost, "application/json", enquiryJSON(registrationID, referenceID), header)
}

func enquiryJSON(registrationID, referenceID string) []byte {
	b, _ := json.Marshal(rechargestatus.Enquiry{ReferenceID: referenceID, RegistrationID: registrationID})
	return b
}

// mustMatchSpec fails when the answer a client got breaks openapi.yaml.
func mustMatchSpec(t *testing.T, registrationID, referenceID string, a proxied) {
	t.Helper()
	check, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, nil)
	check.Header.Set("Content-Type", "application/json")
	if v := testkit.Spec.CheckResponse(context.Background(), check, enquiryJSON(registrationID, referenceID), a.status, a.header, a.body); len(v) > 0 {
		t.Fatalf("answer %d %s breaks openapi.yaml: %v", a.status, a.body, v)
	}
}

// admin calls the proxy's admin API, with token when it is not empty.
func (rig *proxyRig) admin(method, path, token string) (int, []byte) {
	rig.t.Helper()
	req, err := http.NewRequest(method, rig.url+path, nil)
	if err != nil {
		rig.t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := rig.client.Do(req)
	if err != nil {
		rig.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	check, _ := http.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
	if v := testkit.Spec.CheckResponse(context.Background(), check, nil, res.StatusCode, res.Header, body); len(v) > 0 && path != "/metrics" {
		rig.t.Fatalf("%s %s answered %d %s, which breaks its OpenAPI document: %v", method, path, res.StatusCode, body, v)
	}
	return res.StatusCode, body
}

func (rig *proxyRig) violations(query string) admin.ViolationList {
	rig.t.Helper()
	status, body := rig.admin(http.MethodGet, "/__admin/violations"+query, "")
	if status != http.StatusOK {
		rig.t.Fatalf("GET /__admin/violations: %d %s", status, body)
	}
	var list admin.ViolationList
	if err := json.Unmarshal(body, &list); err != nil {
		rig.t.Fatalf("violations %s: %v", body, err)
	}
	return list
}

func (rig *proxyRig) metrics() string {
	rig.t.Helper()
	status, body := rig.admin(http.MethodGet, "/metrics", "")
	if status != http.StatusOK {
		rig.t.Fatalf("GET /metrics: %d", status)
	}
	return string(body)
}

// counterAtLeastOne matches a counter sample of at least 1.
func counterAtLeastOne(name, labels string) *regexp.Regexp {
	return regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(name+"{"+labels+"}") + ` [1-9][0-9]*$`)
}

func TestProxyRelaysAFaithfulUpstreamUnchanged(t *testing.T) {
	t.Parallel()
	tap := &upstreamTap{}
	upstream := serveLoopback(t, tap.wrap(http.StripPrefix("/gateway", newMockUpstream(t))))
	rig := newProxyRig(t, upstream.URL+"/gateway", mockserver.Config{})

	token := func(reqid string) http.Header {
		tok, err := partnertoken.Sign("aopay-sandbox-secret", "AOP-SECURE", reqid, sandboxEpoch)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{"Token": {tok}, "Authorisedkey": {"partner-key"}, "Cookie": {"session=abc"}, "X-Partner-Trace": {"t-1"}}
	}
	tests := []struct {
		name, registration, reference string
		header                        http.Header
		wantStatus                    int
		wantDataStatus                string
	}{
		{name: "page example", registration: "AOP-554", reference: "12345678", wantStatus: 200, wantDataStatus: "1"},
		{name: "pending, first enquiry", registration: "AOP-554", reference: "PENDING-1001", wantStatus: 200, wantDataStatus: "2"},
		{name: "pending, second enquiry", registration: "AOP-554", reference: "PENDING-1001", wantStatus: 200, wantDataStatus: "2"},
		{name: "pending resolved on the third", registration: "AOP-554", reference: "PENDING-1001", wantStatus: 200, wantDataStatus: "1"},
		{name: "failed", registration: "AOP-554", reference: "FAILED-1001", wantStatus: 200, wantDataStatus: "0"},
		{name: "refunded", registration: "AOP-554", reference: "REFUND-1001", wantStatus: 200, wantDataStatus: "0"},
		{name: "refunded again", registration: "AOP-554", reference: "REFUND-1001", wantStatus: 200, wantDataStatus: "0"},
		{name: "not found", registration: "AOP-554", reference: "NOTFOUND-1001", wantStatus: 200},
		{name: "unknown registration", registration: "NOPE", reference: "ORDER-1", wantStatus: 401},
		{name: "disabled registration", registration: "AOP-DISABLED", reference: "ORDER-1", wantStatus: 404},
		{name: "signed enquiry", registration: "AOP-SECURE", reference: "SECURE-1001", header: token("r-1"), wantStatus: 200, wantDataStatus: "1"},
		{name: "replayed token", registration: "AOP-SECURE", reference: "SECURE-1001", header: token("r-1"), wantStatus: 401},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := rig.enquire(tt.registration, tt.reference, tt.header)
			up := tap.last(t)
			if a.status != tt.wantStatus || a.status != up.status {
				t.Fatalf("status %d, upstream answered %d, want %d", a.status, up.status, tt.wantStatus)
			}
			if !bytes.Equal(a.body, up.sent) {
				t.Fatalf("body %s\nupstream sent %s", a.body, up.sent)
			}
			if got, want := a.header.Get("Content-Type"), up.answer.Get("Content-Type"); got != want {
				t.Fatalf("Content-Type %q, upstream sent %q", got, want)
			}
			if got := a.violationCount(t); got != "0" {
				t.Fatalf("%s %q on a faithful answer %s", admin.ContractViolationsHeader, got, a.body)
			}
			if got := a.header.Get(admin.UpstreamErrorHeader); got != "" {
				t.Fatalf("%s %q on a faithful answer", admin.UpstreamErrorHeader, got)
			}
			mustMatchSpec(t, tt.registration, tt.reference, a)
			var parsed struct {
				Data *struct {
					Status string `json:"status"`
				} `json:"data"`
			}
			_ = json.Unmarshal(a.body, &parsed)
			if tt.wantDataStatus != "" && (parsed.Data == nil || parsed.Data.Status != tt.wantDataStatus) {
				t.Fatalf("data.status of %s, want %q", a.body, tt.wantDataStatus)
			}
			if up.path != "/gateway"+rechargestatus.EnquiryPath {
				t.Fatalf("upstream asked at %q", up.path)
			}
			if !bytes.Equal(up.body, enquiryJSON(tt.registration, tt.reference)) {
				t.Fatalf("upstream got body %s", up.body)
			}
			if tt.header != nil {
				if up.header.Get("Token") != tt.header.Get("Token") || up.header.Get("Authorisedkey") != "partner-key" {
					t.Fatalf("Token or Authorisedkey not forwarded: %v", up.header)
				}
				if up.header.Get("Cookie") != "" || up.header.Get("X-Partner-Trace") != "" {
					t.Fatalf("headers beyond the API's were forwarded: %v", up.header)
				}
			}
			if got := up.header.Get("Via"); got != "1.1 aopay-mock" {
				t.Fatalf("upstream got Via %q, want the sandbox's", got)
			}
		})
	}
	if list := rig.violations(""); len(list.Violations) != 0 || list.Total != 0 {
		t.Fatalf("violations listed for a faithful upstream: %+v", list)
	}
	if m := rig.metrics(); strings.Contains(m, "aopay_mock_proxy_violations_total{") || strings.Contains(m, "aopay_mock_proxy_upstream_failures_total{") {
		t.Fatalf("metrics count violations or failures of a faithful upstream:\n%s", m)
	}
}

func TestProxyValidatesRequestsBeforeForwarding(t *testing.T) {
	t.Parallel()
	tap := &upstreamTap{}
	upstream := serveLoopback(t, tap.wrap(newMockUpstream(t)))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{})
	tests := []struct {
		name, method, contentType, body string
		wantStatus                      int
		wantMessage                     string
	}{
		{name: "empty referenceid", method: http.MethodPost, contentType: "application/json", body: `{"referenceid":"","RegistrationID":"AOP-554"}`, wantStatus: 400, wantMessage: "referenceid must not be empty"},
		{name: "missing RegistrationID", method: http.MethodPost, contentType: "application/json", body: `{"referenceid":"1"}`, wantStatus: 400, wantMessage: "RegistrationID is required"},
		{name: "not JSON", method: http.MethodPost, contentType: "application/json", body: `{"referenceid":`, wantStatus: 400, wantMessage: "not valid JSON"},
		{name: "text/plain", method: http.MethodPost, contentType: "text/plain", body: `{"referenceid":"1","RegistrationID":"AOP-554"}`, wantStatus: 415, wantMessage: "Content-Type"},
		{name: "GET", method: http.MethodGet, wantStatus: 405, wantMessage: "method GET"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := rig.send(tt.method, tt.contentType, []byte(tt.body), nil)
			if a.status != tt.wantStatus || !strings.Contains(string(a.body), tt.wantMessage) {
				t.Fatalf("%d %s, want %d mentioning %q", a.status, a.body, tt.wantStatus, tt.wantMessage)
			}
			mustMatchSpec(t, "AOP-554", "1", a)
		})
	}
	if n := tap.count(); n != 0 {
		t.Fatalf("the upstream got %d invalid requests", n)
	}
}

func TestProxyAppliesFaultsBeforeTheUpstream(t *testing.T) {
	t.Parallel()
	tap := &upstreamTap{}
	upstream := serveLoopback(t, tap.wrap(newMockUpstream(t)))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{})
	a := rig.enquire("AOP-554", "12345678", http.Header{admin.FaultHeader: {"status=503"}})
	if a.status != http.StatusServiceUnavailable {
		t.Fatalf("status %d %s, want the injected 503", a.status, a.body)
	}
	mustMatchSpec(t, "AOP-554", "12345678", a)
	if n := tap.count(); n != 0 {
		t.Fatalf("the upstream got %d requests; an injected status answers in its place", n)
	}
	a = rig.enquire("AOP-554", "12345678", http.Header{admin.FaultHeader: {"content-type"}})
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/html") || !bytes.Equal(a.body, tap.last(t).sent) {
		t.Fatalf("got %d %q %s, want the upstream's answer spoilt as text/html", a.status, a.header.Get("Content-Type"), a.body)
	}
}

// answerEdit changes an upstream answer; call counts the enquiries of the
// same transaction, from 1.
type answerEdit func(call int, header http.Header, envelope map[string]any)

func editData(edit func(data map[string]any)) answerEdit {
	return func(_ int, _ http.Header, envelope map[string]any) {
		data, _ := envelope["data"].(map[string]any)
		edit(data)
	}
}

// spoiltUpstream answers as the mock does, changed by edit.
func spoiltUpstream(t *testing.T, edit answerEdit) (*httptest.Server, *upstreamTap) {
	t.Helper()
	return spoiltUpstreamBytes(t, edit, nil)
}

// spoiltUpstreamBytes is spoiltUpstream whose answer's bytes raw, when not
// nil, then rewrites.
func spoiltUpstreamBytes(t *testing.T, edit answerEdit, raw func([]byte) []byte) (*httptest.Server, *upstreamTap) {
	t.Helper()
	mock := newMockUpstream(t)
	var mu sync.Mutex
	calls := map[string]int{}
	spoil := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body))
		mu.Lock()
		calls[string(body)]++
		call := calls[string(body)]
		mu.Unlock()
		rec := httptest.NewRecorder()
		mock.ServeHTTP(rec, r)
		var envelope map[string]any
		if err := json.Unmarshal(rec.Body.Bytes(), &envelope); err != nil {
			t.Errorf("the mock answered %s: %v", rec.Body.Bytes(), err)
		}
		header := rec.Header().Clone()
		edit(call, header, envelope)
		out, _ := json.Marshal(envelope)
		if raw != nil {
			out = raw(out)
		}
		for k, v := range header {
			w.Header()[k] = v
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(rec.Code)
		_, _ = w.Write(out)
	})
	tap := &upstreamTap{}
	return serveLoopback(t, tap.wrap(spoil)), tap
}

func TestProxyFlagsBrokenUpstreams(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, registration, reference string
		edit                          answerEdit
		// raw, when set, replaces the edited answer's bytes.
		raw func([]byte) []byte
		// enquiries is how many are sent; only the last one is flagged.
		enquiries                         int
		wantSource, wantRule, wantPointer string
	}{
		{name: "amount as number", registration: "AOP-554", reference: "12345678",
			edit:       editData(func(d map[string]any) { d["amount"] = 1 }),
			wantSource: conformance.SourceOpenAPI, wantRule: "type", wantPointer: "/data/amount"},
		{name: "missing data field", registration: "AOP-554", reference: "12345678",
			edit:       editData(func(d map[string]any) { delete(d, "txnid") }),
			wantSource: conformance.SourceOpenAPI, wantRule: "required", wantPointer: "/data/txnid"},
		{name: "found without data", registration: "AOP-554", reference: "12345678",
			edit:       func(_ int, _ http.Header, e map[string]any) { delete(e, "data") },
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleData, wantPointer: "/data"},
		{name: "refid not echoed", registration: "AOP-554", reference: "12345678",
			edit:       editData(func(d map[string]any) { d["refid"] = "ORDER-41" }),
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleRefID, wantPointer: "/data/refid"},
		{name: "status true with response_code 2", registration: "AOP-554", reference: "NOTFOUND-1001",
			edit:       func(_ int, _ http.Header, e map[string]any) { e["status"] = true },
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleAgreement, wantPointer: "/status"},
		{name: "error code of another status", registration: "AOP-DISABLED", reference: "ORDER-1",
			edit:       func(_ int, _ http.Header, e map[string]any) { e["response_code"] = 5 },
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleErrorCode, wantPointer: "/response_code"},
		{name: "text/html content type", registration: "AOP-554", reference: "12345678",
			edit:       func(_ int, h http.Header, _ map[string]any) { h.Set("Content-Type", "text/html; charset=utf-8") },
			wantSource: conformance.SourceOpenAPI, wantRule: "content-type", wantPointer: ""},
		{name: "amount not a decimal", registration: "AOP-554", reference: "12345678",
			edit:       editData(func(d map[string]any) { d["amount"] = "1,000" }),
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleDecimal, wantPointer: "/data/amount"},
		{name: "dateadded not a real moment", registration: "AOP-554", reference: "12345678",
			edit:       editData(func(d map[string]any) { d["dateadded"] = "2021-02-30 10:00:00" }),
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleDate, wantPointer: "/data/dateadded"},
		{name: "successful transaction refunded", registration: "AOP-554", reference: "12345678",
			edit: editData(func(d map[string]any) {
				d["refunded"] = "1"
				d["refundtxnid"] = "RF1"
				d["daterefunded"] = "2021-08-21 10:00:00"
			}),
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleDataStatus, wantPointer: "/data/refunded"},
		{name: "refunded without refundtxnid", registration: "AOP-554", reference: "REFUND-1001",
			edit:       editData(func(d map[string]any) { d["refundtxnid"] = "" }),
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleRefund, wantPointer: "/data/refundtxnid"},
		{name: "message of another code", registration: "AOP-554", reference: "NOTFOUND-1001",
			edit:       func(_ int, _ http.Header, e map[string]any) { e["message"] = "Transaction Enquiry Successful" },
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleMessage, wantPointer: "/message"},
		{name: "status as a string", registration: "AOP-554", reference: "NOTFOUND-1001",
			edit:       func(_ int, _ http.Header, e map[string]any) { e["status"] = "false" },
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleEnvelope, wantPointer: "/status"},
		{name: "body null", registration: "AOP-554", reference: "NOTFOUND-1001",
			edit:       func(_ int, _ http.Header, e map[string]any) { clear(e) },
			raw:        func([]byte) []byte { return []byte("null") },
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleJSON, wantPointer: ""},
		{name: "invalid UTF-8 in data", registration: "AOP-554", reference: "12345678",
			edit: func(int, http.Header, map[string]any) {},
			raw: func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"canumber":"`), []byte("\"canumber\":\"\xff"), 1)
			},
			wantSource: conformance.SourceStrict, wantRule: conformance.RuleUTF8, wantPointer: "/data/canumber"},
		{name: "status false, then status true", registration: "AOP-554", reference: "NOTFOUND-1001",
			edit: func(int, http.Header, map[string]any) {},
			raw: func(b []byte) []byte {
				return append(bytes.TrimSuffix(bytes.TrimSpace(b), []byte("}")), []byte(`,"status":true}`)...)
			},
			wantSource: conformance.SourceStrict, wantRule: conformance.RuleDuplicateKey, wantPointer: "/status"},
		{name: "a WRONG refid before the right one", registration: "AOP-554", reference: "12345678",
			edit: func(int, http.Header, map[string]any) {},
			raw: func(b []byte) []byte {
				return bytes.Replace(b, []byte(`"refid":"`), []byte(`"refid":"WRONG","refid":"`), 1)
			},
			wantSource: conformance.SourceStrict, wantRule: conformance.RuleDuplicateKey, wantPointer: "/data/refid"},
		{name: "final transaction changes txnid", registration: "AOP-554", reference: "12345678", enquiries: 2,
			edit: func(call int, _ http.Header, e map[string]any) {
				if call == 2 {
					e["data"].(map[string]any)["txnid"] = "9999"
				}
			},
			wantSource: conformance.SourceInvariants, wantRule: conformance.RuleFinalStable, wantPointer: "/data/txnid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstream, tap := spoiltUpstreamBytes(t, tt.edit, tt.raw)
			rig := newProxyRig(t, upstream.URL, mockserver.Config{})
			enquiries := max(tt.enquiries, 1)
			var a proxied
			for i := 1; i <= enquiries; i++ {
				a = rig.enquire(tt.registration, tt.reference, nil)
				if i < enquiries && a.violationCount(t) != "0" {
					t.Fatalf("enquiry %d flagged %s before the answer was spoilt: %s", i, a.violationCount(t), a.body)
				}
			}
			up := tap.last(t)
			if a.status != up.status || !bytes.Equal(a.body, up.sent) || a.header.Get("Content-Type") != up.answer.Get("Content-Type") {
				t.Fatalf("relayed %d %q %s, upstream sent %d %q %s", a.status, a.header.Get("Content-Type"), a.body, up.status, up.answer.Get("Content-Type"), up.sent)
			}
			list := rig.violations("?referenceId=" + tt.reference)
			if got := a.violationCount(t); got != fmt.Sprint(len(list.Violations)) || got == "0" {
				t.Fatalf("%s %q, %d violations listed: %+v", admin.ContractViolationsHeader, got, len(list.Violations), list.Violations)
			}
			var hit *admin.Violation
			for i, v := range list.Violations {
				if v.Source == tt.wantSource && v.Rule == tt.wantRule && v.Pointer == tt.wantPointer {
					hit = &list.Violations[i]
				}
			}
			if hit == nil {
				t.Fatalf("no %s %s violation at %q listed: %+v", tt.wantSource, tt.wantRule, tt.wantPointer, list.Violations)
			}
			if hit.RegistrationID != tt.registration || hit.ReferenceID != tt.reference || hit.Status != up.status || hit.Message == "" || !hit.Time.Equal(sandboxEpoch) {
				t.Fatalf("violation listed as %+v", *hit)
			}
			if m := rig.metrics(); !counterAtLeastOne("aopay_mock_proxy_violations_total", fmt.Sprintf(`rule="%s",source="%s"`, tt.wantRule, tt.wantSource)).MatchString(m) {
				t.Fatalf("metrics do not count the %s violation:\n%s", tt.wantRule, m)
			}
			logged := rig.log.String()
			if !strings.Contains(logged, `msg="contract violation"`) || !strings.Contains(logged, "rule="+tt.wantRule) || !strings.Contains(logged, "referenceid="+tt.reference) {
				t.Fatalf("violation not logged with its rule and request:\n%s", logged)
			}
		})
	}
}

// closedPort is a loopback address whose connections are refused for the
// whole test.
func closedPort(t *testing.T) string { return testutil.RefusedAddr(t) }

func TestProxyUpstreamTrouble(t *testing.T) {
	t.Parallel()
	const proxyTimeout = 300 * time.Millisecond
	// blocked answers nothing until release is called.
	blocked := func() (h http.Handler, release func()) {
		released := make(chan struct{})
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			// Reading the body lets the server notice the proxy hanging up.
			_, _ = io.Copy(io.Discard, r.Body)
			select {
			case <-released:
			case <-r.Context().Done():
			}
		}), func() { close(released) }
	}
	answering := func(status int, contentType, body string) func() (http.Handler, func()) {
		return func() (http.Handler, func()) {
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", contentType)
				w.WriteHeader(status)
				_, _ = io.WriteString(w, body)
			}), func() {}
		}
	}
	cutOff := func() (http.Handler, func()) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("Content-Length", "400")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"response_code":1,"status":true,"da`)
			if conn, _, err := http.NewResponseController(w).Hijack(); err == nil {
				_ = conn.Close()
			}
		}), func() {}
	}
	// stalled sends the start of an answer, then nothing until release.
	stalled := func() (http.Handler, func()) {
		released := make(chan struct{})
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body)
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			_, _ = io.WriteString(w, `{"response_code":1,`)
			http.NewResponseController(w).Flush()
			select {
			case <-released:
			case <-r.Context().Done():
			}
		}), func() { close(released) }
	}
	redirecting := func() (http.Handler, func()) {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "http://198.51.100.7/collect", http.StatusTemporaryRedirect)
		}), func() {}
	}
	const envelope500 = `{"status":false,"response_code":5,"message":"Unable to process request"}`
	const htmlPage = "<html><body><h1>502 Bad Gateway</h1></body></html>"
	tests := []struct {
		name string
		// upstream is nil for an upstream that is down.
		upstream func() (h http.Handler, release func())
		// wantStatus and wantKind are what the client sees.
		wantStatus int
		wantKind   string
		// relayed says the upstream's own answer reaches the client;
		// otherwise the sandbox answers in the provider's envelope.
		relayed        bool
		wantViolations bool
		wantRemarks    string
		within         time.Duration
	}{
		{name: "down", wantStatus: 502, wantKind: proxy.UpstreamRefused, wantRemarks: "refused the connection", within: 2 * time.Second},
		{name: "slow", upstream: blocked, wantStatus: 504, wantKind: proxy.UpstreamTimeout, wantRemarks: "no whole answer within 300ms", within: proxyTimeout + 2*time.Second},
		{name: "stalls mid-answer", upstream: stalled, wantStatus: 504, wantKind: proxy.UpstreamTimeout, wantRemarks: "no whole answer within 300ms", within: proxyTimeout + 2*time.Second},
		{name: "500 in the envelope", upstream: answering(500, "application/json", envelope500), wantStatus: 500, wantKind: "status-500", relayed: true},
		{name: "503 as an HTML page", upstream: answering(503, "text/html", htmlPage), wantStatus: 503, wantKind: "status-503", wantViolations: true, wantRemarks: "HTTP 503 without the provider's envelope: Content-Type text/html"},
		{name: "503 as JSON of another shape", upstream: answering(503, "application/json", `{"error":"maintenance"}`), wantStatus: 503, wantKind: "status-503", wantViolations: true, wantRemarks: "HTTP 503 without the provider's envelope"},
		{name: "520 as an HTML page", upstream: answering(520, "text/html", htmlPage), wantStatus: 502, wantKind: "status-520", wantViolations: true, wantRemarks: "HTTP 520 without the provider's envelope"},
		{name: "redirect", upstream: redirecting, wantStatus: 502, wantKind: proxy.UpstreamRedirect, wantViolations: true, wantRemarks: "redirect, HTTP 307"},
		{name: "200 as an HTML page", upstream: answering(200, "text/html", htmlPage), wantStatus: 502, wantKind: proxy.UpstreamNotJSON, wantViolations: true, wantRemarks: "not JSON: HTTP 200, Content-Type text/html"},
		{name: "200 with an empty body", upstream: answering(200, "application/json", ""), wantStatus: 502, wantKind: proxy.UpstreamNotJSON, wantViolations: true, wantRemarks: "not JSON"},
		{name: "connection cut mid-answer", upstream: cutOff, wantStatus: 502, wantKind: proxy.UpstreamBroken, wantRemarks: "closed the connection"},
		{name: "answer too large", upstream: answering(200, "application/json", `{"message":"`+strings.Repeat("x", proxy.MaxUpstreamBodyBytes)+`"}`), wantStatus: 502, wantKind: proxy.UpstreamTooLarge, wantRemarks: "larger than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			url := "http://" + closedPort(t)
			tap := &upstreamTap{}
			if tt.upstream != nil {
				h, release := tt.upstream()
				if tt.relayed {
					h = tap.wrap(h)
				}
				url = serveLoopback(t, h).URL
				// Cleanups run last first: the handler is let go before the
				// server waits for it.
				t.Cleanup(release)
			}
			// Only the cases about a slow upstream run against the short
			// timeout: the others must not turn into a timeout on a loaded
			// machine (a megabyte read within 300ms, say).
			timeout := 10 * time.Second
			if tt.wantKind == proxy.UpstreamTimeout {
				timeout = proxyTimeout
			}
			rig := newProxyRig(t, url, mockserver.Config{ProxyTimeout: timeout})
			a := rig.enquire("AOP-554", "12345678", nil)
			if a.status != tt.wantStatus || a.header.Get(admin.UpstreamErrorHeader) != tt.wantKind {
				t.Fatalf("%d %s=%q %s, want %d %s", a.status, admin.UpstreamErrorHeader, a.header.Get(admin.UpstreamErrorHeader), a.body, tt.wantStatus, tt.wantKind)
			}
			if loc := a.header.Get("Location"); loc != "" {
				t.Fatalf("the upstream's Location %q reached the client", loc)
			}
			if tt.within > 0 && a.elapsed > tt.within {
				t.Fatalf("answered after %s, want within %s", a.elapsed, tt.within)
			}
			if tt.relayed {
				if up := tap.last(t); !bytes.Equal(a.body, up.sent) {
					t.Fatalf("relayed %s, upstream sent %s", a.body, up.sent)
				}
			} else {
				mustMatchSpec(t, "AOP-554", "12345678", a)
				var e rechargestatus.ErrorAnswer
				if err := json.Unmarshal(a.body, &e); err != nil || e.Status || e.ResponseCode != rechargestatus.CodeUnableToProcess || e.Message != rechargestatus.MessageUnableToProcess || !strings.Contains(e.Remarks, tt.wantRemarks) {
					t.Fatalf("answer %s, want code 5 with remarks mentioning %q", a.body, tt.wantRemarks)
				}
			}
			if tt.relayed && !tt.wantViolations {
				mustMatchSpec(t, "AOP-554", "12345678", a)
			}
			gotViolations := a.header.Get(admin.ContractViolationsHeader)
			if tt.wantViolations != (gotViolations != "" && gotViolations != "0") {
				t.Fatalf("%s %q, want violations: %v", admin.ContractViolationsHeader, gotViolations, tt.wantViolations)
			}
			if m := rig.metrics(); !counterAtLeastOne("aopay_mock_proxy_upstream_failures_total", `kind="`+tt.wantKind+`"`).MatchString(m) {
				t.Fatalf("metrics do not count the %s failure:\n%s", tt.wantKind, m)
			}
			if logged := rig.log.String(); !strings.Contains(logged, `msg="upstream failure"`) || !strings.Contains(logged, "kind="+tt.wantKind) {
				t.Fatalf("failure not logged:\n%s", logged)
			}
		})
	}
}

func TestViolationListAdmin(t *testing.T) {
	t.Parallel()
	upstream, _ := spoiltUpstream(t, editData(func(d map[string]any) { d["refid"] = "OTHER" }))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{JournalSize: 3})
	for i := range 5 {
		rig.enquire("AOP-554", fmt.Sprintf("ORDER-%d", i), nil)
	}
	list := rig.violations("")
	if list.Total != 5 || len(list.Violations) != 3 {
		t.Fatalf("total %d, %d kept; want 5 and the latest 3", list.Total, len(list.Violations))
	}
	for i, v := range list.Violations {
		if want := fmt.Sprintf("ORDER-%d", i+2); v.ReferenceID != want || v.Rule != conformance.RuleRefID {
			t.Fatalf("violation %d is %+v, want the refid of %s (newest last)", i, v, want)
		}
	}
	if got, err := rig.srv.Admin().Violations(t.Context(), admin.ViolationQuery{}); err != nil || got.Total != list.Total || len(got.Violations) != len(list.Violations) || !reflect.DeepEqual(got.Violations[2], list.Violations[2]) {
		t.Fatalf("Admin().Violations %+v (%v), the admin API lists %+v", got, err, list)
	}
	if got := rig.violations("?referenceId=ORDER-3&rule=refid"); len(got.Violations) != 1 || got.Violations[0].ReferenceID != "ORDER-3" {
		t.Fatalf("filtered: %+v", got.Violations)
	}
	if got := rig.violations("?rule=type"); len(got.Violations) != 0 {
		t.Fatalf("filtered by another rule: %+v", got.Violations)
	}
	if status, body := rig.admin(http.MethodDelete, "/__admin/violations", ""); status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", status, body)
	}
	if got := rig.violations(""); got.Total != 0 || len(got.Violations) != 0 {
		t.Fatalf("after DELETE: %+v", got)
	}
}

func TestViolationListNeedsTheAdminToken(t *testing.T) {
	t.Parallel()
	rig := newProxyRig(t, "http://"+closedPort(t), mockserver.Config{AdminToken: "s3cret"})
	if status, _ := rig.admin(http.MethodGet, "/__admin/violations", ""); status != http.StatusUnauthorized {
		t.Fatalf("without the token: %d, want 401", status)
	}
	if status, body := rig.admin(http.MethodGet, "/__admin/violations", "s3cret"); status != http.StatusOK || !strings.Contains(string(body), `"violations":[]`) {
		t.Fatalf("with the token: %d %s", status, body)
	}
}

func TestViolationListOutsideProxyMode(t *testing.T) {
	t.Parallel()
	srv := newMockUpstream(t)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "http://127.0.0.1/__admin/violations", nil))
	if rec.Code != http.StatusOK || strings.TrimSpace(rec.Body.String()) != `{"violations":[],"total":0}` {
		t.Fatalf("%d %s", rec.Code, rec.Body.String())
	}
}

func TestRecordNeedsAnUpstream(t *testing.T) {
	t.Parallel()
	if _, err := mockserver.New(mockserver.Config{RecordDir: t.TempDir()}); err == nil || !strings.Contains(err.Error(), "proxy upstream") {
		t.Fatalf("New with a record directory and no upstream: %v", err)
	}
	if _, err := mockserver.New(mockserver.Config{ProxyUpstream: "api.aopay.co.in"}); err == nil {
		t.Fatal("New with an upstream that is no URL succeeded")
	}
}

func TestProxyUpstreamWithAnUntrustedCertificate(t *testing.T) {
	t.Parallel()
	upstream := httptest.NewUnstartedServer(newMockUpstream(t))
	upstream.Config.ErrorLog = log.New(io.Discard, "", 0)
	upstream.StartTLS()
	t.Cleanup(upstream.Close)
	rig := newProxyRig(t, upstream.URL, mockserver.Config{})
	a := rig.enquire("AOP-554", "12345678", nil)
	if a.status != http.StatusBadGateway || a.header.Get(admin.UpstreamErrorHeader) != proxy.UpstreamTLS || !strings.Contains(string(a.body), "TLS handshake failed") {
		t.Fatalf("%d %s=%q %s, want 502 tls", a.status, admin.UpstreamErrorHeader, a.header.Get(admin.UpstreamErrorHeader), a.body)
	}
	mustMatchSpec(t, "AOP-554", "12345678", a)
}

func TestProxyEndsUpstreamExchangesOnStop(t *testing.T) {
	t.Parallel()
	arrived := make(chan struct{}, 1)
	release := make(chan struct{})
	upstream := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	t.Cleanup(func() { close(release) })
	rig := newProxyRig(t, upstream.URL, mockserver.Config{ProxyTimeout: 30 * time.Second})
	answered := make(chan proxied, 1)
	failed := make(chan error, 1)
	go func() {
		a, err := rig.trySend(http.MethodPost, "application/json", enquiryJSON("AOP-554", "12345678"), nil)
		if err != nil {
			failed <- err
			return
		}
		answered <- a
	}()
	select {
	case <-arrived:
	case <-time.After(5 * time.Second):
		t.Fatal("the enquiry never reached the upstream")
	}
	rig.srv.Stop()
	select {
	case a := <-answered:
		if a.status != http.StatusServiceUnavailable || a.header.Get(admin.UpstreamErrorHeader) != proxy.UpstreamShutdown {
			t.Fatalf("%d %s=%q %s, want 503 shutdown", a.status, admin.UpstreamErrorHeader, a.header.Get(admin.UpstreamErrorHeader), a.body)
		}
		mustMatchSpec(t, "AOP-554", "12345678", a)
	case err := <-failed:
		t.Fatalf("the enquiry failed: %v", err)
	case <-time.After(5 * time.Second):
		t.Fatal("the exchange outlived Stop")
	}
}

func TestProxyBoundsUpstreamHeaders(t *testing.T) {
	t.Parallel()
	padded := func(count, size int) http.Handler {
		mock := newMockUpstream(t)
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			for i := range count {
				w.Header().Set(fmt.Sprintf("X-Padding-%03d", i), strings.Repeat("p", size))
			}
			mock.ServeHTTP(w, r)
		})
	}
	tests := []struct {
		name            string
		count, size     int
		wantStatus      int
		wantKind        string
		wantJournalTrim bool
	}{
		{name: "200 headers of 8 KB", count: 200, size: 8 << 10, wantStatus: http.StatusBadGateway, wantKind: proxy.UpstreamTooLarge},
		{name: "just over the bound", count: 9, size: 8 << 10, wantStatus: http.StatusBadGateway, wantKind: proxy.UpstreamTooLarge},
		{name: "within the bound, beyond the journal's", count: 6, size: 4 << 10, wantStatus: http.StatusOK, wantJournalTrim: true},
		{name: "small", count: 2, size: 100, wantStatus: http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			upstream := serveLoopback(t, padded(tt.count, tt.size))
			rig := newProxyRig(t, upstream.URL, mockserver.Config{})
			a := rig.enquire("AOP-554", "12345678", nil)
			if a.status != tt.wantStatus || a.header.Get(admin.UpstreamErrorHeader) != tt.wantKind {
				t.Fatalf("%d %s=%q %s, want %d %q", a.status, admin.UpstreamErrorHeader, a.header.Get(admin.UpstreamErrorHeader), a.body, tt.wantStatus, tt.wantKind)
			}
			if tt.wantKind != "" {
				mustMatchSpec(t, "AOP-554", "12345678", a)
				if !strings.Contains(string(a.body), "headers are larger than") {
					t.Fatalf("remarks of %s do not say the headers were too large", a.body)
				}
				if m := rig.metrics(); !counterAtLeastOne("aopay_mock_proxy_upstream_failures_total", `kind="`+tt.wantKind+`"`).MatchString(m) {
					t.Fatalf("metrics do not count the failure:\n%s", m)
				}
			}
			entries, err := rig.srv.Admin().ListRequests(t.Context(), admin.JournalQuery{})
			if err != nil {
				t.Fatal(err)
			}
			if len(entries) != 1 {
				t.Fatalf("%d journal entries, want 1", len(entries))
			}
			kept, trimmed := 0, false
			for k, values := range entries[0].ResponseHeaders {
				kept += len(k)
				for _, v := range values {
					kept += len(v)
					trimmed = trimmed || strings.HasSuffix(v, "…[truncated]")
				}
			}
			if kept > journalHeaderLimit+len(entries[0].ResponseHeaders)*len("…[truncated]") || trimmed != tt.wantJournalTrim {
				t.Fatalf("the journal keeps %d bytes of answer headers, truncated %v; want at most about %d, truncated %v", kept, trimmed, journalHeaderLimit, tt.wantJournalTrim)
			}
		})
	}
}

func TestProxyRedactsUpstreamSetCookieInTheJournal(t *testing.T) {
	t.Parallel()
	mock := newMockUpstream(t)
	upstream := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Add("Set-Cookie", "upstream-session=s3cr3t-cookie; HttpOnly")
		mock.ServeHTTP(w, r)
	}))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{})
	if a := rig.enquire("AOP-554", "12345678", nil); a.status != http.StatusOK {
		t.Fatalf("%d %s", a.status, a.body)
	}
	status, body := rig.admin(http.MethodGet, "/__admin/requests", "")
	if status != http.StatusOK || strings.Contains(string(body), "s3cr3t-cookie") || !strings.Contains(string(body), "[REDACTED]") {
		t.Fatalf("GET /__admin/requests: %d %s", status, body)
	}
}

func TestProxyPointedAtItselfStopsAtOnce(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	self := "http://" + ln.Addr().String()
	srv, err := mockserver.New(mockserver.Config{ProxyUpstream: self, Clock: recharge.NewFrozenClock(sandboxEpoch), Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewUnstartedServer(srv)
	_ = ts.Listener.Close()
	ts.Listener = ln
	ts.Start()
	t.Cleanup(ts.Close)
	t.Cleanup(func() { _ = srv.Close() })
	rig := &proxyRig{t: t, srv: srv, url: ts.URL, client: &http.Client{Timeout: 10 * time.Second}}
	a := rig.enquire("AOP-554", "12345678", nil)
	if a.status != http.StatusBadGateway || a.header.Get(admin.UpstreamErrorHeader) != proxy.UpstreamLoop {
		t.Fatalf("%d %s=%q %s, want 502 loop", a.status, admin.UpstreamErrorHeader, a.header.Get(admin.UpstreamErrorHeader), a.body)
	}
	mustMatchSpec(t, "AOP-554", "12345678", a)
	// The client's enquiry, and the one the proxy sent itself, refused.
	if n, _ := srv.Admin().CountRequests(t.Context(), admin.JournalQuery{}); n != 2 {
		t.Fatalf("%d requests journaled, want 2: the loop stops at the first hop", n)
	}
	var e rechargestatus.ErrorAnswer
	if err := json.Unmarshal(a.body, &e); err != nil || !strings.Contains(e.Remarks, "already went through") {
		t.Fatalf("answer %s does not say why", a.body)
	}
}
