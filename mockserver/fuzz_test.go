package mockserver

import (
	"encoding/json"
	"net/http"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/testkit"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// FuzzEnquiry sends arbitrary enquiries through the whole handler, as a
// client would, and holds the mock to its promises: never a 5xx, never a
// panic, always a JSON answer in the provider's envelope that openapi.yaml
// accepts.
//
//	go test -run='^$' -fuzz='^FuzzEnquiry$' -fuzztime=30s ./mockserver
func FuzzEnquiry(f *testing.F) {
	s, err := New(Config{Clock: recharge.NewFrozenClock(sandboxEpoch)})
	if err != nil {
		f.Fatal(err)
	}
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
		a := testkit.Send(s, http.MethodPost, rechargestatus.EnquiryPath, contentType, header, body)
		a.CheckJSON(t, "enquiry")
		var env struct {
			Status       *bool   `json:"status"`
			ResponseCode *int    `json:"response_code"`
			Message      *string `json:"message"`
		}
		if err := json.Unmarshal(a.Body, &env); err != nil || env.Status == nil || env.ResponseCode == nil || env.Message == nil {
			t.Fatalf("answer %d %q is not the provider's envelope", a.Status, a.Body)
		}
		if a.Status >= 400 && *env.Status {
			t.Fatalf("error %d with status true: %q", a.Status, a.Body)
		}
		a.CheckSpec(t, http.MethodPost, rechargestatus.EnquiryPath, body)
	})
}
