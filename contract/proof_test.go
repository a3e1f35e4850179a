package contract_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// These tests hold the suite to its purpose: a run against a provider-faithful
// endpoint (the sandbox's mock, with the registration and references of the
// provider's page) passes, and a run against the same endpoint broken in one
// promise fails, in the spec and with the rule that name it.

// answer is what the mock answered, for a spoiler to change.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// spoiler breaks an answer of the mock to r; it may block to play a hang.
type spoiler func(r *http.Request, reqBody []byte, a *answer)

// faithful serves the mock's answers unchanged.
func faithful(*http.Request, []byte, *answer) {}

// spoiltMock serves the answers of a mock configured by cfg through spoil on
// a loopback port until the test ends.
func spoiltMock(t *testing.T, cfg mockserver.Config, spoil spoiler) string {
	t.Helper()
	mock, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		rec := httptest.NewRecorder()
		mock.ServeHTTP(rec, r)
		a := &answer{status: rec.Code, header: rec.Header().Clone(), body: rec.Body.Bytes()}
		spoil(r, reqBody, a)
		for name, values := range a.header {
			w.Header()[name] = values
		}
		w.Header().Del("Content-Length")
		w.WriteHeader(a.status)
		_, _ = w.Write(a.body)
	}))
	t.Cleanup(func() {
		srv.CloseClientConnections()
		srv.Close()
	})
	return srv.URL
}

// editJSON applies change to a JSON object body; other bodies stay as they are.
func editJSON(a *answer, change func(envelope map[string]any)) {
	var envelope map[string]any
	if json.Unmarshal(a.body, &envelope) != nil || envelope == nil {
		return
	}
	change(envelope)
	a.body, _ = json.Marshal(envelope)
}

// editData applies change to the data of a found transaction.
func editData(change func(data map[string]any)) spoiler {
	return func(_ *http.Request, _ []byte, a *answer) {
		editJSON(a, func(envelope map[string]any) {
			if data, ok := envelope["data"].(map[string]any); ok {
				change(data)
			}
		})
	}
}

// malformedEnquiry reports whether the request is one of the suite's
// malformed ones: not an enquiry as the provider's page shows it.
func malformedEnquiry(r *http.Request, reqBody []byte) bool {
	var q map[string]any
	if r.Method != http.MethodPost || r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(reqBody, &q) != nil || len(q) != 2 {
		return true
	}
	for _, name := range []string{"referenceid", "RegistrationID"} {
		if v, ok := q[name].(string); !ok || v == "" || len(v) > 64 {
			return true
		}
	}
	return false
}

// mishandleMalformedInput answers the suite's malformed requests four wrong
// ways, by what is wrong with them.
func mishandleMalformedInput(r *http.Request, reqBody []byte, a *answer) {
	if !malformedEnquiry(r, reqBody) {
		return
	}
	switch {
	case len(reqBody) > 0 && !json.Valid(reqBody):
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	case bytes.HasPrefix(reqBody, []byte("[")):
		a.header.Set("Content-Type", "application/json")
		a.body = []byte(`{"error":"Bad Request"}`)
	case r.Method == http.MethodGet || !bytes.Contains(reqBody, []byte(`"RegistrationID"`)) || !bytes.Contains(reqBody, []byte(`"referenceid"`)):
		a.status = http.StatusInternalServerError
		a.body = []byte(`{"status":false,"response_code":5,"message":"Unable to process request"}`)
	default:
		a.status = http.StatusOK
		a.header.Set("Content-Type", "application/json")
		a.body = []byte(`{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`)
	}
}

// realRun is the page's registration and references, checked as a real
// target at a rate the test can afford.
func realRun(url string, extra ...string) []string {
	return append([]string{"--target=real", "--base-url=" + url, "--registration-id=AOP-554",
		"--reference=12345678", "--reference=FAILED-1001", "--reference=REFUND-1001", "--rps=1000"}, extra...)
}

func TestARealRunPassesAgainstAFaithfulEndpoint(t *testing.T) {
	t.Parallel()
	url := spoiltMock(t, mockserver.Config{Seed: 1}, faithful)
	cases := []struct {
		name string
		env  []string
		args []string
		// want are labels of specs that must have run and passed.
		want []string
	}{
		{"without a partner key", nil, realRun(url), []string{framework.LabelNegative}},
		{"with the partner key of a registration that has one", []string{framework.EnvName("partner-key") + "=" + framework.DefaultSecureKey},
			[]string{"--target=real", "--base-url=" + url, "--registration-id=AOP-SECURE", "--reference=SECURE-1001", "--rps=1000", "--label-filter=!negative"},
			[]string{framework.LabelToken}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runSuite(t, commandChild(t), tc.env, tc.args...)
			if r.code != contract.ExitPassed {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, contract.ExitPassed, r.failures(), r.output)
			}
			for _, label := range tc.want {
				if n := r.passedWithLabel(label); n == 0 {
					t.Errorf("no spec labelled %s passed", label)
				}
			}
			r.expectMockSpecsSkipped(t)
		})
	}
}

// TestARealRunHoldsTheProviderToWhatIsKnown: an endpoint that answers what
// the page and the notes say, and no more, passes a real run, though the
// sandbox refuses some of what it answers: an over-long referenceid or
// body answered as an unknown transaction, a body without Content-Type
// application/json answered as the enquiry it holds.
func TestARealRunHoldsTheProviderToWhatIsKnown(t *testing.T) {
	t.Parallel()
	mock, err := mockserver.New(mockserver.Config{Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	notFound := []byte(`{"status":false,"response_code":2,"message":"No Transaction found"}`)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := io.ReadAll(r.Body)
		var q map[string]any
		if r.Method == http.MethodPost && json.Unmarshal(reqBody, &q) == nil && len(q) == 2 {
			ref, _ := q["referenceid"].(string)
			if id, ok := q["RegistrationID"].(string); ok && id != "" && len(ref) > 64 {
				w.Header().Set("Content-Type", "application/json")
				_, _ = w.Write(notFound)
				return
			}
			r.Header.Set("Content-Type", "application/json")
		}
		r.Body = io.NopCloser(bytes.NewReader(reqBody))
		mock.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	r := runSuite(t, commandChild(t), nil, realRun(srv.URL)...)
	if r.code != contract.ExitPassed {
		t.Fatalf("exit %d, want %d\n%s\n%s", r.code, contract.ExitPassed, r.failures(), r.output)
	}
	for _, spec := range []string{"when referenceid is 65 characters long", "when the body is 65536 bytes long", "when the Content-Type is text/plain", "when there is no Content-Type"} {
		if n := r.passedWithText(spec); n == 0 {
			t.Errorf("no spec %q passed", spec)
		}
	}
}

// TestARealRunCatchesEachBrokenPromise breaks one promise of the contract
// at a time.
func TestARealRunCatchesEachBrokenPromise(t *testing.T) {
	t.Parallel()
	for _, tc := range brokenPromises() {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := spoiltMock(t, mockserver.Config{Seed: 1}, tc.spoil)
			// The preflight would stop a run against an endpoint that breaks
			// the envelope before the specs could say how.
			args := realRun(url, "--timeout=500ms", "--preflight=false")
			if !tc.negative {
				args = append(args, "--label-filter=!negative")
			}
			r := runSuite(t, commandChild(t), nil, args...)
			if r.code != contract.ExitFailed {
				t.Fatalf("exit %d against an endpoint breaking %s, want %d\n%s", r.code, tc.name, contract.ExitFailed, r.output)
			}
			for _, c := range tc.caught {
				r.expectCaught(t, c)
			}
		})
	}
}

// expectMockSpecsSkipped checks that no spec the sandbox alone can answer
// ran, and that the report says why each did not.
// brokenPromise is an endpoint that breaks one promise of the contract, and
// what the suite must say of it.
type brokenPromise struct {
	name  string
	spoil spoiler
	// negative runs the malformed requests too.
	negative bool
	caught   []caught
}

// brokenPromises breaks each promise a real run checks.
func brokenPromises() []brokenPromise {
	var txnids atomic.Int64
	return []brokenPromise{
		{
			name:   "schema: amount a number",
			spoil:  editData(func(d map[string]any) { d["amount"] = 1 }),
			caught: []caught{{"referenceid 12345678 of AOP-554 answers HTTP 200", "/data/amount [type]"}},
		},
		{
			name: "envelope: wrapped in result",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				a.body = append(append([]byte(`{"result":`), a.body...), '}')
			},
			caught: []caught{
				{"referenceid REFUND-1001 of AOP-554 answers HTTP 200", "[required]"},
				{"Status enquiry of an unknown transaction", "/status [envelope]: status is missing"},
			},
		},
		{
			name: "codes: an unknown partner refused with response_code 2",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				if a.status == http.StatusUnauthorized {
					editJSON(a, func(e map[string]any) { e["response_code"] = 2 })
				}
			},
			caught: []caught{{"Refusal of an unknown partner refuses an unknown RegistrationID", "/response_code [agreement]"}},
		},
		{
			name: "refund consistency: refunded without refundtxnid",
			spoil: editData(func(d map[string]any) {
				if d["refunded"] == "1" {
					d["refundtxnid"] = ""
				}
			}),
			caught: []caught{{"referenceid REFUND-1001 of AOP-554 answers HTTP 200", "/data/refundtxnid [refund]"}},
		},
		{
			name:   "refid echo: another refid",
			spoil:  editData(func(d map[string]any) { d["refid"] = "87654321" }),
			caught: []caught{{"referenceid FAILED-1001 of AOP-554 answers HTTP 200", "/data/refid [refid]"}},
		},
		{
			name: "txnid stability: a new txnid on every enquiry",
			spoil: editData(func(d map[string]any) {
				if d["refid"] == "12345678" {
					d["txnid"] = fmt.Sprint(6469 + txnids.Add(1))
				}
			}),
			caught: []caught{{"referenceid 12345678 of AOP-554 answers the same txnid again", "txnid"}},
		},
		{
			name:     "malformed input: a 500, a success, plain text or nothing for it",
			negative: true,
			spoil:    mishandleMalformedInput,
			caught: []caught{
				{"when referenceid is missing", "never the server's"},
				{"when the method is GET", "got 500"},
				{"when RegistrationID is a number", "answered as a success: HTTP 200 with status true"},
				{"when the body is a JSON array", "[envelope]"},
				{"when the body is not valid JSON", "no complete answer within"},
			},
		},
		{
			name: "strict reading: invalid UTF-8 in data",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				a.body = bytes.Replace(a.body, []byte(`"canumber":"`), []byte("\"canumber\":\"\xff"), 1)
			},
			caught: []caught{{"referenceid 12345678 of AOP-554 answers HTTP 200", "/data/canumber [utf-8]"}},
		},
		{
			name: "strict reading: status false, then status true",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				if bytes.Contains(a.body, []byte(`"status":false`)) {
					a.body = append(bytes.TrimSuffix(bytes.TrimSpace(a.body), []byte("}")), []byte(`,"status":true}`)...)
				}
			},
			caught: []caught{{"Status enquiry of an unknown transaction", "/status [duplicate-key]"}},
		},
		{
			name: "strict reading: a WRONG refid before the right one",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				a.body = bytes.Replace(a.body, []byte(`"refid":"`), []byte(`"refid":"WRONG","refid":"`), 1)
			},
			caught: []caught{{"referenceid 12345678 of AOP-554 answers HTTP 200", "/data/refid [duplicate-key]"}},
		},
		{
			name: "content type: answers as text/plain",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				a.header.Set("Content-Type", "text/plain")
			},
			caught: []caught{{"referenceid 12345678 of AOP-554 answers HTTP 200", "[content-type]"}},
		},
	}
}

func (r run) expectMockSpecsSkipped(t *testing.T) {
	t.Helper()
	for _, s := range r.report.SpecReports {
		for _, label := range []string{framework.LabelAdmin, framework.LabelFaults, framework.LabelFixtures, framework.LabelSandbox} {
			if s.LeafNodeType != types.NodeTypeIt || !contains(s.Labels(), label) {
				continue
			}
			if !s.State.Is(types.SpecStateSkipped) {
				t.Errorf("spec %q [%s] ran against a real target", s.FullText(), label)
			} else if !strings.HasPrefix(s.Failure.Message, "on target real, specs labelled ") {
				t.Errorf("the report does not say why spec %q did not run: %q", s.FullText(), s.Failure.Message)
			}
		}
	}
	for _, reason := range []string{"specs labelled admin need the sandbox's admin API", "specs labelled sandbox hold the endpoint to a promise only the sandbox makes"} {
		if !strings.Contains(r.output, "did not run: on target real, "+reason) {
			t.Errorf("the output does not say %q", reason)
		}
	}
}

func (r run) passedWithLabel(label string) int {
	n := 0
	for _, s := range r.report.SpecReports {
		if s.LeafNodeType == types.NodeTypeIt && s.State.Is(types.SpecStatePassed) && contains(s.Labels(), label) {
			n++
		}
	}
	return n
}

func (r run) passedWithText(text string) int {
	n := 0
	for _, s := range r.report.SpecReports {
		if s.LeafNodeType == types.NodeTypeIt && s.State.Is(types.SpecStatePassed) && strings.Contains(s.FullText(), text) {
			n++
		}
	}
	return n
}

func contains(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
