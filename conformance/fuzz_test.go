package conformance

import (
	"context"
	"net/http"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

func fuzzValidator(f *testing.F) *Validator {
	f.Helper()
	v, err := LoadValidator("")
	if err != nil {
		f.Fatal(err)
	}
	return v
}

// FuzzCheckRequest feeds arbitrary requests to the validator: it must not
// panic, and must answer with one of the statuses it documents and a message.
//
//	go test -run='^$' -fuzz='^FuzzCheckRequest$' -fuzztime=30s ./conformance
func FuzzCheckRequest(f *testing.F) {
	v := fuzzValidator(f)
	seeds := []struct {
		method, path, contentType, token string
		body                             string
	}{
		{"POST", rechargestatus.EnquiryPath, "application/json", "", `{"referenceid":"12345678","RegistrationID":"AOP-554"}`},
		{"POST", rechargestatus.EnquiryPath, "application/json; charset=utf-8", "", `{"referenceid":"1","RegistrationID":"AOP-554"} trailing`},
		{"POST", rechargestatus.EnquiryPath, "Application/JSON", "", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"POST", rechargestatus.EnquiryPath, "application/json", "", `{"referenceid":12345678,"RegistrationID":"AOP-554"}`},
		{"POST", rechargestatus.EnquiryPath, "application/json", "", `{"referenceid":null}`},
		{"POST", rechargestatus.EnquiryPath, "application/json", "", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`},
		{"POST", rechargestatus.EnquiryPath, "application/json", "", "{\"referenceid\":\"\xff\xfe\",\"RegistrationID\":\"AOP-554\"}"},
		{"POST", rechargestatus.EnquiryPath, "application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554","referenceid":2}`},
		{"POST", rechargestatus.EnquiryPath, "application/json", "", `   `},
		{"POST", rechargestatus.EnquiryPath, "application/json", "", `1e999`},
		{"POST", rechargestatus.EnquiryPath, "text/plain", "", `{}`},
		{"POST", rechargestatus.EnquiryPath, "", "", `{}`},
		{"POST", rechargestatus.EnquiryPath, "application/json", strings.Repeat("x", 5000), `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"GET", rechargestatus.EnquiryPath, "", "", ``},
		{"post", rechargestatus.EnquiryPath, "application/json", "", `{"referenceid":"1","RegistrationID":"AOP-554"}`},
		{"POST", rechargestatus.EnquiryPath + "/", "application/json", "", `{}`},
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
		ctx := context.Background()
		got := v.CheckRequest(ctx, r, body)
		if got == nil {
			return
		}
		switch got.Status {
		case http.StatusBadRequest, http.StatusNotFound, http.StatusMethodNotAllowed, http.StatusUnsupportedMediaType:
		default:
			t.Fatalf("status %d: %+v", got.Status, *got)
		}
		if got.Message == "" {
			t.Fatalf("no message: %+v", *got)
		}
	})
}
