package contract_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// These tests run the whole suite, in a child process of this test binary,
// against servers broken on purpose: the sandbox's mock with its answers
// spoilt one way each. The suite must fail, and fail in the spec and with the
// rule that name the fault; against the unspoilt mock it must pass.

// answer is what the mock answered, for a spoiler to change.
type answer struct {
	status int
	header http.Header
	body   []byte
}

// spoiler breaks an answer of the mock to r; it may block to play a hang.
type spoiler func(r *http.Request, reqBody []byte, a *answer)

// brokenServer serves the mock's answers through spoil on a loopback port.
func brokenServer(t *testing.T, spoil spoiler) string {
	t.Helper()
	return spoiltMock(t, mockserver.Config{Seed: 1}, spoil)
}

// spoiltMock serves the answers of a mock configured by cfg through spoil.
func spoiltMock(t *testing.T, cfg mockserver.Config, spoil spoiler) string {
	t.Helper()
	mock, err := mockserver.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reqBody, _ := readAll(r)
		r.Body = readCloser{bytes.NewReader(reqBody)}
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

type readCloser struct{ *bytes.Reader }

func (readCloser) Close() error { return nil }

func readAll(r *http.Request) ([]byte, error) {
	var b bytes.Buffer
	_, err := b.ReadFrom(r.Body)
	return b.Bytes(), err
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

func isRefused(a *answer) bool { return a.status >= 400 && a.status < 500 }

// catch is a fault the suite must report: every spec whose full text holds
// spec fails, and one of them says message.
type catch struct {
	spec, message string
}

// childReport runs the suite with args in a child process and returns its
// exit error, output and report.
func childReport(t *testing.T, args ...string) (error, string, types.Report) {
	t.Helper()
	return childReportWithEnv(t, nil, args...)
}

// childReportWithEnv is childReport with env added to the child's
// environment, which has no AOPAY_CONTRACT_* variable of its own.
func childReportWithEnv(t *testing.T, env []string, args ...string) (error, string, types.Report) {
	t.Helper()
	reportFile := filepath.Join(t.TempDir(), "report.json")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], append([]string{
		"-test.run=^TestContract$", "-test.count=1", "-test.timeout=90s",
		"-json-report=" + reportFile, "-no-color", "-timeout=3s",
	}, args...)...)
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, contract.EnvPrefix) {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	runErr := cmd.Run()
	raw, err := os.ReadFile(reportFile)
	if err != nil {
		t.Fatalf("the suite wrote no report (%v): %v\n%s", runErr, err, out.String())
	}
	var reports []types.Report
	if err := json.Unmarshal(raw, &reports); err != nil || len(reports) != 1 {
		t.Fatalf("report %s: %v", reportFile, err)
	}
	return runErr, out.String(), reports[0]
}

func summary(report types.Report) string {
	var b strings.Builder
	for _, s := range report.SpecReports {
		if s.State.Is(types.SpecStateFailed) {
			msg, _, _ := strings.Cut(s.Failure.Message, "\n")
			fmt.Fprintf(&b, "  FAILED %s: %s\n", s.FullText(), msg)
		}
	}
	return b.String()
}

var mockSpecs = []string{"-target=mock", "-registration-id=AOP-554", "-reference=12345678,FAILED-1001,REFUND-1001", "-label-filter=!admin && !faults"}

func TestSuitePassesAgainstTheMock(t *testing.T) {
	t.Parallel()
	url := brokenServer(t, func(*http.Request, []byte, *answer) {})
	runErr, out, report := childReport(t, append(mockSpecs, "-base-url="+url)...)
	if runErr != nil || !report.SuiteSucceeded {
		t.Fatalf("the suite failed against the unspoilt mock (%v):\n%s\n%s", runErr, summary(report), out)
	}
	passed := report.SpecReports.CountWithState(types.SpecStatePassed)
	if passed < 50 {
		t.Errorf("only %d specs passed; the suite should have run its mock specs", passed)
	}
}

// TestSuitePassesAgainstTheMocksGuesses runs the suite against the mock set
// to the other answers openapi.yaml allows where the provider's behaviour is
// a guess: the suite must hold the spec, not the mock's defaults.
func TestSuitePassesAgainstTheMocksGuesses(t *testing.T) {
	cases := []struct {
		name string
		cfg  mockserver.Config
	}{
		{"validation errors as HTTP 401, as the upstream answers them", mockserver.Config{Seed: 1, ValidationStatus: http.StatusUnauthorized}},
		{"pending as data.status 3", mockserver.Config{Seed: 1, PendingStatus: "3"}},
		{"another seed", mockserver.Config{Seed: 42}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := spoiltMock(t, tc.cfg, func(*http.Request, []byte, *answer) {})
			runErr, out, report := childReport(t, append(mockSpecs, "-base-url="+url)...)
			if runErr != nil || !report.SuiteSucceeded {
				t.Fatalf("the suite failed (%v):\n%s\n%s", runErr, summary(report), out)
			}
		})
	}
}

func TestSuiteCatchesBrokenServers(t *testing.T) {
	var txnids atomic.Int64
	cases := []struct {
		name   string
		spoil  spoiler
		caught []catch
	}{
		{
			name:  "amount a number",
			spoil: editData(func(d map[string]any) { d["amount"] = 1 }),
			caught: []catch{
				{"referenceid 12345678 of AOP-554 answers HTTP 200", "/data/amount [type]"},
			},
		},
		{
			name:   "refid missing",
			spoil:  editData(func(d map[string]any) { delete(d, "refid") }),
			caught: []catch{{"referenceid FAILED-1001 of AOP-554 answers HTTP 200", "refid [required]"}},
		},
		{
			name: "envelope wrapped in result",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				a.body = append(append([]byte(`{"result":`), a.body...), '}')
			},
			caught: []catch{
				{"referenceid REFUND-1001 of AOP-554 answers HTTP 200", "[required]"},
				{"Status enquiry of an unknown transaction", "/status [envelope]: status is missing"},
			},
		},
		{
			name: "status true with response_code 2",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				editJSON(a, func(e map[string]any) {
					if e["response_code"] == 2.0 {
						e["status"] = true
					}
				})
			},
			caught: []catch{{"Status enquiry of an unknown transaction", "/status [agreement]"}},
		},
		{
			name:   "refid not echoed",
			spoil:  editData(func(d map[string]any) { d["refid"] = "87654321" }),
			caught: []catch{{"referenceid REFUND-1001 of AOP-554 answers HTTP 200", "/data/refid [refid]"}},
		},
		{
			name: "dateadded an impossible date",
			spoil: editData(func(d map[string]any) {
				d["dateadded"] = "2021-13-45 15:41:08"
			}),
			caught: []catch{{"referenceid 12345678 of AOP-554 answers HTTP 200", "/data/dateadded [date]"}},
		},
		{
			name: "refund fields half set",
			spoil: editData(func(d map[string]any) {
				if d["refunded"] == "1" {
					d["refundtxnid"] = ""
				}
			}),
			caught: []catch{{"referenceid REFUND-1001 of AOP-554 answers HTTP 200", "/data/refundtxnid [refund]"}},
		},
		{
			name: "final transaction answers a new txnid each time",
			spoil: editData(func(d map[string]any) {
				if d["refid"] == "12345678" {
					d["txnid"] = fmt.Sprint(6469 + txnids.Add(1))
				}
			}),
			caught: []catch{{"referenceid 12345678 of AOP-554 answers the same data again once the transaction is final", "/data/txnid [final-stable]"}},
		},
		{
			name: "answers as text/plain",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				a.header.Set("Content-Type", "text/plain")
			},
			caught: []catch{
				{"referenceid 12345678 of AOP-554 answers HTTP 200", "[content-type]"},
				{"Refusal of a malformed request", "[content-type]"},
			},
		},
		{
			name: "500 for bad input",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				if isRefused(a) && !bytes.Contains(a.body, []byte(`"response_code":7`)) && !bytes.Contains(a.body, []byte(`"response_code":3`)) {
					a.status = http.StatusInternalServerError
					a.body = []byte(`{"status":false,"response_code":5,"message":"Unable to process request"}`)
				}
			},
			caught: []catch{
				{"Refusal of a malformed request answers in time with a declared error in the envelope: HTTP 4xx, status false, an error code when referenceid is missing", "never the server's"},
				{"an error code when the method is GET", "got 500"},
			},
		},
		{
			name: "success for bad input",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				if a.status == http.StatusBadRequest || a.status == http.StatusUnsupportedMediaType || a.status == http.StatusRequestEntityTooLarge {
					a.status = http.StatusOK
					a.body = []byte(`{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`)
				}
			},
			caught: []catch{
				{"when RegistrationID is a number", "want an HTTP status from 400 to 499, got 200"},
				{"when the Content-Type is text/plain", "got 200"},
			},
		},
		{
			name: "no answer to malformed JSON",
			spoil: func(r *http.Request, reqBody []byte, a *answer) {
				if r.Header.Get("Content-Type") == "application/json" && len(reqBody) > 0 && !json.Valid(reqBody) {
					select {
					case <-r.Context().Done():
					case <-time.After(5 * time.Second):
					}
				}
			},
			caught: []catch{{"when the body is not valid JSON", "no complete answer came"}},
		},
		{
			name: "validation errors that do not name the field",
			spoil: func(_ *http.Request, _ []byte, a *answer) {
				if a.status == http.StatusBadRequest {
					a.body = []byte(`{"status":false,"response_code":4,"message":"Validations Error"}`)
				}
			},
			caught: []catch{{"when RegistrationID is empty", "the message names the field at fault"}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := brokenServer(t, tc.spoil)
			runErr, out, report := childReport(t, append(mockSpecs, "-base-url="+url)...)
			if runErr == nil || report.SuiteSucceeded {
				t.Fatalf("the suite passed against a server whose %s\n%s", tc.name, out)
			}
			for _, c := range tc.caught {
				checkCaught(t, report, c)
			}
		})
	}
}

func checkCaught(t *testing.T, report types.Report, c catch) {
	t.Helper()
	matched, said := 0, false
	for _, s := range report.SpecReports {
		if !strings.Contains(s.FullText(), c.spec) || s.State.Is(types.SpecStateSkipped) {
			continue
		}
		matched++
		if !s.State.Is(types.SpecStateFailed) {
			t.Errorf("spec %q %s, it should have failed", s.FullText(), s.State)
			continue
		}
		if strings.Contains(s.Failure.Message, c.message) {
			said = true
		}
	}
	switch {
	case matched == 0:
		t.Errorf("no spec ran whose text holds %q", c.spec)
	case !said:
		t.Errorf("no spec %q says %q; failures:\n%s", c.spec, c.message, summary(report))
	}
}

func TestSuiteAgainstARealTargetSkipsTheMockSpecs(t *testing.T) {
	t.Parallel()
	url := brokenServer(t, func(*http.Request, []byte, *answer) {})
	runErr, out, report := childReport(t, "-target=real", "-base-url="+url, "-registration-id=AOP-554", "-reference=12345678", "-reference=REFUND-1001", "-rps=100")
	if runErr != nil || !report.SuiteSucceeded {
		t.Fatalf("the suite failed (%v):\n%s\n%s", runErr, summary(report), out)
	}
	ran := 0
	for _, s := range report.SpecReports {
		if s.LeafNodeType != types.NodeTypeIt {
			continue
		}
		labels := strings.Join(s.Labels(), ",")
		mockOnly := false
		for _, l := range s.Labels() {
			switch l {
			case contract.LabelAdmin, contract.LabelFaults, contract.LabelFixtures, contract.LabelNegative:
				mockOnly = true
			}
		}
		switch {
		case mockOnly && !s.State.Is(types.SpecStateSkipped):
			t.Errorf("spec %q [%s] %s, it should have been skipped against a real target", s.FullText(), labels, s.State)
		case !mockOnly && !s.State.Is(types.SpecStatePassed):
			t.Errorf("read-only spec %q %s", s.FullText(), s.State)
		case !mockOnly:
			ran++
		}
	}
	if ran < 5 {
		t.Errorf("only %d read-only specs ran; want both references' specs and the unknown one", ran)
	}
}

func TestSuiteFailsWhenNothingAnswers(t *testing.T) {
	t.Parallel()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "http://" + l.Addr().String()
	l.Close()
	runErr, out, report := childReport(t, "-target=real", "-base-url="+closed, "-reference=12345678", "-rps=100")
	if runErr == nil || report.SuiteSucceeded {
		t.Fatalf("the suite passed with nothing listening\n%s", out)
	}
	checkCaught(t, report, catch{"referenceid 12345678 of AOP-554 answers HTTP 200", "connection refused"})
}

// TestSuiteSignsTokensFromTheEnvironment runs the read-only specs for the
// mock's partner with a key, as a partner runs them against the provider:
// with the key in AOPAY_CONTRACT_TOKEN_KEY every enquiry carries a valid
// Token; without it the provider's 401 fails the suite.
func TestSuiteSignsTokensFromTheEnvironment(t *testing.T) {
	cases := []struct {
		name   string
		env    []string
		passes bool
	}{
		{"with the key", []string{contract.EnvTokenKey + "=" + contract.DefaultSecureKey}, true},
		{"without a key", nil, false},
		{"with another key", []string{contract.EnvTokenKey + "=not-the-key"}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			url := brokenServer(t, func(*http.Request, []byte, *answer) {})
			runErr, out, report := childReportWithEnv(t, tc.env, "-target=real", "-base-url="+url, "-registration-id=AOP-SECURE", "-reference=SECURE-1001", "-rps=100")
			if passed := runErr == nil && report.SuiteSucceeded; passed != tc.passes {
				t.Fatalf("suite passed: %v, want %v (%v)\n%s\n%s", passed, tc.passes, runErr, summary(report), out)
			}
			if !tc.passes {
				checkCaught(t, report, catch{"referenceid SECURE-1001 of AOP-SECURE answers HTTP 200", "want HTTP 200, got 401"})
			}
		})
	}
}
