package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// The fuzz targets send arbitrary input through the whole handler, as a
// client would, and hold the mock to its promises: never a 5xx, never a
// panic, always a JSON answer in the envelope its endpoint documents and
// that openapi.yaml accepts.
//
//	go test -run='^$' -fuzz='^FuzzEnquiry$' -fuzztime=30s ./mockserver

func fuzzServer(f *testing.F) *Server {
	f.Helper()
	s, err := New(Config{Clock: recharge.NewFrozenClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))})
	if err != nil {
		f.Fatal(err)
	}
	return s
}

type fuzzAnswer struct {
	status int
	header http.Header
	body   []byte
}

func fuzzSend(h http.Handler, method, path, contentType string, header http.Header, body []byte) fuzzAnswer {
	r := httptest.NewRequest(method, "http://127.0.0.1:8080/", bytes.NewReader(body))
	// httptest.NewRequest panics on a target it cannot parse; the path is
	// set apart so that any path reaches the router.
	u, err := url.ParseRequestURI(path)
	if err != nil {
		u = &url.URL{Path: path}
	}
	r.URL, r.RequestURI = u, path
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return fuzzAnswer{status: w.Code, header: w.Header(), body: w.Body.Bytes()}
}

// checkSpec validates an answer to method path against its OpenAPI document.
func (a fuzzAnswer) checkSpec(t *testing.T, method, path string, reqBody []byte) {
	t.Helper()
	check := httptest.NewRequest(method, "http://127.0.0.1:8080/", nil)
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return
	}
	check.URL = u
	check.Header.Set("Content-Type", "application/json")
	viol := specValidator.CheckResponse(context.Background(), check, reqBody, a.status, a.header, a.body)
	if len(viol) > 0 && viol[0].Rule != "route" {
		t.Fatalf("%s %s answered %d %s, which breaks its OpenAPI document: %v", method, path, a.status, a.body, viol)
	}
}

func (a fuzzAnswer) checkJSON(t *testing.T, what string) {
	t.Helper()
	if a.status >= 500 {
		t.Fatalf("%s: %d %s", what, a.status, a.body)
	}
	if ct := a.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, body %q", what, ct, a.body)
	}
	if !json.Valid(a.body) {
		t.Fatalf("%s: answer %d is not JSON: %q", what, a.status, a.body)
	}
}

// checkAdminError holds an admin error answer to its envelope.
func (a fuzzAnswer) checkAdminError(t *testing.T, what string) {
	t.Helper()
	var e AdminError
	if err := json.Unmarshal(a.body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s: %d %q is not an admin error", what, a.status, a.body)
	}
}

func FuzzEnquiry(f *testing.F) {
	s := fuzzServer(f)
	seeds := []struct{ contentType, token, body string }{
		{"application/json", "", `{"referenceid":"12345678","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":"PENDREFUND-7","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":"BADSIG-1","RegistrationID":"AOP-554"}`},
		{"application/json", "", `{"referenceid":"1","RegistrationID":"AOP-DISABLED"}`},
		{"application/json", "a.b.c", `{"referenceid":"SECURE-1001","RegistrationID":"AOP-SECURE"}`},
		{"application/json", "eyJhbGciOiJub25lIn0.e30.", `{"referenceid":"SECURE-1001","RegistrationID":"AOP-SECURE"}`},
		{"application/json", "", `{"referenceid":"x","RegistrationID":"AOP-554"} {"trailing":true}`},
		{"application/json", "", "{\"referenceid\":\"\xff\xfe\",\"RegistrationID\":\"AOP-554\"}"},
		{"application/json", "", `{"REFERENCEID":"1","referenceid":"2","RegistrationID":"AOP-554"}`},
		{"application/json", "", `[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]`},
		{"text/plain", "", `{}`},
		{"", "", ``},
	}
	for _, sd := range seeds {
		f.Add(sd.contentType, sd.token, []byte(sd.body))
	}
	f.Fuzz(func(t *testing.T, contentType, token string, body []byte) {
		header := http.Header{}
		if token != "" {
			header.Set("Token", token)
		}
		a := fuzzSend(s, http.MethodPost, rechargestatus.EnquiryPath, contentType, header, body)
		a.checkJSON(t, "enquiry")
		var env struct {
			Status       *bool   `json:"status"`
			ResponseCode *int    `json:"response_code"`
			Message      *string `json:"message"`
		}
		if err := json.Unmarshal(a.body, &env); err != nil || env.Status == nil || env.ResponseCode == nil || env.Message == nil {
			t.Fatalf("answer %d %q is not the provider's envelope", a.status, a.body)
		}
		if a.status >= 400 && *env.Status {
			t.Fatalf("error %d with status true: %q", a.status, a.body)
		}
		a.checkSpec(t, http.MethodPost, rechargestatus.EnquiryPath, body)
	})
}

func FuzzAdminPutTransaction(f *testing.F) {
	s := fuzzServer(f)
	seeds := []struct{ registration, reference, body string }{
		{"AOP-554", "ORDER-1", `{"state":"success"}`},
		{"AOP-554", "ORDER-2", `{"state":"pending","resolve":{"to":"failed","afterEnquiries":2},"refund":{"after":"10m"}}`},
		{"AOP-554", "ORDER-3", `{"state":"refunded","amount":"10.50","dateadded":"2026-03-05 17:00:00","daterefunded":"2026-03-05 18:00:00","refundtxnid":"RF1"}`},
		{"AOP-554", "ORDER-4", `{"state":"failed","amount":"ten"}`},
		{"AOP-554", "ORDER-5", `{"state":"pending","resolve":{"to":"refunded","after":"-1s"}}`},
		{"AOP-554", "a/b", `{"state":"success"}`},
		{"NOPE", "ORDER-6", `{"state":"success"}`},
		{"AOP-554", "ORDER-7", `{"state":"success","txnid":"` + strings.Repeat("9", 300) + `"}`},
		{"AOP-554", "ORDER-8", `{"state":"success","dateadded":"yesterday"}`},
		{"AOP-554", "ORDER-9", `{"state":"success","unknown":1}`},
		{"AOP-554", "ORDER-10", `not json`},
	}
	for _, sd := range seeds {
		f.Add(sd.registration, sd.reference, []byte(sd.body))
	}
	f.Fuzz(func(t *testing.T, registration, reference string, body []byte) {
		path := "/__admin/transactions/" + url.PathEscape(registration) + "/" + url.PathEscape(reference)
		a := fuzzSend(s, http.MethodPut, path, "application/json", nil, body)
		a.checkJSON(t, "PUT "+path)
		a.checkSpec(t, http.MethodPut, path, body)
		if a.status >= 400 {
			a.checkAdminError(t, "PUT "+path)
			return
		}
		if a.status != http.StatusOK && a.status != http.StatusCreated {
			t.Fatalf("PUT %s answered %d %s", path, a.status, a.body)
		}
		var view struct {
			State string          `json:"state"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(a.body, &view); err != nil {
			t.Fatal(err)
		}
		defer fuzzSend(s, http.MethodDelete, path, "", nil, nil)
		if !utf8.ValidString(registration) || !utf8.ValidString(reference) {
			// JSON cannot carry these bytes: no enquiry can name the key.
			return
		}
		// What was stored is what an enquiry answers, if the API can name it.
		req, _ := json.Marshal(map[string]string{"referenceid": reference, "RegistrationID": registration})
		e := fuzzSend(s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", nil, req)
		e.checkJSON(t, "enquiry of the stored transaction")
		e.checkSpec(t, http.MethodPost, rechargestatus.EnquiryPath, req)
		probe := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, nil)
		probe.Header.Set("Content-Type", "application/json")
		if p := specValidator.CheckRequest(context.Background(), probe, req); p != nil {
			// openapi.yaml does not let an enquiry name this key.
			return
		}
		if e.status != http.StatusOK {
			t.Fatalf("stored %s/%s, its enquiry answered %d %s", registration, reference, e.status, e.body)
		}
		var answer struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(e.body, &answer); err != nil {
			t.Fatal(err)
		}
		if !jsonEqual(t, answer.Data, view.Data) {
			t.Fatalf("admin view data %s, enquiry answered %s", view.Data, answer.Data)
		}
	})
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%q: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%q: %v", b, err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return bytes.Equal(xb, yb)
}

func FuzzAdminFaults(f *testing.F) {
	s := fuzzServer(f)
	seeds := []string{
		`{"faults":[{"kind":"status","status":503}]}`,
		`{"faults":[{"kind":"latency","latencyMin":"10ms","latencyMax":"5ms"}]}`,
		`{"faults":[{"kind":"status","status":200}]}`,
		`{"faults":[{"kind":"hang","latency":"1h"}]}`,
		`{"faults":[{"id":"../x","kind":"reset","probability":2}]}`,
		`{"faults":[{"kind":"trickle","referenceId":"1","registrationId":"AOP-554","count":-1}]}`,
		`{"faults":[{"kind":"status","status":429,"retryAfter":"soon"}]}`,
		`{"faults":null}`,
		`{"kind":"empty","count":3}`,
		`[]`,
	}
	for _, sd := range seeds {
		f.Add(sd)
	}
	f.Fuzz(func(t *testing.T, body string) {
		for _, method := range []string{http.MethodPut, http.MethodPost} {
			a := fuzzSend(s, method, "/__admin/faults", "application/json", nil, []byte(body))
			a.checkJSON(t, method+" /__admin/faults")
			a.checkSpec(t, method, "/__admin/faults", []byte(body))
			if a.status >= 400 {
				a.checkAdminError(t, method+" /__admin/faults")
			}
			if clear := fuzzSend(s, http.MethodDelete, "/__admin/faults", "", nil, nil); clear.status != http.StatusNoContent {
				t.Fatalf("clearing faults: %d %s", clear.status, clear.body)
			}
		}
	})
}

func FuzzFaultHeader(f *testing.F) {
	for _, sd := range []string{"status=503", "latency=2s", "reset", "hang;latency=1s", "status=429;retryAfter=2", "latency=-1s", "status=abc", ";;;", "trickle;latency=99999h"} {
		f.Add(sd)
	}
	f.Fuzz(func(t *testing.T, v string) {
		rule, err := ParseFaultHeader(v)
		if err != nil {
			return
		}
		if rule.Kind == "" {
			t.Fatalf("%q parsed to a rule without a kind: %+v", v, rule)
		}
	})
}
