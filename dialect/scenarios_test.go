package dialect

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// scenario is one answer the mock gives, rendered in a dialect.
type scenario struct {
	name string
	// found is true for an answer with data.
	found  bool
	render func(d Dialect) (int, []byte)
}

const scenarioRef = "REF-1001"

func transaction(state string, refunded bool) *rechargestatus.Data {
	d := &rechargestatus.Data{TxnID: "7310042220", OperatorName: "ICICI Bank", CANumber: "DL10CG6228", Amount: "500.00",
		Comm: "1.25", TDS: "0.06", Status: state, RefID: scenarioRef, OperatorID: "MockLazYafrYZ7",
		DateAdded: "2026-03-05 17:09:59", Refunded: "0"}
	if refunded {
		at := "2026-03-05 18:02:37"
		d.Refunded, d.RefundTxnID, d.DateRefunded = "1", "RF7310042220", &at
	}
	return d
}

func foundScenario(name string, data func(k Knobs) *rechargestatus.Data) scenario {
	return scenario{name: name, found: true, render: func(d Dialect) (int, []byte) {
		a := rechargestatus.Answer{ResponseCode: rechargestatus.CodeFound, Status: true, Data: data(d.Knobs()), Message: rechargestatus.MessageFound}
		return http.StatusOK, d.AppendAnswer(nil, a)
	}}
}

func failureScenario(name string, f Failure, message, remarks string) scenario {
	return scenario{name: name, render: func(d Dialect) (int, []byte) {
		status, e := d.ErrorAnswer(f, message, remarks)
		return status, d.AppendError(nil, e)
	}}
}

// scenarios are every answer of the mock's enquiry: each state of a found
// transaction, not found, and each failure.
func scenarios() []scenario {
	out := []scenario{
		foundScenario("success", func(Knobs) *rechargestatus.Data { return transaction(rechargestatus.StatusSuccess, false) }),
		foundScenario("pending", func(k Knobs) *rechargestatus.Data { return transaction(k.PendingStatus, false) }),
		foundScenario("failed", func(Knobs) *rechargestatus.Data { return transaction(rechargestatus.StatusFailed, false) }),
		foundScenario("refunded", func(Knobs) *rechargestatus.Data { return transaction(rechargestatus.StatusFailed, true) }),
		{name: "not found", render: func(d Dialect) (int, []byte) {
			return http.StatusOK, d.AppendAnswer(nil, rechargestatus.Answer{ResponseCode: rechargestatus.CodeNotFound, Message: rechargestatus.MessageNotFound})
		}},
		failureScenario("validation", Validation, "referenceid is required", ""),
		failureScenario("unknown registration", Authentication, rechargestatus.MessageAuthenticationFailed, "unknown RegistrationID"),
		failureScenario("missing token", Authentication, rechargestatus.MessageAuthenticationFailed, "Token header is required"),
		failureScenario("replayed reqid", Authentication, rechargestatus.MessageAuthenticationFailed, "reqid 7f3c9a was already used"),
		failureScenario("service disabled", ServiceDisabled, "", ""),
		failureScenario("unable to process", UnableToProcess, "", ""),
	}
	for _, m := range []string{rechargestatus.MessageInvalidSignatureEncoding, rechargestatus.MessageWrongSegments,
		rechargestatus.MessageInvalidHeaderEncoding, rechargestatus.MessageInvalidClaimsEncoding, rechargestatus.MessageSignatureFailed,
		rechargestatus.MessageExpiredToken, rechargestatus.MessageAlgorithmNotAllowed} {
		out = append(out, failureScenario("token: "+m, TokenRejected, m, ""))
	}
	return out
}

var (
	validatorOnce sync.Once
	validator     *conformance.Validator
	validatorErr  error
)

func specValidator(t *testing.T) *conformance.Validator {
	t.Helper()
	validatorOnce.Do(func() { validator, validatorErr = conformance.LoadValidator("") })
	if validatorErr != nil {
		t.Fatal(validatorErr)
	}
	return validator
}

var jsonHeader = http.Header{"Content-Type": {"application/json; charset=utf-8"}}

// againstPage lists every way an answer breaks openapi.yaml and the invariants.
func againstPage(t *testing.T, status int, body []byte) []conformance.Violation {
	t.Helper()
	reqBody := []byte(`{"referenceid":"` + scenarioRef + `","RegistrationID":"AOP-554"}`)
	r := httptest.NewRequest(http.MethodPost, rechargestatus.EnquiryPath, bytes.NewReader(reqBody))
	r.Header.Set("Content-Type", "application/json")
	q := rechargestatus.Enquiry{ReferenceID: scenarioRef, RegistrationID: "AOP-554"}
	vs := specValidator(t).CheckResponse(context.Background(), r, reqBody, status, jsonHeader, body)
	return append(vs, conformance.Check(q, status, jsonHeader, body)...)
}

func classified(status int, body []byte) []string {
	return MatchNames(Classify(status, jsonHeader, body))
}

// TestPageAnswersHoldToTheSpec renders every scenario in the page dialect:
// each holds to openapi.yaml and the invariants, and is classified page.
func TestPageAnswersHoldToTheSpec(t *testing.T) {
	for _, sc := range scenarios() {
		status, body := sc.render(Default())
		if vs := againstPage(t, status, body); len(vs) > 0 {
			t.Errorf("%s: HTTP %d %s breaks the page's contract: %v", sc.name, status, body, vs)
		}
		if got := classified(status, body); !slices.Contains(got, Page) {
			t.Errorf("%s: HTTP %d %s classified %v, want page among them", sc.name, status, body, got)
		}
		if bytes.Contains(body, []byte(CodeKeyUpstream)) {
			t.Errorf("%s: the page spells responsecode: %s", sc.name, body)
		}
	}
}

// capturedExchange is the upstream's answer quoted in the notes.
func capturedExchange(t *testing.T) []byte {
	t.Helper()
	m := regexp.MustCompile("(?s)```json\n(.*?)```").FindStringSubmatch(readNotes(t))
	if m == nil {
		t.Fatal("the notes quote no captured exchange")
	}
	return []byte(m[1])
}

// captured401s are the upstream's 401 bodies quoted in the notes, code 5
// then code 25.
func captured401s(t *testing.T) [][]byte {
	t.Helper()
	var out [][]byte
	for _, m := range regexp.MustCompile("`(\\{\"status\":false,[^`]*\\})`").FindAllStringSubmatch(readNotes(t), -1) {
		out = append(out, []byte(m[1]))
	}
	if len(out) != 2 {
		t.Fatalf("the notes quote %d 401 bodies, want 2", len(out))
	}
	return out
}

// shapeOf lists an object's members in order with the JSON kind of each
// value, and the same of its member data.
func shapeOf(t *testing.T, body []byte) (top, data []string) {
	t.Helper()
	members, err := readObject(bytes.TrimSpace(body))
	if err != nil {
		t.Fatalf("%s: %v", body, err)
	}
	for _, m := range members {
		top = append(top, m.key+":"+kindOf(m.value))
		if m.key == "data" {
			inner, err := readObject(m.value)
			if err != nil {
				t.Fatalf("data of %s: %v", body, err)
			}
			for _, f := range inner {
				data = append(data, f.key+":"+kindOf(f.value))
			}
		}
	}
	return top, data
}

func kindOf(v json.RawMessage) string {
	switch v[0] {
	case '"':
		return "string"
	case 't', 'f':
		return "boolean"
	case 'n':
		return "null"
	case '{':
		return "object"
	case '[':
		return "array"
	}
	return "number"
}

// TestUpstreamAnswersAreTheNotes renders every scenario in the upstream
// dialect and holds each to what the notes record, field for field.
func TestUpstreamAnswersAreTheNotes(t *testing.T) {
	captured := capturedExchange(t)
	wantTop, wantData := shapeOf(t, captured)
	capturedAuth := captured401s(t)
	up, _ := Lookup(Upstream)
	for _, sc := range scenarios() {
		status, body := sc.render(up)
		got := classified(status, body)
		if !slices.Contains(got, Upstream) {
			t.Errorf("%s: HTTP %d %s classified %v, want upstream among them", sc.name, status, body, got)
		}
		if sc.found {
			top, data := shapeOf(t, body)
			if !slices.Equal(top, wantTop) || !slices.Equal(keysOf(data), keysOf(wantData)) {
				t.Errorf("%s: %s\nhas the shape %v %v\nwant the captured exchange's %v %v", sc.name, body, top, data, wantTop, wantData)
			}
			if sc.name == "success" && !slices.Equal(data, wantData) {
				t.Errorf("success: data %v, want the captured exchange's %v", data, wantData)
			}
		}
	}
	checkUpstreamFailures(t, up, capturedAuth)
}

func keysOf(shape []string) []string {
	out := make([]string, len(shape))
	for i, s := range shape {
		out[i], _, _ = strings.Cut(s, ":")
	}
	return out
}

func checkUpstreamFailures(t *testing.T, up Dialect, capturedAuth [][]byte) {
	t.Helper()
	status, e := up.ErrorAnswer(Validation, "referenceid is required", "")
	if status != http.StatusUnauthorized || e.ResponseCode != 4 || e.Message != "Validations Error" || e.Remarks != "referenceid is required" {
		t.Errorf("validation error: HTTP %d %+v, want 401, code 4, \"Validations Error\" (notes line 37)", status, e)
	}
	status, e = up.ErrorAnswer(TokenRejected, rechargestatus.MessageExpiredToken, "")
	if status != http.StatusPreconditionFailed || e.ResponseCode != 6 || e.Message != "Jwt Token Error" || e.Remarks != rechargestatus.MessageExpiredToken {
		t.Errorf("JWT failure: HTTP %d %+v, want 412, code 6, \"Jwt Token Error\" (notes line 39)", status, e)
	}
	for i, body := range []AuthBody{AuthCode5, AuthCode25} {
		d := mustParse(t, "upstream;auth-failure-body="+string(body))
		status, e := d.ErrorAnswer(Authentication, rechargestatus.MessageAuthenticationFailed, "unknown RegistrationID")
		if got := d.AppendError(nil, e); status != http.StatusUnauthorized || !bytes.Equal(got, capturedAuth[i]) {
			t.Errorf("auth-failure-body=%s: HTTP %d %s, want 401 %s as captured (notes lines 43-44)", body, status, got, capturedAuth[i])
		}
	}
	if up.Knobs().AuthFailureBody != AuthCode25 {
		t.Errorf("the upstream's default auth failure body is %s", up.Knobs().AuthFailureBody)
	}
}

// TestUpstreamAnswersBreakThePageAndNormalize: the page is the contract, so
// the upstream's distinct answers break it; in the page form Normalize gives
// them, they hold.
func TestUpstreamAnswersBreakThePageAndNormalize(t *testing.T) {
	up, _ := Lookup(Upstream)
	for _, sc := range scenarios() {
		status, body := sc.render(up)
		names := classified(status, body)
		if !slices.Contains(names, Page) && len(againstPage(t, status, body)) == 0 {
			t.Errorf("%s: HTTP %d %s holds to the page's contract but is not classified page (%v)", sc.name, status, body, names)
		}
		pageBody, ok := Normalize(Upstream, status, body)
		if !ok {
			t.Errorf("%s: HTTP %d %s is not the upstream's shape", sc.name, status, body)
			continue
		}
		if vs := againstPage(t, status, pageBody); len(vs) > 0 {
			t.Errorf("%s: normalized %s still breaks the page's contract: %v", sc.name, pageBody, vs)
		}
	}
	status, body := scenarios()[0].render(up)
	if len(againstPage(t, status, body)) == 0 {
		t.Fatalf("the upstream's status answer %s holds to the page's contract", body)
	}
}

// TestUpstreamGuessesAreRecognised: where the notes leave a choice, every
// choice of the upstream dialect is still recognised as the upstream's, so
// accepting the upstream accepts whichever the provider turns out to make.
func TestUpstreamGuessesAreRecognised(t *testing.T) {
	for _, spec := range []string{"upstream;error-code-key=responsecode", "upstream;auth-failure-body=code5",
		"upstream;auth-failure-body=code7", "upstream;jwt-failure=code7", "upstream;validation-detail=message"} {
		d := mustParse(t, spec)
		for _, sc := range scenarios() {
			status, body := sc.render(d)
			if got := classified(status, body); !slices.Contains(got, Upstream) {
				t.Errorf("%s, %s: HTTP %d %s classified %v, want upstream among them", spec, sc.name, status, body, got)
			}
			pageBody, _ := Normalize(Upstream, status, body)
			if vs := againstPage(t, status, pageBody); len(vs) > 0 {
				t.Errorf("%s, %s: normalized %s breaks the page's contract: %v", spec, sc.name, pageBody, vs)
			}
		}
	}
}

// TestCapturedAnswersAreClassified classifies the answers the notes quote.
func TestCapturedAnswersAreClassified(t *testing.T) {
	if got := classified(http.StatusOK, capturedExchange(t)); !slices.Equal(got, []string{Upstream}) {
		t.Errorf("the captured exchange is classified %v, want [upstream]", got)
	}
	auth := captured401s(t)
	if got := classified(http.StatusUnauthorized, auth[0]); !slices.Equal(got, []string{Page, Upstream}) {
		t.Errorf("the captured 401 with code 5 is classified %v, want [page upstream]: openapi.yaml lets a 401 carry 5", got)
	}
	if got := classified(http.StatusUnauthorized, auth[1]); !slices.Equal(got, []string{Upstream}) {
		t.Errorf("the captured 401 with code 25 is classified %v, want [upstream]", got)
	}
	// Both spellings at once read either way: the page's contract holds, the
	// upstream's shape is not one.
	both := []byte(`{"response_code":2,"responsecode":2,"status":false,"message":"No Transaction found"}`)
	if got := classified(http.StatusOK, both); !slices.Equal(got, []string{Page}) {
		t.Errorf("%s is classified %v, want [page]", both, got)
	}
	ms := Classify(http.StatusOK, jsonHeader, capturedExchange(t))
	if len(ms) != 1 || !strings.Contains(ms[0].String(), "provider-notes.md:18-19") {
		t.Errorf("the captured exchange's match does not cite the notes: %v", ms)
	}
}

// TestClassifyNamesNoDialectForABrokenAnswer: a known trait alone is not a
// match; the rest of the answer must hold too.
func TestClassifyNamesNoDialectForABrokenAnswer(t *testing.T) {
	tests := []struct {
		status int
		body   string
	}{
		{200, `{"responsecode":1,"status":true,"message":"Transaction Enquiry Successful"}`}, // found without data
		{200, `{"responsecode":1,"response_code":1,"status":true,"message":"x"}`},            // both spellings
		{200, `{"responsecode":3,"status":false,"message":"No Transaction found"}`},          // no such code
		{401, `{"status":false,"response_code":25,"message":"Authentication failed"}`},       // not the captured wording
		{400, `{"status":false,"responsecode":4,"message":"Validations Error"}`},             // the upstream answers 401
		{503, `{"status":false,"responsecode":5,"message":"Service Unavailable"}`},           // not among the upstream's
		{200, `{"response_code":1,"status":true,"data":{"refid":"x"},"message":"nope"}`},     // broken page answer
		{200, `not json`},
	}
	for _, tt := range tests {
		if got := classified(tt.status, []byte(tt.body)); len(got) > 0 {
			t.Errorf("HTTP %d %s classified %v, want none", tt.status, tt.body, got)
		}
	}
}
