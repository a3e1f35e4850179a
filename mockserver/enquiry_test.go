package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"golang.org/x/sync/errgroup"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/testkit"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// pageExampleBody is the answer the provider's page shows for 12345678.
const pageExampleBody = `{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`

var specValidator = testkit.Spec

type enquiryAnswer struct {
	status int
	header http.Header
	body   []byte
	parsed map[string]any
}

func (a enquiryAnswer) field(path ...string) any {
	var cur any = a.parsed
	for _, p := range path {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

// enquiryTestServer serves a mock built from cfg, on a frozen clock unless cfg
// brings one.
func enquiryTestServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = recharge.NewFrozenClock(sandboxEpoch)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return s
}

// sendToMock sends a raw request through the handler and checks the answer
// against openapi.yaml.
func sendToMock(t *testing.T, h http.Handler, method, path, contentType, body string, header http.Header) enquiryAnswer {
	t.Helper()
	sent := testkit.Send(h, method, path, contentType, header, []byte(body))
	res, got := sent, sent.Body
	a := enquiryAnswer{status: res.Status, header: res.Header, body: got}
	if err := json.Unmarshal(got, &a.parsed); err != nil {
		t.Fatalf("%s %s answered %d with a body that is not JSON: %q", method, path, res.Status, got)
	}
	if ct := res.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type %q", ct)
	}
	if path == rechargestatus.EnquiryPath && (method == http.MethodPost) {
		check := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
		check.Header.Set("Content-Type", "application/json")
		if viol := specValidator.CheckResponse(context.Background(), check, []byte(body), res.Status, res.Header, got); len(viol) > 0 {
			t.Fatalf("answer %d %s breaks openapi.yaml: %v", res.Status, got, viol)
		}
	}
	return a
}

func postEnquiry(t *testing.T, h http.Handler, registrationID, referenceID string) enquiryAnswer {
	t.Helper()
	body, _ := json.Marshal(map[string]string{"referenceid": referenceID, "RegistrationID": registrationID})
	return sendToMock(t, h, http.MethodPost, rechargestatus.EnquiryPath, "application/json", string(body), nil)
}

func TestPageExampleAnswersExactly(t *testing.T) {
	t.Parallel()
	s := enquiryTestServer(t, Config{})
	a := postEnquiry(t, s, "AOP-554", "12345678")
	if a.status != http.StatusOK {
		t.Fatalf("status %d", a.status)
	}
	if string(a.body) != pageExampleBody {
		t.Fatalf("body\n%s\nwant the page's example\n%s", a.body, pageExampleBody)
	}
}

func TestScenarios(t *testing.T) {
	t.Parallel()
	type step struct {
		status       int
		responseCode float64
		dataStatus   string // "" when no data
		refunded     string
		message      string
	}
	success := step{200, 1, "1", "0", rechargestatus.MessageFound}
	pending := step{200, 1, "2", "0", rechargestatus.MessageFound}
	failed := step{200, 1, "0", "0", rechargestatus.MessageFound}
	refunded := step{200, 1, "0", "1", rechargestatus.MessageFound}
	notFound := step{200, 2, "", "", rechargestatus.MessageNotFound}
	authFailed := step{401, 7, "", "", rechargestatus.MessageAuthenticationFailed}
	badSig := step{401, 7, "", "", rechargestatus.MessageInvalidSignatureEncoding}
	disabled := step{404, 3, "", "", rechargestatus.MessageServiceDisabled}
	tests := []struct {
		name, registration, reference string
		steps                         []step
	}{
		{"page example", "AOP-554", "12345678", []step{success, success}},
		{"fixture pending then success", "AOP-554", "PENDING-1001", []step{pending, pending, success, success}},
		{"fixture pending then failed", "AOP-554", "PENDFAIL-1001", []step{pending, pending, failed, failed}},
		{"fixture pending, failed, refunded", "AOP-554", "PENDREFUND-1001", []step{pending, failed, refunded, refunded}},
		{"fixture stuck", "AOP-554", "STUCK-1001", []step{pending, pending, pending, pending, pending}},
		{"fixture failed", "AOP-554", "FAILED-1001", []step{failed, failed}},
		{"fixture refunded", "AOP-554", "REFUND-1001", []step{refunded}},
		{"unknown reference, success", "AOP-554", "ORDER-42", []step{success, success}},
		{"unknown reference, PENDING- convention", "AOP-554", "PENDING-42", []step{pending, pending, pending, success}},
		{"unknown reference, PENDFAIL- convention", "AOP-554", "pendfail-42", []step{pending, pending, pending, failed}},
		{"unknown reference, REFUND- convention", "AOP-554", "REFUND-42", []step{refunded}},
		{"unknown reference, NOTFOUND- convention", "AOP-554", "NOTFOUND-1001", []step{notFound, notFound}},
		{"page's 401 example", "AOP-554", "BADSIG-1001", []step{badSig}},
		{"AUTHFAIL- convention", "AOP-554", "AUTHFAIL-1001", []step{authFailed}},
		{"unknown registration", "NOPE", "12345678", []step{authFailed}},
		{"registration with a key, no token", "AOP-SECURE", "SECURE-1001", []step{authFailed}},
		{"disabled registration", "AOP-DISABLED", "12345678", []step{disabled}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := enquiryTestServer(t, Config{})
			var firstData map[string]any
			for i, want := range tt.steps {
				a := postEnquiry(t, s, tt.registration, tt.reference)
				if a.status != want.status || a.field("response_code") != want.responseCode || a.field("message") != want.message {
					t.Fatalf("enquiry %d: %d %s, want %d code %v %q", i+1, a.status, a.body, want.status, want.responseCode, want.message)
				}
				wantStatus := want.status == 200 && want.responseCode == 1
				if a.field("status") != wantStatus {
					t.Fatalf("enquiry %d: status %v, want %v", i+1, a.field("status"), wantStatus)
				}
				if want.dataStatus == "" {
					if a.field("data") != nil {
						t.Fatalf("enquiry %d: data in %s", i+1, a.body)
					}
					continue
				}
				if a.field("data", "status") != want.dataStatus || a.field("data", "refunded") != want.refunded {
					t.Fatalf("enquiry %d: data %s, want status %s refunded %s", i+1, a.body, want.dataStatus, want.refunded)
				}
				if a.field("data", "refid") != tt.reference {
					t.Fatalf("refid %v, want %s", a.field("data", "refid"), tt.reference)
				}
				refundSet := a.field("data", "refundtxnid") != "" && a.field("data", "daterefunded") != nil
				if refundSet != (want.refunded == "1") {
					t.Fatalf("refund fields %v / %v with refunded %s", a.field("data", "refundtxnid"), a.field("data", "daterefunded"), want.refunded)
				}
				data := a.field("data").(map[string]any)
				if firstData == nil {
					firstData = data
				} else if data["txnid"] != firstData["txnid"] {
					t.Fatalf("txnid changed from %v to %v", firstData["txnid"], data["txnid"])
				}
			}
		})
	}
}

func TestFinalTransactionAnswersTheSameBody(t *testing.T) {
	t.Parallel()
	s := enquiryTestServer(t, Config{})
	first := postEnquiry(t, s, "AOP-554", "REFUND-77")
	for range 3 {
		if again := postEnquiry(t, s, "AOP-554", "REFUND-77"); !bytes.Equal(again.body, first.body) {
			t.Fatalf("final transaction answered\n%s\nthen\n%s", first.body, again.body)
		}
	}
}

func TestTokenHeader(t *testing.T) {
	t.Parallel()
	clock := recharge.NewFrozenClock(sandboxEpoch)
	s := enquiryTestServer(t, Config{Clock: clock})
	send := func(token string) enquiryAnswer {
		return sendToMock(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json",
			`{"referenceid":"SECURE-1001","RegistrationID":"AOP-SECURE"}`, http.Header{"Token": {token}})
	}
	tok, err := partnertoken.Sign("aopay-sandbox-secret", "AOP-SECURE", "req-1", clock.Now())
	if err != nil {
		t.Fatal(err)
	}
	if a := send(tok); a.status != 200 || a.field("data", "status") != "1" {
		t.Fatalf("valid token: %d %s", a.status, a.body)
	}
	if a := send(tok); a.status != 401 || a.field("message") != rechargestatus.MessageAuthenticationFailed {
		t.Fatalf("replayed token: %d %s", a.status, a.body)
	}
	broken := tok[:strings.LastIndex(tok, ".")+1] + "***"
	if a := send(broken); a.status != 401 || a.field("message") != rechargestatus.MessageInvalidSignatureEncoding || a.field("response_code") != float64(7) {
		t.Fatalf("bad signature encoding: %d %s", a.status, a.body)
	}
	entries := s.journal.Entries(admin.JournalQuery{ReferenceID: "SECURE-1001"})
	if len(entries) != 3 {
		t.Fatalf("journal holds %d entries, want 3", len(entries))
	}
	for _, e := range entries {
		if got := e.RequestHeaders["Token"]; len(got) != 1 || got[0] != "[REDACTED]" {
			t.Fatalf("token in the journal: %v", got)
		}
	}
}

func TestBadInput(t *testing.T) {
	t.Parallel()
	big := `{"referenceid":"` + strings.Repeat("x", DefaultMaxBodyBytes) + `","RegistrationID":"AOP-554"}`
	tests := []struct {
		name, method, path, contentType, body string
		wantStatus                            int
		wantMessage                           string
	}{
		{"malformed JSON", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"1",`, 400, "request body is not valid JSON"},
		{"empty body", "POST", rechargestatus.EnquiryPath, "application/json", ``, 400, "request body is required"},
		{"missing referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"RegistrationID":"AOP-554"}`, 400, "referenceid is required"},
		{"missing RegistrationID", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"1"}`, 400, "RegistrationID is required"},
		{"empty referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"","RegistrationID":"AOP-554"}`, 400, "referenceid must not be empty"},
		{"empty RegistrationID", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"1","RegistrationID":""}`, 400, "RegistrationID must not be empty"},
		{"numeric referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":12345678,"RegistrationID":"AOP-554"}`, 400, "referenceid must be a string"},
		{"boolean RegistrationID", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"1","RegistrationID":true}`, 400, "RegistrationID must be a string"},
		{"object referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":{"a":1},"RegistrationID":"AOP-554"}`, 400, "referenceid must be a string"},
		{"null referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":null,"RegistrationID":"AOP-554"}`, 400, "referenceid must not be null"},
		{"too long referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"` + strings.Repeat("9", 65) + `","RegistrationID":"AOP-554"}`, 400, "at most 64 characters"},
		{"blank referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"  ","RegistrationID":"AOP-554"}`, 400, "referenceid must have a visible character"},
		{"control character in referenceid", "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":"A\u0007","RegistrationID":"AOP-554"}`, 400, "no control characters"},
		{"array body", "POST", rechargestatus.EnquiryPath, "application/json", `[{"referenceid":"1"}]`, 400, "must be a JSON object"},
		{"string body", "POST", rechargestatus.EnquiryPath, "application/json", `"hello"`, 400, "must be a JSON object"},
		{"text/plain", "POST", rechargestatus.EnquiryPath, "text/plain", `{"referenceid":"1","RegistrationID":"AOP-554"}`, 415, "Content-Type must be application/json, got text/plain"},
		{"form encoded", "POST", rechargestatus.EnquiryPath, "application/x-www-form-urlencoded", `referenceid=1`, 415, "Content-Type must be application/json"},
		{"oversized body", "POST", rechargestatus.EnquiryPath, "application/json", big, 413, "larger than 16384 bytes"},
		{"GET", "GET", rechargestatus.EnquiryPath, "", ``, 405, "method GET is not allowed"},
		{"PUT", "PUT", rechargestatus.EnquiryPath, "application/json", `{}`, 405, "method PUT is not allowed"},
		{"DELETE", "DELETE", rechargestatus.EnquiryPath, "", ``, 405, "method DELETE is not allowed"},
		{"unknown path", "POST", "/api/AOP/RechargeStatu", "application/json", `{}`, 404, "no operation"},
		{"root", "GET", "/", "", ``, 404, "no operation"},
	}
	s := enquiryTestServer(t, Config{})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := sendToMock(t, s, tt.method, tt.path, tt.contentType, tt.body, nil)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d, want %d: %s", a.status, tt.wantStatus, a.body)
			}
			msg, _ := a.field("message").(string)
			if a.field("status") != false || a.field("response_code") != float64(rechargestatus.CodeValidation) ||
				!strings.HasPrefix(msg, rechargestatus.MessageValidation+": ") || !strings.Contains(msg, tt.wantMessage) {
				t.Fatalf("envelope %s, want a validation error mentioning %q", a.body, tt.wantMessage)
			}
			if tt.wantStatus == 405 && a.header.Get("Allow") != "POST" {
				t.Fatalf("Allow %q", a.header.Get("Allow"))
			}
		})
	}
	if n := s.journal.Count(admin.JournalQuery{}); n != len(tests) {
		t.Fatalf("journal counted %d requests, want %d", n, len(tests))
	}
}

func TestConfigurableAnswers(t *testing.T) {
	t.Parallel()
	d, err := dialect.Parse("page;validation-status=401;pending-status=3")
	if err != nil {
		t.Fatal(err)
	}
	s := enquiryTestServer(t, Config{Dialect: d, Unknown: recharge.UnknownNotFound})
	if a := sendToMock(t, s, "POST", rechargestatus.EnquiryPath, "application/json", `{"referenceid":""}`, nil); a.status != 401 || a.field("response_code") != float64(rechargestatus.CodeValidation) {
		t.Fatalf("validation status 401: %d %s", a.status, a.body)
	}
	if a := postEnquiry(t, s, "AOP-554", "STUCK-1001"); a.field("data", "status") != "3" {
		t.Fatalf("pending status 3: %s", a.body)
	}
	if a := postEnquiry(t, s, "AOP-554", "ORDER-1"); a.field("response_code") != float64(rechargestatus.CodeNotFound) {
		t.Fatalf("unknown=notfound: %s", a.body)
	}
	if _, err := New(Config{FixturesPath: "does-not-exist.yaml"}); err == nil {
		t.Fatal("a missing fixtures file was accepted")
	}
}

func TestConcurrentEnquiriesOverHTTP(t *testing.T) {
	t.Parallel()
	s := enquiryTestServer(t, Config{})
	ts := httptest.NewServer(s)
	defer ts.Close()
	const workers, each = 8, 25
	var g errgroup.Group
	for w := range workers {
		g.Go(func() error {
			for i := range each {
				body := fmt.Sprintf(`{"referenceid":"STUCK-1001","RegistrationID":"AOP-554","n":%d}`, w*each+i)
				res, err := http.Post(ts.URL+rechargestatus.EnquiryPath, "application/json", strings.NewReader(body))
				if err != nil {
					return err
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					return fmt.Errorf("status %d", res.StatusCode)
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	tx, err := s.control.Store().Get(context.Background(), transaction.Key{RegistrationID: "AOP-554", ReferenceID: "STUCK-1001"})
	if err != nil {
		t.Fatal(err)
	}
	if tx.Enquiries != workers*each {
		t.Fatalf("%d enquiries counted, want %d", tx.Enquiries, workers*each)
	}
}

func TestHealthEndpointCountsTransactions(t *testing.T) {
	t.Parallel()
	s := enquiryTestServer(t, Config{})
	a := sendToMock(t, s, "GET", "/__admin/health", "", "", nil)
	if a.status != 200 || a.field("status") != "ok" || a.field("transactions").(float64) < 9 {
		t.Fatalf("health: %d %s", a.status, a.body)
	}
}

func TestCaseInsensitiveFields(t *testing.T) {
	t.Parallel()
	mixed := `{"ReferenceID":"12345678","registrationid":"AOP-554"}`
	tests := []struct {
		name       string
		lenient    bool
		body       string
		wantStatus int
		wantRefID  string
	}{
		{"strict by default", false, mixed, 400, ""},
		{"lenient renames", true, mixed, 200, "12345678"},
		{"exact spelling wins", true, `{"referenceid":"FAILED-1001","REFERENCEID":"12345678","RegistrationID":"AOP-554"}`, 200, "FAILED-1001"},
		{"lenient still validates", true, `{"ReferenceId":"","RegistrationID":"AOP-554"}`, 400, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := dialect.Default()
			if tt.lenient {
				d, _ = dialect.Parse("page;case-insensitive-fields")
			}
			s := enquiryTestServer(t, Config{Dialect: d})
			a := sendToMock(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", tt.body, nil)
			if a.status != tt.wantStatus {
				t.Fatalf("status %d: %s", a.status, a.body)
			}
			if tt.wantRefID != "" && a.field("data", "refid") != tt.wantRefID {
				t.Fatalf("refid %v, want %s", a.field("data", "refid"), tt.wantRefID)
			}
			if entries := s.journal.Entries(admin.JournalQuery{}); len(entries) != 1 || entries[0].RequestBody != tt.body {
				t.Fatalf("the journal keeps what the client sent: %+v", entries)
			}
		})
	}
}
