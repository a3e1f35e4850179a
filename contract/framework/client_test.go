package contract

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

func newMockURL(t *testing.T) string {
	t.Helper()
	url, stop, err := startMock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}

func TestClientSpacesRequestsToTheRate(t *testing.T) {
	var calls atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer srv.Close()
	const rps, requests = 20.0, 4
	c := NewClient(srv.URL, ClientOptions{Timeout: time.Second, RPS: rps})
	start := time.Now()
	for range requests {
		if ex := c.Do(context.Background(), Request{}); ex.Err != nil {
			t.Fatal(ex.Err)
		}
	}
	minimum := time.Duration(float64(requests-1) / rps * float64(time.Second))
	if elapsed := time.Since(start); elapsed < minimum {
		t.Errorf("%d requests at %g per second took %s, want at least %s", requests, rps, elapsed, minimum)
	}
	if calls.Load() != requests {
		t.Errorf("server saw %d requests, want %d", calls.Load(), requests)
	}
}

func TestClientGivesUpAtTheTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	const timeout = 100 * time.Millisecond
	c := NewClient(srv.URL, ClientOptions{Timeout: timeout})
	ex := c.Enquire(context.Background(), validEnquiry)
	var netErr interface{ Timeout() bool }
	if ex.Err == nil || !errors.As(ex.Err, &netErr) || !netErr.Timeout() {
		t.Fatalf("want a timeout, got %v", ex.Err)
	}
	if ex.Elapsed < timeout {
		t.Errorf("gave up after %s, before the %s timeout", ex.Elapsed, timeout)
	}
	if !strings.Contains(ex.Dump(), "no answer after") {
		t.Errorf("dump does not say no answer came:\n%s", ex.Dump())
	}
}

func TestClientSignsTokensForItsRegistration(t *testing.T) {
	url := newMockURL(t)
	c := NewClient(url, ClientOptions{Timeout: 5 * time.Second, TokenKey: DefaultSecureKey, PartnerID: "AOP-SECURE", RegistrationID: "AOP-SECURE"})
	secure := rechargestatus.Enquiry{ReferenceID: "SECURE-1001", RegistrationID: "AOP-SECURE"}
	for i := range 2 {
		ex := c.Enquire(context.Background(), secure)
		if ex.Status != http.StatusOK {
			t.Fatalf("enquiry %d with a signed token: %s", i+1, ex.Dump())
		}
	}
	other := c.Enquire(context.Background(), validEnquiry)
	if other.RequestHeader.Get("Token") != "" {
		t.Errorf("a token was sent for another registration:\n%s", other.Dump())
	}
}

func TestDumpShowsTheExchangeWithoutSecrets(t *testing.T) {
	url := newMockURL(t)
	c := NewClient(url, ClientOptions{Timeout: 5 * time.Second, Header: http.Header{"Authorisedkey": {"s3cret-key"}}})
	var log strings.Builder
	c.Log = &log
	ex := c.Do(context.Background(), Request{
		Header:  http.Header{"Content-Type": {"application/json"}, "Token": {"s3cret-token"}},
		Body:    []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`),
		Enquiry: validEnquiry,
	})
	dump := ex.Dump()
	for _, want := range []string{"→ POST " + url + rechargestatus.EnquiryPath, `"referenceid":"12345678"`, "← HTTP 200 OK", `"txnid":"6469"`, "Token: (redacted)", "Authorisedkey: (redacted)"} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	if strings.Contains(dump, "s3cret") {
		t.Errorf("dump shows a secret:\n%s", dump)
	}
	if log.String() != dump+"\n" {
		t.Errorf("log holds %q, want the dump", log.String())
	}
}

func TestDumpClipsLongBodies(t *testing.T) {
	ex := &Exchange{Method: "POST", URL: "http://x/", Status: 200, Body: []byte(strings.Repeat("a", dumpBodyLimit+10))}
	if dump := ex.Dump(); !strings.Contains(dump, "… 10 more bytes") {
		t.Errorf("long body not clipped:\n%s", dump[len(dump)-200:])
	}
}

func TestJudgeNamesEveryProblem(t *testing.T) {
	v, err := conformance.LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	j := &Judge{Validator: v, History: conformance.NewHistory(0)}
	jsonHeader := http.Header{"Content-Type": {"application/json"}}
	cases := []struct {
		name  string
		ex    Exchange
		wants []string
	}{
		{"page example", Exchange{Method: "POST", Path: rechargestatus.EnquiryPath, Enquiry: validEnquiry, Status: 200, Header: jsonHeader,
			Body: []byte(`{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`)}, nil},
		{"wrong method still judged by the operation", Exchange{Method: "GET", Path: rechargestatus.EnquiryPath, Status: 405, Header: jsonHeader,
			Body: []byte(`{"status":false,"response_code":4,"message":"Validations Error: method GET is not allowed"}`)}, nil},
		{"status a string and no message", Exchange{Method: "POST", Path: rechargestatus.EnquiryPath, Enquiry: validEnquiry, Status: 200, Header: jsonHeader,
			Body: []byte(`{"response_code":2,"status":"false"}`)}, []string{"breaks openapi.yaml", "/status [type]", "/message", "breaks the invariants", "/status [envelope]"}},
		{"no answer", Exchange{Method: "POST", Path: rechargestatus.EnquiryPath, Err: errors.New("connection refused")}, []string{"no complete answer: connection refused"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := j.Problems(context.Background(), &tc.ex)
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
