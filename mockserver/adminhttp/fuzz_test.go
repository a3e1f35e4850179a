package adminhttp_test

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

	"github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/testkit"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// The fuzz targets send arbitrary admin requests through the whole mock, as
// a client would, and hold it to its promises: never a 5xx, never a panic,
// always a JSON answer, in the admin error envelope when it refuses, that
// the admin API's document accepts; and what it stores is what an enquiry
// answers.
//
//	go test -run='^$' -fuzz='^FuzzAdminPutTransaction$' -fuzztime=30s ./mockserver/adminhttp

func fuzzServer(f *testing.F) *mockserver.Server {
	f.Helper()
	s, err := mockserver.New(mockserver.Config{Clock: recharge.NewFrozenClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC))})
	if err != nil {
		f.Fatal(err)
	}
	return s
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
		a := testkit.Send(s, http.MethodPut, path, "application/json", nil, body)
		a.CheckJSON(t, "PUT "+path)
		a.CheckSpec(t, http.MethodPut, path, body)
		if a.Status >= 400 {
			a.CheckAdminError(t, "PUT "+path)
			return
		}
		if a.Status != http.StatusOK && a.Status != http.StatusCreated {
			t.Fatalf("PUT %s answered %d %s", path, a.Status, a.Body)
		}
		var view struct {
			State string          `json:"state"`
			Data  json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(a.Body, &view); err != nil {
			t.Fatal(err)
		}
		defer testkit.Send(s, http.MethodDelete, path, "", nil, nil)
		if !utf8.ValidString(registration) || !utf8.ValidString(reference) {
			// JSON cannot carry these bytes: no enquiry can name the key.
			return
		}
		// What was stored is what an enquiry answers, if the API can name it.
		req, _ := json.Marshal(map[string]string{"referenceid": reference, "RegistrationID": registration})
		e := testkit.Send(s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", nil, req)
		e.CheckJSON(t, "enquiry of the stored transaction")
		e.CheckSpec(t, http.MethodPost, rechargestatus.EnquiryPath, req)
		probe := httptest.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, nil)
		probe.Header.Set("Content-Type", "application/json")
		if p := testkit.Spec.CheckRequest(context.Background(), probe, req); p != nil {
			// openapi.yaml does not let an enquiry name this key.
			return
		}
		if e.Status != http.StatusOK {
			t.Fatalf("stored %s/%s, its enquiry answered %d %s", registration, reference, e.Status, e.Body)
		}
		var answer struct {
			Data json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal(e.Body, &answer); err != nil {
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
			a := testkit.Send(s, method, "/__admin/faults", "application/json", nil, []byte(body))
			a.CheckJSON(t, method+" /__admin/faults")
			a.CheckSpec(t, method, "/__admin/faults", []byte(body))
			if a.Status >= 400 {
				a.CheckAdminError(t, method+" /__admin/faults")
			}
			if clear := testkit.Send(s, http.MethodDelete, "/__admin/faults", "", nil, nil); clear.Status != http.StatusNoContent {
				t.Fatalf("clearing faults: %d %s", clear.Status, clear.Body)
			}
		}
	})
}
