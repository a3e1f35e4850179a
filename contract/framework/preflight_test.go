package framework

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// fakeMock plays the parts of the mock that the preflight reads.
type fakeMock struct {
	token    string
	clock    string
	faults   string
	enquiry  http.HandlerFunc
	resets   atomic.Int64
	clockSet atomic.Int64
}

func (m *fakeMock) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	_, _ = io.Copy(io.Discard, r.Body)
	if r.URL.Path == rechargestatus.EnquiryPath {
		m.enquiry(w, r)
		return
	}
	if m.token != "" && r.Header.Get("Authorization") != "Bearer "+m.token {
		answerJSON(http.StatusUnauthorized, `{"error":{"code":"unauthorized","message":"admin token required"}}`)(w, r)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "POST /__admin/reset":
		// A reset puts the clock back too (admin.Admin.Reset).
		m.resets.Add(1)
		m.faults = `{"faults":[]}`
		m.clock = `{"now":"2026-03-05T12:00:00Z","offset":"0s","frozen":false}`
		answerJSON(http.StatusOK, `{"transactions":9}`)(w, r)
	case "GET /__admin/clock":
		answerJSON(http.StatusOK, m.clock)(w, r)
	case "POST /__admin/clock":
		m.clockSet.Add(1)
		m.clock = `{"now":"2026-03-05T12:00:00Z","offset":"0s","frozen":false}`
		answerJSON(http.StatusOK, m.clock)(w, r)
	case "GET /__admin/faults":
		answerJSON(http.StatusOK, m.faults)(w, r)
	default:
		answerJSON(http.StatusNotFound, `{"error":{"code":"not_found","message":"no such route"}}`)(w, r)
	}
}

func healthyMock() *fakeMock {
	return &fakeMock{
		clock:   `{"now":"2026-03-05T12:00:00Z","offset":"0s","frozen":false}`,
		faults:  `{"faults":[]}`,
		enquiry: answerJSON(http.StatusOK, pageExample),
	}
}

func preflight(t *testing.T, url string, change func(*Config)) error {
	t.Helper()
	cfg := DefaultConfig()
	cfg.BaseURL = url
	cfg.Timeout = 500 * time.Millisecond
	if change != nil {
		change(&cfg)
	}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	s, err := NewSuite(cfg, mustDoc(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	return Preflight(t.Context(), s)
}

func TestPreflightPassesAReadyTarget(t *testing.T) {
	for name, change := range map[string]func(*Config){
		"mock":                                 nil,
		"real":                                 func(c *Config) { c.Target, c.References, c.RPS = TargetReal, []string{"12345678"}, 1000 },
		"mock with a rule for another partner": nil,
	} {
		t.Run(name, func(t *testing.T) {
			m := healthyMock()
			if strings.Contains(name, "another partner") {
				m.faults = `{"faults":[{"id":"f1","kind":"status","status":503,"registrationId":"AOP-OTHER"},{"id":"f2","kind":"reset","count":1,"remaining":0}]}`
			}
			if err := preflight(t, serve(t, m.ServeHTTP), change); err != nil {
				t.Fatal(err)
			}
		})
	}
}

func TestPreflightStopsWithOneClearReason(t *testing.T) {
	cases := []struct {
		name   string
		mock   func(*fakeMock)
		change func(*Config)
		want   string
	}{
		{"not answering in time", func(m *fakeMock) {
			m.enquiry = func(_ http.ResponseWriter, r *http.Request) { <-r.Context().Done() }
		}, nil, "no complete answer within 500ms (--timeout)"},
		{"not the envelope", func(m *fakeMock) { m.enquiry = answerJSON(http.StatusOK, `<html>maintenance</html>`) }, nil, `does not answer in the provider's envelope: HTTP 200`},
		{"a redirect", func(m *fakeMock) {
			m.enquiry = func(w http.ResponseWriter, r *http.Request) {
				http.Redirect(w, r, "https://login.example/", http.StatusFound)
			}
		}, nil, "answered a redirect, HTTP 302 to https://login.example/"},
		{"the partner refused", func(m *fakeMock) {
			m.enquiry = answerJSON(http.StatusUnauthorized, `{"status":false,"response_code":7,"message":"Authentication failed"}`)
		}, nil, `refuses the partner AOP-554 (HTTP 401, response_code 7, "Authentication failed")`},
		{"the admin token refused", func(m *fakeMock) { m.token = "right" }, func(c *Config) { c.AdminToken = "wrong" }, "refuses the suite's token (HTTP 401): set AOPAY_CONTRACT_ADMIN_TOKEN"},
		{"an admin answer that is not JSON", func(m *fakeMock) { m.clock = "" }, nil, "cannot use the mock's admin API at http://127.0.0.1:"},
		{"a moved clock", func(m *fakeMock) { m.clock = `{"now":"2026-03-05T14:00:00Z","offset":"2h0m0s","frozen":false}` }, nil, "the mock's clock is moved by 2h0m0s"},
		{"a frozen clock", func(m *fakeMock) { m.clock = `{"now":"2026-03-05T12:00:00Z","offset":"0s","frozen":true}` }, nil, "the mock's clock is frozen at 2026-03-05T12:00:00Z"},
		{"a rule for every enquiry", func(m *fakeMock) { m.faults = `{"faults":[{"id":"f1","kind":"status","status":503}]}` }, nil, "f1: status 503 for every enquiry"},
		{"a rule for a reference of the run", func(m *fakeMock) {
			m.faults = `{"faults":[{"id":"f2","kind":"reset","referenceId":"FAILED-1001","count":2,"remaining":1}]}`
		}, nil, "f2: reset for referenceid FAILED-1001"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			m := healthyMock()
			tc.mock(m)
			err := preflight(t, serve(t, m.ServeHTTP), tc.change)
			var stopped *PreflightError
			if !errors.As(err, &stopped) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want the preflight to stop saying %q, got %v", tc.want, err)
			}
		})
	}
}

func TestPreflightOfAMissingAdminAPI(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == rechargestatus.EnquiryPath {
			answerJSON(http.StatusOK, pageExample)(w, r)
			return
		}
		http.NotFound(w, r)
	})
	err := preflight(t, url, nil)
	if err == nil || !strings.Contains(err.Error(), "has no admin API at /__admin/") {
		t.Fatalf("got %v", err)
	}
}

func TestPreflightResetPutsTheMockBack(t *testing.T) {
	m := healthyMock()
	m.clock = `{"now":"2026-03-05T14:00:00Z","offset":"2h0m0s","frozen":true}`
	m.faults = `{"faults":[{"id":"f1","kind":"status","status":503}]}`
	url := serve(t, m.ServeHTTP)
	if err := preflight(t, url, func(c *Config) { c.Reset = true }); err != nil {
		t.Fatalf("after --reset: %v", err)
	}
	// One reset means the fixtures, the fault rules and the clock alike.
	if m.resets.Load() != 1 || m.clockSet.Load() != 0 {
		t.Errorf("%d resets and %d clock moves, want one reset and no move", m.resets.Load(), m.clockSet.Load())
	}
}
