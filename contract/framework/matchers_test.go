package framework

import (
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

func newJudge(t *testing.T) *conformance.Judge {
	t.Helper()
	v, err := conformance.LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	return conformance.NewJudge(v, conformance.WithDialects(dialect.Known{}))
}

func enquiryExchange(status int, body string) *Exchange {
	return &Exchange{
		Method: http.MethodPost, URL: "http://endpoint" + rechargestatus.EnquiryPath, Path: rechargestatus.EnquiryPath,
		RequestHeader: http.Header{"Content-Type": {"application/json"}}, RequestBody: []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`),
		Enquiry: validEnquiry, Status: status, Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(body),
	}
}

type matcher interface {
	Match(any) (bool, error)
	FailureMessage(any) string
}

func TestMatchersExplainTheirFailures(t *testing.T) {
	judge := newJudge(t)
	wrapped := enquiryExchange(http.StatusOK, `{"result":{"response_code":1}}`)
	refused := &Exchange{Method: http.MethodPost, URL: "http://endpoint/", Path: rechargestatus.EnquiryPath, Err: errors.New("connection refused")}
	redirected := enquiryExchange(http.StatusFound, "")
	redirected.Header.Set("Location", "https://elsewhere/")
	found := enquiryExchange(http.StatusOK, pageExample)
	found.Elapsed = time.Millisecond

	cases := []struct {
		name    string
		matcher matcher
		actual  *Exchange
		wants   []string
	}{
		{"contract", HonourContract(judge), wrapped, []string{"breaks openapi.yaml", "/response_code [required]", "breaks the invariants", "/status [envelope]: status is missing",
			"→ POST http://endpoint/api/AOP/RechargeStatus", `{"referenceid":"12345678"`, "← HTTP 200 OK", `{"result":`}},
		{"contract of a redirect", HonourContract(judge), redirected, []string{"answered a redirect, HTTP 302 to https://elsewhere/"}},
		{"answered", HaveAnswered(), refused, []string{"no complete answer came: connection refused", "← no answer"}},
		{"answered with a redirect", HaveAnswered(), redirected, []string{"answered a redirect"}},
		{"status", HaveStatus(401, 403), wrapped, []string{"want HTTP 401 or 403, got 200", `{"result":`}},
		{"status range", HaveStatusIn(400, 499), refused, []string{"want an HTTP status from 400 to 499, got no answer (connection refused)"}},
		{"response code", HaveResponseCode(gomega.Equal(2)), found, []string{"response_code: Expected", "<int>: 1", "to equal", "<int>: 2", "← HTTP 200"}},
		{"response code missing", HaveResponseCode(gomega.Equal(2)), wrapped, []string{"response_code: the answer has no integer response_code"}},
		{"message", HaveMessage(gomega.ContainSubstring("referenceid")), found, []string{"message: Expected", "Transaction Enquiry Successful"}},
		{"header", HaveHeader("Retry-After", gomega.Equal("7")), found, []string{"the header Retry-After: Expected"}},
		{"data member", HaveDataMember("txnid", gomega.Equal("1")), found, []string{"data.txnid: Expected", `<string>: 6469`}},
		{"data member of no data", HaveDataMember("txnid", gomega.Equal("1")), wrapped, []string{"data.txnid: the answer has no data"}},
		{"failure", HaveFailed(gomega.MatchError(syscall.ECONNRESET)), refused, []string{"why no complete answer came: Expected", "connection refused"}},
		{"failure of an answer", HaveFailed(gomega.MatchError(syscall.ECONNRESET)), found, []string{"a complete answer came (200)"}},
		{"elapsed", HaveElapsed(gomega.BeNumerically(">=", time.Second)), found, []string{"the time it took: Expected"}},
		{"JSON body", MatchJSONBody([]byte(`{"status":true,"response_code":2,"message":"x"}`)), found, []string{"the body: it differs at /response_code, /data, /message", "expected:", "actual:"}},
		{"JSON data", MatchJSONData([]byte(`{"txnid":"1"}`)), found, []string{"data: it differs at /txnid, /operatorname"}},
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
			if n := strings.Count(msg, "→ POST"); n != 1 {
				t.Errorf("the exchange shows %d times, want once:\n%s", n, msg)
			}
		})
	}
	if _, err := HonourContract(judge).Match("not an exchange"); err == nil {
		t.Error("want an error for a value that is not an *Exchange")
	}
}

func TestMatchersPassGoodAnswers(t *testing.T) {
	judge := newJudge(t)
	found := enquiryExchange(http.StatusOK, pageExample)
	for name, m := range map[string]matcher{
		"contract":      HonourContract(judge),
		"answered":      HaveAnswered(),
		"status":        HaveStatus(200),
		"response code": HaveResponseCode(gomega.Equal(1)),
		"data member":   HaveDataMember("refid", gomega.Equal("12345678")),
		"JSON body":     MatchJSONBody([]byte(pageExample)),
	} {
		if ok, err := m.Match(found); !ok || err != nil {
			t.Errorf("%s: %v, %v; want a match", name, ok, err)
		}
	}
}

func TestJudgeNamesEveryProblem(t *testing.T) {
	judge := newJudge(t)
	cases := []struct {
		name  string
		ex    *Exchange
		wants []string
	}{
		{"page example", enquiryExchange(200, pageExample), nil},
		{"wrong method still judged by the operation", func() *Exchange {
			ex := enquiryExchange(405, `{"status":false,"response_code":4,"message":"Validations Error: method GET is not allowed"}`)
			ex.Method = http.MethodGet
			return ex
		}(), nil},
		{"status a string and no message", enquiryExchange(200, `{"response_code":2,"status":"false"}`),
			[]string{"breaks openapi.yaml", "/status [type]", "/message", "breaks the invariants", "/status [envelope]"}},
		{"a duplicate status", enquiryExchange(200, `{"status":false,"response_code":2,"message":"No Transaction found","status":false}`),
			[]string{"is not read alike by every JSON reader", "/status [duplicate-key]"}},
		{"no answer", &Exchange{Method: "POST", Path: rechargestatus.EnquiryPath, Err: errors.New("connection refused")}, []string{"no answer to judge: connection refused"}},
		{"another path", &Exchange{Method: "GET", Path: "/__admin/health", Status: 200}, []string{"is not the RechargeStatus path"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := Judge(t.Context(), judge, tc.ex)
			if len(tc.wants) == 0 {
				if !p.None() {
					t.Errorf("want no problem, got %s", p)
				}
				return
			}
			for _, want := range tc.wants {
				if !strings.Contains(p.String(), want) {
					t.Errorf("problems lack %q:\n%s", want, p)
				}
			}
		})
	}
}
