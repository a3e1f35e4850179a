package framework

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

var validEnquiry = rechargestatus.Enquiry{ReferenceID: "12345678", RegistrationID: "AOP-554"}

// pageExample is the provider page's success answer.
const pageExample = `{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`

func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

func answerJSON(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func TestClientSpacesRequestsToTheRate(t *testing.T) {
	var calls atomic.Int64
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	const rps, requests = 20.0, 4
	c := NewClient(url, ClientOptions{Timeout: time.Second, RPS: rps})
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
	if calls.Load() != requests || c.Sent() != requests {
		t.Errorf("server saw %d requests, client counted %d; want %d", calls.Load(), c.Sent(), requests)
	}
}

func TestClientGivesUpAtTheTimeout(t *testing.T) {
	url := serve(t, func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	})
	const timeout = 100 * time.Millisecond
	c := NewClient(url, ClientOptions{Timeout: timeout})
	ex := c.Do(context.Background(), EnquiryRequest(validEnquiry))
	var netErr interface{ Timeout() bool }
	if ex.Err == nil || !errors.As(ex.Err, &netErr) || !netErr.Timeout() {
		t.Fatalf("want a timeout, got %v", ex.Err)
	}
	if !strings.Contains(ex.Err.Error(), "no complete answer within 100ms (--timeout)") {
		t.Errorf("the error does not name the setting: %v", ex.Err)
	}
	if ex.Elapsed < timeout {
		t.Errorf("gave up after %s, before the %s timeout", ex.Elapsed, timeout)
	}
}

func TestClientCapsItsRequests(t *testing.T) {
	var calls atomic.Int64
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		calls.Add(1)
		w.WriteHeader(http.StatusNoContent)
	})
	c := NewClient(url, ClientOptions{Timeout: time.Second, MaxRequests: 2})
	for i := range 3 {
		ex := c.Do(context.Background(), Request{})
		if capped := errors.Is(ex.Err, ErrRequestCap); capped != (i == 2) {
			t.Errorf("request %d: error %v", i+1, ex.Err)
		}
	}
	if calls.Load() != 2 || c.Sent() != 2 {
		t.Errorf("server saw %d requests, client counted %d; want 2", calls.Load(), c.Sent())
	}
}

func TestClientWaitsOutATooManyRequests(t *testing.T) {
	var calls atomic.Int64
	url := serve(t, func(w http.ResponseWriter, _ *http.Request) {
		if calls.Add(1) == 1 {
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	})
	const wait = 80 * time.Millisecond
	for _, waitOut := range []bool{true, false} {
		calls.Store(0)
		c := NewClient(url, ClientOptions{Timeout: time.Second, WaitOutRateLimits: waitOut, MaxRetryWait: wait})
		start := time.Now()
		ex := c.Do(context.Background(), Request{})
		elapsed := time.Since(start)
		switch {
		case waitOut && (ex.Status != http.StatusNoContent || ex.RateLimited != 1 || calls.Load() != 2):
			t.Errorf("waiting out: HTTP %d after %d 429s, %d requests; want 204 after one", ex.Status, ex.RateLimited, calls.Load())
		case !waitOut && (ex.Status != http.StatusTooManyRequests || calls.Load() != 1):
			t.Errorf("not waiting: HTTP %d, %d requests; want the 429", ex.Status, calls.Load())
		}
		if waitOut && elapsed < wait {
			t.Errorf("sent again after %s, before the %s the Retry-After asked (capped)", elapsed, wait)
		}
		if waitOut && !strings.Contains(ex.Dump(), "after waiting out 1 answer(s) 429") {
			t.Errorf("the dump does not say it waited:\n%s", ex.Dump())
		}
	}
}

func TestRetryAfterReadsSecondsAndDates(t *testing.T) {
	now := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Duration{
		"7":                             7 * time.Second,
		"0":                             0,
		"Thu, 05 Mar 2026 12:00:30 GMT": 30 * time.Second,
		"Thu, 05 Mar 2026 11:00:00 GMT": 0,
		"soon":                          defaultRetryAfter,
		"":                              defaultRetryAfter,
	} {
		if got := retryAfter(in, now); got != want {
			t.Errorf("Retry-After %q: %s, want %s", in, got, want)
		}
	}
}

func TestClientReportsAnswersTooLarge(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"announced": func(w http.ResponseWriter, _ *http.Request) {
			w.Header().Set("Content-Length", "100000")
			w.WriteHeader(http.StatusOK)
			_, _ = w.Write(make([]byte, 100000))
		},
		"endless": func(w http.ResponseWriter, r *http.Request) {
			for r.Context().Err() == nil {
				if _, err := w.Write(make([]byte, 4096)); err != nil {
					return
				}
			}
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			c := NewClient(serve(t, h), ClientOptions{Timeout: 5 * time.Second, MaxAnswerBytes: 10000})
			ex := c.Do(context.Background(), Request{})
			var tooLarge *TooLargeError
			if !errors.As(ex.Err, &tooLarge) || tooLarge.Limit != 10000 {
				t.Fatalf("want the answer reported too large, got %v", ex.Err)
			}
			if !strings.Contains(ex.Failure().Error(), "larger than 10000 bytes") || len(ex.Body) > 10000 {
				t.Errorf("failure %v, %d bytes kept", ex.Failure(), len(ex.Body))
			}
		})
	}
}

func TestClientReportsRedirectsWithoutFollowingThem(t *testing.T) {
	var followed atomic.Bool
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/elsewhere" {
			followed.Store(true)
		}
		http.Redirect(w, r, "/elsewhere", http.StatusTemporaryRedirect)
	})
	c := NewClient(url, ClientOptions{Timeout: time.Second})
	ex := c.Do(context.Background(), EnquiryRequest(validEnquiry))
	if followed.Load() {
		t.Error("the client followed the redirect")
	}
	if f := ex.Failure(); f == nil || !strings.Contains(f.Error(), "answered a redirect, HTTP 307 to /elsewhere") {
		t.Errorf("failure %v, want the redirect named", f)
	}
}

func TestClientSignsTokensForItsRegistration(t *testing.T) {
	const key = "partner-key"
	tokens := make(chan string, 4)
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		tokens <- r.Header.Get(rechargestatus.TokenHeader)
		w.WriteHeader(http.StatusNoContent)
	})
	c := NewClient(url, ClientOptions{Timeout: time.Second, Signer: &TokenSigner{Key: key, PartnerID: "P-1", RegistrationID: "AOP-554"}})
	c.Do(context.Background(), EnquiryRequest(validEnquiry))
	c.Do(context.Background(), EnquiryRequest(validEnquiry))
	unsigned := EnquiryRequest(validEnquiry)
	unsigned.Unsigned = true
	c.Do(context.Background(), unsigned)
	c.Do(context.Background(), EnquiryRequest(rechargestatus.Enquiry{ReferenceID: "1", RegistrationID: "OTHER"}))
	var reqids []string
	for i := range 2 {
		claims := jwt.MapClaims{}
		_, err := jwt.ParseWithClaims(<-tokens, claims, func(*jwt.Token) (any, error) { return []byte(key), nil }, jwt.WithValidMethods([]string{"HS256"}))
		if err != nil || claims["partnerId"] != "P-1" {
			t.Fatalf("token %d: %v, claims %v", i+1, err, claims)
		}
		reqids = append(reqids, claims["reqid"].(string))
	}
	if reqids[0] == reqids[1] {
		t.Errorf("two requests carried the same reqid %s", reqids[0])
	}
	if unsigned, other := <-tokens, <-tokens; unsigned != "" || other != "" {
		t.Errorf("a token was sent unsigned (%q) or for another registration (%q)", unsigned, other)
	}
}

func TestDumpShowsTheExchangeWithoutSecrets(t *testing.T) {
	const secretBody = `{"echo":"s3cret-header-value"}`
	url := serve(t, answerJSON(http.StatusOK, secretBody))
	redactor := NewRedactor([]string{"X-Team"}, []string{"s3cret-header-value", "s3cret-key"})
	c := NewClient(url, ClientOptions{Timeout: 5 * time.Second, Redactor: redactor,
		Header: http.Header{"Authorisedkey": {"s3cret-key"}, "X-Team": {"payments"}, "X-Secret": {"s3cret-header-value"}}})
	var log strings.Builder
	c.opts.Log = &log
	ex := c.Do(context.Background(), Request{
		Header:  http.Header{"Content-Type": {"application/json"}, "Token": {"s3cret-token"}},
		Body:    []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`),
		Enquiry: validEnquiry,
	})
	dump := ex.Dump()
	for _, want := range []string{"→ POST " + url + rechargestatus.EnquiryPath, `"referenceid":"12345678"`, "← HTTP 200 OK",
		"Token: (redacted)", "Authorisedkey: (redacted)", "X-Team: (redacted)", "X-Secret: (redacted)", `{"echo":"(redacted)"}`} {
		if !strings.Contains(dump, want) {
			t.Errorf("dump lacks %q:\n%s", want, dump)
		}
	}
	if strings.Index(dump, "→") > strings.Index(dump, "←") {
		t.Errorf("the dump shows the answer before the request:\n%s", dump)
	}
	for _, secret := range []string{"s3cret", "payments"} {
		if strings.Contains(dump, secret) || strings.Contains(log.String(), secret) {
			t.Errorf("dump or log shows %q:\n%s\n%s", secret, dump, log.String())
		}
	}
	if !strings.HasPrefix(log.String(), "→ POST ") || strings.Count(log.String(), "\n") != 1 {
		t.Errorf("log holds %q, want one line", log.String())
	}
}

func TestDumpHidesAPasswordInTheURL(t *testing.T) {
	ex := &Exchange{Method: "POST", URL: "https://partner:hunter22@api.example/api/AOP/RechargeStatus", Err: errors.New("refused")}
	if dump := ex.Dump(); strings.Contains(dump, "hunter22") || !strings.Contains(dump, "partner:xxxxx@") {
		t.Errorf("dump:\n%s", dump)
	}
}

func TestDumpClipsLongBodies(t *testing.T) {
	ex := &Exchange{Method: "POST", URL: "http://x/", Status: 200, Body: []byte(strings.Repeat("a", dumpBodyLimit+10))}
	if dump := ex.Dump(); !strings.Contains(dump, "… 10 more bytes") {
		t.Errorf("long body not clipped:\n%s", dump[len(dump)-200:])
	}
}
