package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/testkit"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// raw is an answer of the mock, as it came.
type raw struct {
	status int
	header http.Header
	body   []byte
}

// send posts body to path with header through h, and reads the answer as it
// came: no check of it against openapi.yaml, which a dialect may break.
func send(t *testing.T, h http.Handler, method, path, contentType, body string, header http.Header) raw {
	t.Helper()
	a := testkit.Send(h, method, path, contentType, header, []byte(body))
	return raw{status: a.Status, header: a.Header, body: a.Body}
}

func mustDialect(t *testing.T, spec string) dialect.Dialect {
	t.Helper()
	d, err := dialect.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// downStore fails every enquiry of downReference, as a store whose disk
// is gone would.
type downStore struct{ *recharge.MemoryStore }

const downReference = "STORE-DOWN"

func (s downStore) Update(ctx context.Context, key transaction.Key, fn recharge.UpdateFunc) (recharge.Transaction, error) {
	if key.ReferenceID == downReference {
		return recharge.Transaction{}, errors.New("disk gone")
	}
	return s.MemoryStore.Update(ctx, key, fn)
}

// scenario is one enquiry and the answer the page gives it: a transaction
// found in a state, none found, or a failure worded by the page.
type scenario struct {
	name        string
	method      string
	contentType string
	body        string
	header      func(t *testing.T) http.Header
	// state is the state of a found transaction; empty for another answer.
	state    string
	notFound bool
	failure  dialect.Failure
	// message and remarks are the page's wording of the failure;
	// lenientMessage is the wording of a dialect that reads the request's
	// members in any letter case and under the pages' other spellings.
	message, remarks, lenientMessage string
	// status, for a refusal or a fault, is the status whatever the dialect.
	status int
}

func signed(partner, key, reqid string) func(t *testing.T) http.Header {
	return func(t *testing.T) http.Header {
		t.Helper()
		token, err := partnertoken.Sign(key, partner, reqid, sandboxEpoch)
		if err != nil {
			t.Fatal(err)
		}
		return http.Header{rechargestatus.TokenHeader: {token}}
	}
}

func headerOf(name, value string) func(*testing.T) http.Header {
	return func(*testing.T) http.Header { return http.Header{name: {value}} }
}

func enquiryJSON(registrationID, referenceID string) string {
	return string(enquiryBody(registrationID, referenceID))
}

// scenarios are every answer the mock gives an enquiry: each state of a
// transaction, none found, each refusal of the request and of the partner,
// the failure of the provider, and the faults that answer a status.
func scenarios() []scenario {
	const secretKey = "aopay-sandbox-secret"
	found := func(name, reference, state string) scenario {
		return scenario{name: name, body: enquiryJSON("AOP-554", reference), state: state}
	}
	refused := func(name, body string, f dialect.Failure, message, remarks string) scenario {
		return scenario{name: name, body: body, failure: f, message: message, remarks: remarks}
	}
	out := []scenario{
		found("success", "12345678", "success"),
		found("pending", "STUCK-1", "pending"),
		found("failed", "FAILED-1001", "failed"),
		found("refunded", "REFUND-1001", "refunded"),
		{name: "not found", body: enquiryJSON("AOP-554", "NOTFOUND-1"), notFound: true},
		{name: "validation: missing referenceid", body: `{"RegistrationID":"AOP-554"}`, failure: dialect.Validation,
			message: "referenceid is required", lenientMessage: "referenceid is required (also read as ReferenceId or ReferanceId, in any letter case)"},
		{name: "validation: referenceid not a string", body: `{"referenceid":12345678,"RegistrationID":"AOP-554"}`, failure: dialect.Validation,
			message: "referenceid must be a string", lenientMessage: "referenceid must be a string"},
		refused("validation: not JSON", `{"referenceid":`, dialect.Validation, "request body is not valid JSON", ""),
		refused("unknown registration", enquiryJSON("NOPE", "12345678"), dialect.Authentication, rechargestatus.MessageAuthenticationFailed, "unknown RegistrationID"),
		refused("service disabled", enquiryJSON("AOP-DISABLED", "12345678"), dialect.ServiceDisabled, "", ""),
		refused("AUTHFAIL- convention", enquiryJSON("AOP-554", "AUTHFAIL-1"), dialect.Authentication, rechargestatus.MessageAuthenticationFailed, ""),
		refused("BADSIG- convention", enquiryJSON("AOP-554", "BADSIG-1"), dialect.TokenRejected, rechargestatus.MessageInvalidSignatureEncoding, ""),
		refused("no Token", enquiryJSON("AOP-SECURE", "SECURE-1001"), dialect.Authentication, rechargestatus.MessageAuthenticationFailed, "Token header is required"),
		refused("the provider fails", enquiryJSON("AOP-554", downReference), dialect.UnableToProcess, "", ""),
		{name: "a Token of two segments", body: enquiryJSON("AOP-SECURE", "SECURE-1001"), header: headerOf(rechargestatus.TokenHeader, "a.b"),
			failure: dialect.TokenRejected, message: rechargestatus.MessageWrongSegments},
		{name: "a Token signed with another key", body: enquiryJSON("AOP-SECURE", "SECURE-1001"), header: signed("AOP-SECURE", "another-key", "r1"),
			failure: dialect.TokenRejected, message: rechargestatus.MessageSignatureFailed},
		{name: "a Token of another partner", body: enquiryJSON("AOP-SECURE", "SECURE-1001"), header: signed("AOP-554", secretKey, "r2"),
			failure: dialect.Authentication, message: rechargestatus.MessageAuthenticationFailed, remarks: "claim partnerId does not match the registration"},
		{name: "wrong Content-Type", contentType: "text/plain", body: enquiryJSON("AOP-554", "12345678"), status: http.StatusUnsupportedMediaType,
			failure: dialect.Validation, message: "Content-Type must be application/json, got text/plain"},
		{name: "wrong method", method: http.MethodGet, status: http.StatusMethodNotAllowed,
			failure: dialect.Validation, message: "method GET is not allowed on " + rechargestatus.EnquiryPath},
		{name: "body too large", body: `{"referenceid":"` + strings.Repeat("9", DefaultMaxBodyBytes) + `"}`, status: http.StatusRequestEntityTooLarge,
			failure: dialect.Validation, message: "request body is larger than 16384 bytes"},
	}
	return out
}

// faultScenarios inject a status fault: its code and message are the
// fault's, spelt as the dialect spells an error's code.
var faultScenarios = []struct {
	fault   string
	status  int
	code    int
	message string
}{
	{"status=503", http.StatusServiceUnavailable, rechargestatus.CodeUnableToProcess, "Service Unavailable"},
	{"status=412", http.StatusPreconditionFailed, rechargestatus.CodeJWT, rechargestatus.MessageJWT},
}

// dialectsUnderTest are the known dialects, and each guess of the upstream
// dialect the notes leave open, and knobs set over the page.
func dialectsUnderTest() []string {
	return []string{
		dialect.Page,
		dialect.Upstream,
		"upstream;auth-failure-body=code5;error-code-key=responsecode;validation-detail=message",
		"upstream;auth-failure-body=code7;jwt-failure=code7;unable-to-process-status=500",
		"page;jwt-failure=code6;auth-failure-body=code25;pending-status=3;validation-status=401",
	}
}

// lenient reports whether d reads the request's members in any letter case
// and under the pages' other spellings.
func lenient(d dialect.Dialect) bool {
	k := d.Knobs()
	return k.CaseInsensitiveFields && k.FieldAliases
}

// TestEveryScenarioInEveryDialect sends every scenario to a mock answering
// in each dialect and holds each answer to the dialect's own words of it:
// the status and the body of a failure, byte for byte; the key a found
// transaction's code is spelt with, its state and its pending status; and
// the known dialect the answer is classified as.
func TestEveryScenarioInEveryDialect(t *testing.T) {
	t.Parallel()
	for _, spec := range dialectsUnderTest() {
		d := mustDialect(t, spec)
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			s := enquiryTestServer(t, Config{Dialect: d, Store: downStore{recharge.NewMemoryStore()}})
			for _, sc := range scenarios() {
				var header http.Header
				if sc.header != nil {
					header = sc.header(t)
				}
				method, contentType := cmpOr(sc.method, http.MethodPost), cmpOr(sc.contentType, "application/json")
				a := send(t, s, method, rechargestatus.EnquiryPath, contentType, sc.body, header)
				checkScenario(t, d, sc, a)
			}
			for _, f := range faultScenarios {
				a := send(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-554", "12345678"), http.Header{admin.FaultHeader: {f.fault}})
				want := d.AppendError(nil, rechargestatus.ErrorAnswer{ResponseCode: f.code, Message: f.message})
				if a.status != f.status || !bytes.Equal(a.body, want) {
					t.Errorf("fault %s: HTTP %d %s, want %d %s", f.fault, a.status, a.body, f.status, want)
				}
			}
		})
	}
}

func cmpOr(s, otherwise string) string {
	if s == "" {
		return otherwise
	}
	return s
}

func checkScenario(t *testing.T, d dialect.Dialect, sc scenario, a raw) {
	t.Helper()
	if got := a.header.Get(dialect.Header); got != d.String() {
		t.Errorf("%s: X-Mock-Dialect %q, want %q", sc.name, got, d.String())
	}
	switch {
	case sc.state != "":
		checkFound(t, d, sc, a)
		return
	case sc.notFound:
		want := d.AppendAnswer(nil, rechargestatus.Answer{ResponseCode: rechargestatus.CodeNotFound, Message: rechargestatus.MessageNotFound})
		if a.status != http.StatusOK || !bytes.Equal(a.body, want) {
			t.Errorf("%s: HTTP %d %s, want 200 %s", sc.name, a.status, a.body, want)
		}
	default:
		message := sc.message
		if sc.lenientMessage != "" && lenient(d) {
			message = sc.lenientMessage
		}
		status, e := d.ErrorAnswer(sc.failure, message, sc.remarks)
		if sc.status != 0 {
			status = sc.status
		}
		if want := d.AppendError(nil, e); a.status != status || !bytes.Equal(a.body, want) {
			t.Errorf("%s: HTTP %d %s, want %d %s", sc.name, a.status, a.body, status, want)
		}
	}
	if sc.status != 0 {
		return
	}
	// A known dialect's answers are classified as its own; with knobs set
	// over it, as one a known dialect gives.
	names := dialect.MatchNames(dialect.Classify(a.status, a.header, a.body))
	if d.String() == d.Name() && !slices.Contains(names, d.Name()) || len(names) == 0 {
		t.Errorf("%s: HTTP %d %s is classified %v, want %s among them", sc.name, a.status, a.body, names, d.Name())
	}
}

func checkFound(t *testing.T, d dialect.Dialect, sc scenario, a raw) {
	t.Helper()
	k := d.Knobs()
	other := dialect.CodeKeyUpstream
	if k.AnswerCodeKey == dialect.CodeKeyUpstream {
		other = dialect.CodeKeyPage
	}
	if a.status != http.StatusOK || !bytes.HasPrefix(a.body, []byte(`{"`+string(k.AnswerCodeKey)+`":1,`)) || bytes.Contains(a.body, []byte(`"`+string(other)+`"`)) {
		t.Errorf("%s: HTTP %d %s, want 200 and the code spelt %s alone", sc.name, a.status, a.body, k.AnswerCodeKey)
		return
	}
	page, ok := dialect.Normalize(d.Name(), a.status, a.body)
	var got rechargestatus.Answer
	if !ok || json.Unmarshal(page, &got) != nil || got.Data == nil {
		t.Errorf("%s: %s is not a found transaction of the %s dialect", sc.name, a.body, d.Name())
		return
	}
	wantStatus := map[string]string{"success": rechargestatus.StatusSuccess, "pending": k.PendingStatus,
		"failed": rechargestatus.StatusFailed, "refunded": rechargestatus.StatusFailed}[sc.state]
	wantRefunded := map[bool]string{true: "1", false: "0"}[sc.state == "refunded"]
	if got.Data.Status != wantStatus || got.Data.Refunded != wantRefunded {
		t.Errorf("%s: data.status %q, refunded %q; want %q, %q", sc.name, got.Data.Status, got.Data.Refunded, wantStatus, wantRefunded)
	}
}

// TestUpstreamReadsTheRequestAsTheNotesSpellIt: the upstream dialect reads
// the members under the spellings the provider's pages use, in any letter
// case, and takes the partner from the Token when RegistrationID is left
// out, as the notes' captured request does; the page refuses them all.
func TestUpstreamReadsTheRequestAsTheNotesSpellIt(t *testing.T) {
	t.Parallel()
	token := func(partner, reqid string) http.Header {
		return signed(partner, "aopay-sandbox-secret", reqid)(t)
	}
	tests := []struct {
		name   string
		body   string
		header http.Header
		// refid is the transaction the upstream dialect answers.
		refid string
	}{
		{"the pages' other spellings", `{"ReferanceId":"12345678","RegisterID":"AOP-554"}`, nil, "12345678"},
		{"any letter case", `{"REFERENCEID":"FAILED-1001","registrationid":"AOP-554"}`, nil, "FAILED-1001"},
		{"the exact spelling wins", `{"ReferenceId":"FAILED-1001","referenceid":"12345678","RegistrationID":"AOP-554"}`, nil, "12345678"},
		{"the partner from a Token, as the captured request", `{"referenceid":"SECURE-1001"}`, token("AOP-SECURE", "r1"), "SECURE-1001"},
	}
	page := enquiryTestServer(t, Config{})
	upstream := enquiryTestServer(t, Config{Dialect: mustDialect(t, dialect.Upstream)})
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := send(t, upstream, http.MethodPost, rechargestatus.EnquiryPath, "application/json", tt.body, tt.header)
			var got struct {
				Data struct{ RefID string } `json:"data"`
			}
			if a.status != http.StatusOK || json.Unmarshal(a.body, &got) != nil || got.Data.RefID != tt.refid {
				t.Errorf("upstream: HTTP %d %s, want %s found", a.status, a.body, tt.refid)
			}
			if tt.name == "the exact spelling wins" {
				return
			}
			if a := send(t, page, http.MethodPost, rechargestatus.EnquiryPath, "application/json", tt.body, tt.header); a.status != http.StatusBadRequest {
				t.Errorf("page: HTTP %d %s, want 400", a.status, a.body)
			}
		})
	}
	a := send(t, upstream, http.MethodPost, rechargestatus.EnquiryPath, "application/json", `{"referenceid":"12345678"}`, token("NOBODY", "r2"))
	want := `{"status":false,"response_code":25,"message":"Authentication failed.","remarks":"Authentication failed."}`
	if a.status != http.StatusUnauthorized || string(a.body) != want {
		t.Errorf("a Token naming no known partner: HTTP %d %s, want 401 %s", a.status, a.body, want)
	}
	if entries := upstream.journal.Entries(admin.JournalQuery{}); len(entries) == 0 || entries[0].RequestBody != tests[0].body ||
		entries[0].ResponseHeaders[dialect.Header][0] != dialect.Upstream {
		t.Errorf("the journal keeps the body as sent and the dialect answered: %+v", entries[0])
	}
}

// TestDialectPrecedence: the X-Mock-Dialect header over the registration's
// dialect over the server's; a header the server does not honour, or that
// names no dialect, leaves the others in force.
func TestDialectPrecedence(t *testing.T) {
	t.Parallel()
	set, err := fixtures.Default()
	if err != nil {
		t.Fatal(err)
	}
	set.Registrations = append(set.Registrations,
		fixtures.Registration{ID: "AOP-UP", Dialect: "upstream;auth-failure-body=code5"},
		fixtures.Registration{ID: "AOP-UP-SECURE", Key: "k", PartnerID: "UP-PARTNER", Dialect: dialect.Upstream})
	on := enquiryTestServer(t, Config{Fixtures: &set, Dialect: mustDialect(t, "page;pending-status=3")})
	off := enquiryTestServer(t, Config{Fixtures: &set, DisableDialectHeader: true})
	tests := []struct {
		name         string
		server       http.Handler
		registration string
		header       string
		want         string
	}{
		{"the server's", on, "AOP-554", "", "page;pending-status=3"},
		{"the registration's over the server's", on, "AOP-UP", "", "upstream;auth-failure-body=code5"},
		{"the header's over the registration's", on, "AOP-UP", "page", "page"},
		{"the header's over the server's, knobs and all", on, "AOP-554", "upstream; validation-status=400", "upstream;validation-status=400"},
		{"a header not honoured", off, "AOP-UP", "page", "upstream;auth-failure-body=code5"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var header http.Header
			if tt.header != "" {
				header = http.Header{dialect.Header: {tt.header}}
			}
			a := send(t, tt.server, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON(tt.registration, "AUTHFAIL-1"), header)
			d := mustDialect(t, tt.want)
			status, e := d.ErrorAnswer(dialect.Authentication, rechargestatus.MessageAuthenticationFailed, "")
			if got := a.header.Get(dialect.Header); got != tt.want || a.status != status || !bytes.Equal(a.body, d.AppendError(nil, e)) {
				t.Errorf("X-Mock-Dialect %q, HTTP %d %s; want %s's answer", got, a.status, a.body, tt.want)
			}
		})
	}
	// A dialect the header names decides the pending status too.
	a := send(t, off, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-554", "STUCK-1"), nil)
	b := send(t, on, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-554", "STUCK-1"), http.Header{dialect.Header: {"page;pending-status=4"}})
	if !bytes.Contains(a.body, []byte(`"status":"2"`)) || !bytes.Contains(b.body, []byte(`"status":"4"`)) {
		t.Errorf("pending: %s without a header, %s with pending-status=4", a.body, b.body)
	}
	// A registration found by its Token's partnerId, not its id, answers in
	// its dialect too.
	token := signed("UP-PARTNER", "k", "r1")(t)
	a = send(t, on, http.MethodPost, rechargestatus.EnquiryPath, "application/json", `{"referenceid":"UP-1"}`, token)
	if a.status != http.StatusOK || a.header.Get(dialect.Header) != dialect.Upstream || !bytes.HasPrefix(a.body, []byte(`{"responsecode":1,`)) {
		t.Errorf("AOP-UP-SECURE by its Token: HTTP %d %s %v", a.status, a.body, a.header)
	}
	// A header naming no dialect is refused in the dialect that applies
	// without it.
	a = send(t, on, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-UP", "12345678"), http.Header{dialect.Header: {"aggregator"}})
	if a.status != http.StatusUnauthorized || a.header.Get(dialect.Header) != "upstream;auth-failure-body=code5" ||
		!bytes.Contains(a.body, []byte(`"message":"Validations Error","remarks":"X-Mock-Dialect: unknown dialect \"aggregator\", want page or upstream"`)) {
		t.Errorf("an unknown dialect in the header: HTTP %d %s %v", a.status, a.body, a.header)
	}
}

// TestRegistrationDialectsFollowTheFixtures: a fixtures reload puts the
// registrations' dialects in force, and a fixture naming no known dialect
// is refused.
func TestRegistrationDialectsFollowTheFixtures(t *testing.T) {
	t.Parallel()
	set, err := fixtures.Default()
	if err != nil {
		t.Fatal(err)
	}
	s := enquiryTestServer(t, Config{Fixtures: &set})
	if a := send(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-554", "12345678"), nil); a.header.Get(dialect.Header) != dialect.Page {
		t.Fatalf("before: %v", a.header)
	}
	set.Registrations[0].Dialect = dialect.Upstream
	if _, err := s.ReloadFixtures(context.Background()); err != nil {
		t.Fatal(err)
	}
	if a := send(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-554", "12345678"), nil); a.header.Get(dialect.Header) != dialect.Upstream {
		t.Fatalf("after the reload: %v %s", a.header, a.body)
	}
	set.Registrations[0].Dialect = "aggregator"
	if _, err := New(Config{Fixtures: &set}); err == nil || !strings.Contains(err.Error(), `registration AOP-554: unknown dialect "aggregator"`) {
		t.Fatalf("a fixture naming no dialect: %v", err)
	}
}

// TestSandboxHeadersAreHeldToTheSpecWhenSent: the sandbox's own headers,
// described in admin/openapi.yaml, bound the length of what is sent.
func TestSandboxHeadersAreHeldToTheSpecWhenSent(t *testing.T) {
	t.Parallel()
	s := enquiryTestServer(t, Config{})
	long := "page;pending-status=" + strings.Repeat("9", 300)
	a := send(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-554", "12345678"), http.Header{dialect.Header: {long}})
	if a.status != http.StatusBadRequest || !bytes.Contains(a.body, []byte("X-Mock-Dialect")) {
		t.Errorf("an X-Mock-Dialect longer than the spec allows: HTTP %d %s, want 400 naming it", a.status, a.body)
	}
	a = send(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", enquiryJSON("AOP-554", "12345678"), http.Header{admin.FaultHeader: {"status=" + strings.Repeat(" ", 300) + "503"}})
	if a.status != http.StatusBadRequest || !bytes.Contains(a.body, []byte("X-Mock-Fault")) {
		t.Errorf("an X-Mock-Fault longer than the spec allows: HTTP %d %s, want 400 naming it", a.status, a.body)
	}
}
