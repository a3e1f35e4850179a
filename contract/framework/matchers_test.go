package contract

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

func TestMatchersExplainTheirFailures(t *testing.T) {
	v, err := conformance.LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	judge := &Judge{Validator: v, History: conformance.NewHistory(0)}
	wrapped := &Exchange{
		Method: http.MethodPost, URL: "http://endpoint" + rechargestatus.EnquiryPath, Path: rechargestatus.EnquiryPath,
		RequestHeader: http.Header{"Content-Type": {"application/json"}}, RequestBody: []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`),
		Enquiry: validEnquiry, Status: http.StatusOK, Header: http.Header{"Content-Type": {"application/json"}},
		Body: []byte(`{"result":{"response_code":1}}`),
	}
	refused := &Exchange{Method: http.MethodPost, URL: "http://endpoint/", Path: rechargestatus.EnquiryPath, Err: errors.New("connection refused")}

	cases := []struct {
		name    string
		matcher interface {
			Match(any) (bool, error)
			FailureMessage(any) string
		}
		actual *Exchange
		wants  []string
	}{
		{"contract", HonourContract(judge), wrapped, []string{"/response_code [required]", "/status [envelope]: status is missing", "→ POST http://endpoint/api/AOP/RechargeStatus", `{"referenceid":"12345678"`, "← HTTP 200 OK", `{"result":`}},
		{"answered", HaveAnswered(), refused, []string{"no complete answer came: connection refused", "← no answer"}},
		{"status", HaveStatus(401, 403), wrapped, []string{"want HTTP 401 or 403, got 200", `{"result":`}},
		{"status range", HaveStatusIn(400, 499), refused, []string{"want an HTTP status from 400 to 499, got no answer (connection refused)"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			ok, err := tc.matcher.Match(tc.actual)
			if err != nil || ok {
				t.Fatalf("Match = %v, %v; want a mismatch", ok, err)
			}
			msg := tc.matcher.FailureMessage(tc.actual)
			for _, want := range tc.wants {
				if !strings.Contains(msg, want) {
					t.Errorf("failure message lacks %q:\n%s", want, msg)
				}
			}
		})
	}
	if _, err := HonourContract(judge).Match("not an exchange"); err == nil {
		t.Error("want an error for a value that is not an *Exchange")
	}
}
