package rechargestatus

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/routers"
)

// referenceCheck is CheckRequest as it was before its fast path: the
// router for every request and openapi3filter.ValidateRequest on a copy.
// The fast path must answer exactly as it does.
func (v *Validator) referenceCheck(ctx context.Context, r *http.Request, body []byte) *RequestProblem {
	route, params, err := v.router.FindRoute(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return &RequestProblem{Status: http.StatusMethodNotAllowed, Message: "method " + r.Method + " is not allowed on " + r.URL.Path}
	case err != nil:
		return &RequestProblem{Status: http.StatusNotFound, Message: "no operation at " + r.Method + " " + r.URL.Path}
	}
	if op := route.Operation; op != nil && op.RequestBody != nil && len(body) > 0 {
		if p := checkContentType(r.Header.Get("Content-Type"), op.RequestBody.Value); p != nil {
			return p
		}
	}
	if err := v.checkWithFilter(ctx, r, route, params, body); err != nil {
		return describeRequestError(err)
	}
	return nil
}

// fuzzValidators are validators of the provider's document and of the
// admin API's, whose operations (path and query parameters, bodies of many
// shapes) the mock checks with the same fast path.
func fuzzValidators(f *testing.F) []*Validator {
	f.Helper()
	provider, err := LoadValidator("")
	if err != nil {
		f.Fatal(err)
	}
	// The admin package embeds its document but imports this one, so the
	// test reads the file, whose references to ../openapi.yaml resolve on disk.
	loader := openapi3.NewLoader()
	loader.IsExternalRefsAllowed = true
	doc, err := loader.LoadFromFile("admin/openapi.yaml")
	if err != nil {
		f.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		f.Fatal(err)
	}
	admin, err := NewValidator(doc)
	if err != nil {
		f.Fatal(err)
	}
	return []*Validator{provider, admin}
}

// FuzzCheckRequest feeds arbitrary requests to the validator: it must not
// panic, must answer with one of the statuses it documents, and its fast
// path must agree with openapi3filter on every input.
//
//	go test -run='^$' -fuzz='^FuzzCheckRequest$' -fuzztime=30s .
func FuzzCheckRequest(f *testing.F) {
	validators := fuzzValidators(f)
	seeds := []struct {
		method, path, contentType, token string
		body                             string
	}{
		{"POST", EnquiryPath, "application/json", "", `{"referenceid":"12345678","RegistrationID":"AOP-554"}`},
		{"POST", EnquiryPath, "application/json; charset=utf-8", "", `{"referenceid":"1","RegistrationID":"AOP-554"} trailing`},
		{"POST", EnquiryPath, "Application/JSON", "", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"POST", EnquiryPath, "application/json", "", `{"referenceid":12345678,"RegistrationID":"AOP-554"}`},
		{"POST", EnquiryPath, "application/json", "", `{"referenceid":null}`},
		{"POST", EnquiryPath, "application/json", "", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`},
		{"POST", EnquiryPath, "application/json", "", "{\"referenceid\":\"\xff\xfe\",\"RegistrationID\":\"AOP-554\"}"},
		{"POST", EnquiryPath, "application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554","referenceid":2}`},
		{"POST", EnquiryPath, "application/json", "", `   `},
		{"POST", EnquiryPath, "application/json", "", `1e999`},
		{"POST", EnquiryPath, "text/plain", "", `{}`},
		{"POST", EnquiryPath, "", "", `{}`},
		{"POST", EnquiryPath, "application/json", strings.Repeat("x", 5000), `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"GET", EnquiryPath, "", "", ``},
		{"post", EnquiryPath, "application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"POST", EnquiryPath + "/", "application/json", "", `{}`},
		{"POST", "/api/AOP/%52echargeStatus", "application/json", "", `{}`},
		{"PUT", "/__admin/transactions/AOP-554/ORDER-1", "application/json", "", `{"state":"pending","resolve":{"to":"success","afterEnquiries":2}}`},
		{"PUT", "/__admin/transactions/AOP-554/ORDER-1", "application/json", "", `{"state":"bogus","amount":12}`},
		{"POST", "/__admin/clock", "application/json", "", `{"advance":"30m"}`},
		{"PUT", "/__admin/faults", "application/json", "", `{"faults":[{"kind":"status","status":503,"probability":0.5}]}`},
		{"GET", "/__admin/requests?limit=abc&since=yesterday", "", "", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.contentType, s.token, []byte(s.body))
	}
	f.Fuzz(func(t *testing.T, method, path, contentType, token string, body []byte) {
		r, err := http.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
		if err != nil || !strings.HasPrefix(path, "/") {
			return
		}
		if contentType != "" {
			r.Header.Set("Content-Type", contentType)
		}
		if token != "" {
			r.Header.Set("Token", token)
		}
		for _, v := range validators {
			checkAgreesWithFilter(t, v, r, body)
		}
	})
}

// checkAgreesWithFilter fails unless v's CheckRequest answers r exactly as
// openapi3filter does, with a status and message it documents.
func checkAgreesWithFilter(t *testing.T, v *Validator, r *http.Request, body []byte) {
	t.Helper()
	ctx := context.Background()
	got := v.CheckRequest(ctx, r, body)
	want := v.referenceCheck(ctx, r, body)
	switch {
	case got == nil && want == nil:
		return
	case got == nil || want == nil:
		t.Fatalf("fast path %+v, openapi3filter %+v", got, want)
	case *got != *want:
		t.Fatalf("fast path %+v\nopenapi3filter %+v", *got, *want)
	}
	switch got.Status {
	case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType:
	default:
		t.Fatalf("status %d: %+v", got.Status, *got)
	}
	if got.Message == "" {
		t.Fatalf("no message: %+v", *got)
	}
}
