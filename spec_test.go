package rechargestatus

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// TestEmbeddedSpecDescribesTheProviderAlone holds openapi.yaml to the
// provider's one operation: the sandbox's own calls are admin/openapi.yaml's.
func TestEmbeddedSpecDescribesTheProviderAlone(t *testing.T) {
	doc, err := LoadSpec("")
	if err != nil {
		t.Fatalf("LoadSpec: %v", err)
	}
	var operations []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			operations = append(operations, method+" "+path)
		}
	}
	if want := []string{http.MethodPost + " " + EnquiryPath}; !slices.Equal(operations, want) {
		t.Fatalf("openapi.yaml describes %v; want %v alone", operations, want)
	}
}

func TestLoadSpecFromFileAndErrors(t *testing.T) {
	if _, err := LoadSpec("openapi.yaml"); err != nil {
		t.Fatalf("LoadSpec(openapi.yaml): %v", err)
	}
	if _, err := LoadSpec("does-not-exist.yaml"); err == nil {
		t.Fatal("LoadSpec of a missing file succeeded")
	}
	if _, err := LoadValidator("does-not-exist.yaml"); err == nil {
		t.Fatal("LoadValidator of a missing file succeeded")
	}
}

// TestDeclaredExamplesMatchTheirSchemas checks that every answer of the
// operation shows at least one example, and that every example, of an
// answer or of the request, is valid against its schema.
func TestDeclaredExamplesMatchTheirSchemas(t *testing.T) {
	doc, err := LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if len(resp.Value.Content) == 0 {
					t.Errorf("%s %s %s declares no body", method, path, code)
				}
				for ct, media := range resp.Value.Content {
					if len(media.Examples) == 0 {
						t.Errorf("%s %s %s %s has no example", method, path, code, ct)
					}
					for name, ex := range media.Examples {
						if err := media.Schema.Value.VisitJSON(ex.Value.Value, openapi3.VisitAsResponse()); err != nil {
							t.Errorf("%s %s %s %s example %q: %v", method, path, code, ct, name, err)
						}
					}
				}
			}
			if op.RequestBody == nil {
				continue
			}
			for ct, media := range op.RequestBody.Value.Content {
				for name, ex := range media.Examples {
					if err := media.Schema.Value.VisitJSON(ex.Value.Value, openapi3.VisitAsRequest()); err != nil {
						t.Errorf("%s %s request %s example %q: %v", method, path, ct, name, err)
					}
				}
			}
		}
	}
}

func TestCheckRequest(t *testing.T) {
	v, err := LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 65)
	tests := []struct {
		name, method, path, contentType, body string
		wantStatus                            int
		wantField, wantMessage                string
	}{
		{name: "valid", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{name: "valid with charset", method: "POST", path: EnquiryPath, contentType: "application/json; charset=utf-8", body: `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{name: "missing referenceid", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"RegistrationID":"AOP-554"}`, wantStatus: 400, wantField: "referenceid", wantMessage: "referenceid is required"},
		{name: "missing RegistrationID", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":"1"}`, wantStatus: 400, wantMessage: "RegistrationID is required"},
		{name: "empty referenceid", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":"","RegistrationID":"AOP-554"}`, wantStatus: 400, wantField: "referenceid", wantMessage: "referenceid must not be empty"},
		{name: "numeric referenceid", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":12345678,"RegistrationID":"AOP-554"}`, wantStatus: 400, wantField: "referenceid", wantMessage: "referenceid must be a string"},
		{name: "null RegistrationID", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":"1","RegistrationID":null}`, wantStatus: 400, wantField: "RegistrationID", wantMessage: "RegistrationID must not be null"},
		{name: "too long referenceid", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":"` + long + `","RegistrationID":"AOP-554"}`, wantStatus: 400, wantField: "referenceid", wantMessage: "referenceid must be at most 64 characters long"},
		{name: "blank referenceid", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":"   ","RegistrationID":"AOP-554"}`, wantStatus: 400, wantField: "referenceid", wantMessage: "referenceid must have a visible character and no control characters"},
		{name: "control character in RegistrationID", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":"1","RegistrationID":"AOP\u0000554"}`, wantStatus: 400, wantField: "RegistrationID", wantMessage: "no control characters"},
		{name: "array body", method: "POST", path: EnquiryPath, contentType: "application/json", body: `[]`, wantStatus: 400, wantMessage: "request body must be a JSON object"},
		{name: "malformed JSON", method: "POST", path: EnquiryPath, contentType: "application/json", body: `{"referenceid":`, wantStatus: 400, wantMessage: "request body is not valid JSON"},
		{name: "empty body", method: "POST", path: EnquiryPath, contentType: "application/json", body: ``, wantStatus: 400, wantMessage: "request body is required"},
		{name: "text/plain", method: "POST", path: EnquiryPath, contentType: "text/plain", body: `{"referenceid":"1","RegistrationID":"AOP-554"}`, wantStatus: 415, wantMessage: "Content-Type must be application/json, got text/plain"},
		{name: "no content type", method: "POST", path: EnquiryPath, body: `{"referenceid":"1","RegistrationID":"AOP-554"}`, wantStatus: 415, wantMessage: "got none"},
		{name: "GET", method: "GET", path: EnquiryPath, wantStatus: 405, wantMessage: "method GET is not allowed"},
		{name: "unknown path", method: "POST", path: "/api/AOP/Nope", contentType: "application/json", body: `{}`, wantStatus: 404, wantMessage: "no operation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(tt.method, "http://127.0.0.1:8080"+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			p := v.CheckRequest(context.Background(), r, []byte(tt.body))
			if tt.wantStatus == 0 {
				if p != nil {
					t.Fatalf("want valid, got %d %q", p.Status, p.Message)
				}
				return
			}
			if p == nil {
				t.Fatalf("want %d, got valid", tt.wantStatus)
			}
			if p.Status != tt.wantStatus || !strings.Contains(p.Message, tt.wantMessage) || (tt.wantField != "" && p.Field != tt.wantField) {
				t.Fatalf("got %d field %q %q; want %d field %q containing %q", p.Status, p.Field, p.Message, tt.wantStatus, tt.wantField, tt.wantMessage)
			}
		})
	}
}

func TestCheckResponse(t *testing.T) {
	v, err := LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	good := `{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`
	tests := []struct {
		name, contentType, body string
		status                  int
		wantPointer, wantRule   string
	}{
		{name: "page example", status: 200, contentType: "application/json", body: good},
		{name: "amount as number", status: 200, contentType: "application/json", body: strings.Replace(good, `"amount":"1"`, `"amount":1`, 1), wantPointer: "/data/amount", wantRule: "type"},
		{name: "amount not decimal", status: 200, contentType: "application/json", body: strings.Replace(good, `"amount":"1"`, `"amount":"1,00"`, 1), wantPointer: "/data/amount", wantRule: "pattern"},
		{name: "missing txnid", status: 200, contentType: "application/json", body: strings.Replace(good, `"txnid":"6469",`, ``, 1), wantPointer: "/data/txnid", wantRule: "required"},
		{name: "bad dateadded", status: 200, contentType: "application/json", body: strings.Replace(good, `2021-08-20 15:41:08`, `2021-08-20T15:41:08Z`, 1), wantPointer: "/data/dateadded", wantRule: "pattern"},
		{name: "text content type", status: 200, contentType: "text/plain", body: good, wantRule: "content-type"},
		{name: "401 page example", status: 401, contentType: "application/json", body: `{"status":false,"response_code":7,"message":"Invalid signature encoding"}`},
		{name: "401 with status true", status: 401, contentType: "application/json", body: `{"status":true,"response_code":7,"message":"x"}`, wantPointer: "/status", wantRule: "enum"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+EnquiryPath, nil)
			r.Header.Set("Content-Type", "application/json")
			h := http.Header{"Content-Type": []string{tt.contentType}}
			got := v.CheckResponse(context.Background(), r, []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`), tt.status, h, []byte(tt.body))
			if tt.wantRule == "" {
				if len(got) != 0 {
					t.Fatalf("want no violation, got %v", got)
				}
				return
			}
			for _, viol := range got {
				if viol.Rule == tt.wantRule && viol.Pointer == tt.wantPointer {
					return
				}
			}
			t.Fatalf("want %s at %q, got %v", tt.wantRule, tt.wantPointer, got)
		})
	}
}
