package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// sandboxEpoch is where the test clocks stand.
var sandboxEpoch = time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)

// sandbox is a mock served on loopback, with the clients that talk to it.
type sandbox struct {
	t      *testing.T
	srv    *Server
	ts     *httptest.Server
	client *http.Client
	token  string
}

// newSandbox serves a mock built from cfg on 127.0.0.1, on a frozen clock
// unless cfg brings one.
func newSandbox(t *testing.T, cfg Config) *sandbox {
	t.Helper()
	if cfg.Clock == nil {
		cfg.Clock = recharge.NewFrozenClock(sandboxEpoch)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config.RegisterOnShutdown(srv.Stop)
	ts.Start()
	t.Cleanup(func() {
		srv.Stop()
		ts.Close()
	})
	return &sandbox{t: t, srv: srv, ts: ts, client: &http.Client{Timeout: 10 * time.Second}, token: cfg.AdminToken}
}

// adminAnswer is an admin API answer.
type adminAnswer struct {
	status int
	header http.Header
	body   []byte
}

func (a adminAnswer) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(a.body, v); err != nil {
		t.Fatalf("answer %d %q is not the JSON expected: %v", a.status, a.body, err)
	}
}

// errorMessage is the message of an admin error answer.
func (a adminAnswer) errorMessage(t *testing.T) (code, message string) {
	t.Helper()
	var e admin.ErrorEnvelope
	a.decode(t, &e)
	return e.Error.Code, e.Error.Message
}

// admin calls the admin API with the sandbox's token and checks the answer
// against admin/openapi.yaml.
func (sb *sandbox) admin(method, path string, body any) adminAnswer {
	sb.t.Helper()
	return sb.adminAs(sb.token, method, path, body)
}

func (sb *sandbox) adminAs(token, method, path string, body any) adminAnswer {
	sb.t.Helper()
	var payload []byte
	switch b := body.(type) {
	case nil:
	case string:
		payload = []byte(b)
	default:
		var err error
		if payload, err = json.Marshal(b); err != nil {
			sb.t.Fatal(err)
		}
	}
	req, err := http.NewRequest(method, sb.ts.URL+path, bytes.NewReader(payload))
	if err != nil {
		sb.t.Fatal(err)
	}
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := sb.client.Do(req)
	if err != nil {
		sb.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		sb.t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	a := adminAnswer{status: res.StatusCode, header: res.Header, body: got}
	if res.StatusCode != http.StatusNoContent && !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") && path != "/metrics" {
		sb.t.Fatalf("%s %s answered Content-Type %q", method, path, res.Header.Get("Content-Type"))
	}
	check, _ := http.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
	if payload != nil {
		check.Header.Set("Content-Type", "application/json")
	}
	viol := specValidator.CheckResponse(context.Background(), check, payload, res.StatusCode, res.Header, got)
	// Requests to no operation of the spec have no answer to check against.
	if len(viol) > 0 && viol[0].Rule != "route" {
		sb.t.Fatalf("%s %s answered %d %s, which breaks its OpenAPI document: %v", method, path, res.StatusCode, got, viol)
	}
	return a
}

func readAll(t *testing.T, res *http.Response) []byte {
	t.Helper()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("read answer: %v", err)
	}
	return b
}

// enquiry is what a client got from RechargeStatus: an answer, or the error
// of a connection that failed.
type enquiry struct {
	status int
	header http.Header
	body   []byte
	// err is the error of the round trip or of reading the body.
	err     error
	elapsed time.Duration
}

func enquiryBody(registrationID, referenceID string) []byte {
	b, _ := json.Marshal(map[string]string{"referenceid": referenceID, "RegistrationID": registrationID})
	return b
}

// enquire posts an enquiry with client, adding header, and reads what comes
// back, whatever it is.
func (sb *sandbox) enquire(client *http.Client, registrationID, referenceID string, header http.Header) enquiry {
	sb.t.Helper()
	body := enquiryBody(registrationID, referenceID)
	req, err := http.NewRequest(http.MethodPost, sb.ts.URL+rechargestatus.EnquiryPath, bytes.NewReader(body))
	if err != nil {
		sb.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header[k] = v
	}
	start := time.Now()
	res, err := client.Do(req)
	if err != nil {
		return enquiry{err: err, elapsed: time.Since(start)}
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	return enquiry{status: res.StatusCode, header: res.Header, body: got, err: err, elapsed: time.Since(start)}
}

// violations checks an answer to an enquiry of (registrationID,
// referenceID) against openapi.yaml.
func violations(registrationID, referenceID string, e enquiry) []conformance.Violation {
	check, _ := http.NewRequest(http.MethodPost, "http://127.0.0.1:8080"+rechargestatus.EnquiryPath, nil)
	check.Header.Set("Content-Type", "application/json")
	return specValidator.CheckResponse(context.Background(), check, enquiryBody(registrationID, referenceID), e.status, e.header, e.body)
}

// enquireValid posts an enquiry that must succeed, checks its answer against
// openapi.yaml and decodes it.
func (sb *sandbox) enquireValid(registrationID, referenceID string, header http.Header) (enquiry, map[string]any) {
	sb.t.Helper()
	e := sb.enquire(sb.client, registrationID, referenceID, header)
	if e.err != nil {
		sb.t.Fatalf("enquiry of %s/%s: %v", registrationID, referenceID, e.err)
	}
	if v := violations(registrationID, referenceID, e); len(v) > 0 {
		sb.t.Fatalf("answer %d %s breaks openapi.yaml: %v", e.status, e.body, v)
	}
	var parsed map[string]any
	if err := json.Unmarshal(e.body, &parsed); err != nil {
		sb.t.Fatalf("answer %q is not JSON: %v", e.body, err)
	}
	return e, parsed
}

// dataStatus is data.status of a decoded enquiry answer, "" without data.
func dataStatus(parsed map[string]any) string {
	data, _ := parsed["data"].(map[string]any)
	s, _ := data["status"].(string)
	return s
}

// waitJournalLen waits until the journal holds n entries.
func (sb *sandbox) waitJournalLen(n int) {
	sb.t.Helper()
	err := testutil.Poll(5*time.Second, func() (bool, error) { return sb.srv.journal.Len() >= n, nil })
	if err != nil {
		sb.t.Fatalf("the journal holds %d entries after 5s, want %d", sb.srv.journal.Len(), n)
	}
}

// httpServer serves srv as aopay-mock does: the sandbox's timeouts, the
// server's errors logged to logger, and faults ended as shutdown begins.
func httpServer(srv *Server, logger *slog.Logger) *http.Server {
	hs := HTTPServer("127.0.0.1:0", srv)
	if logger != nil {
		hs.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	}
	hs.RegisterOnShutdown(srv.Stop)
	return hs
}
