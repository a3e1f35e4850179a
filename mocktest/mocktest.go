// Package mocktest runs the sandbox's mock of AOPay's RechargeStatus API in
// the test's own process, on a loopback port, for Go tests of code that
// calls the endpoint:
//
//	func TestOrderSettles(t *testing.T) {
//		mock := mocktest.New(t)
//		client := myapp.NewAOPayClient(mock.URL)
//		// ... and mock.Admin to arrange transactions, faults and time.
//	}
//
// The mock is closed when the test ends.
package mocktest

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Mock is a mock served on loopback.
type Mock struct {
	// URL is the mock's base URL, such as http://127.0.0.1:41234: the
	// provider's endpoint is at URL + rechargestatus.EnquiryPath.
	URL string
	// Admin calls the mock's admin API over HTTP.
	Admin *admin.Client
	// Server is the mock itself.
	Server *mockserver.Server

	ts *httptest.Server
}

// Option configures a Mock.
type Option func(*mockserver.Config)

// WithFixtures starts the mock with set instead of the built-in fixtures.
func WithFixtures(set fixtures.Set) Option {
	return func(c *mockserver.Config) { c.Fixtures = &set }
}

// WithFixturesFile starts the mock with the fixtures file or directory at
// path; a fixtures reload reads it again.
func WithFixturesFile(path string) Option {
	return func(c *mockserver.Config) { c.FixturesPath = path }
}

// WithSeed makes generated transactions and fault draws follow seed; 1, as
// aopay-mock's, when not given.
func WithSeed(seed int64) Option { return func(c *mockserver.Config) { c.Seed = seed } }

// WithAdminToken makes the admin API require token; the Mock's Admin client
// sends it.
func WithAdminToken(token string) Option { return func(c *mockserver.Config) { c.AdminToken = token } }

// WithClock makes the sandbox clock stand still at t until the admin API
// moves it or resets the mock (which makes it follow the system clock
// again); it follows the system clock when not given.
func WithClock(t time.Time) Option {
	return func(c *mockserver.Config) { c.Clock = recharge.NewFrozenClock(t) }
}

// WithDialect makes the mock answer in d, a known dialect of the provider
// and any knobs set on their own (dialect.Parse), as aopay-mock --dialect
// does; the page's when not given. A request still picks its own in the
// X-Mock-Dialect header.
func WithDialect(d dialect.Dialect) Option { return func(c *mockserver.Config) { c.Dialect = d } }

// WithLogger sends the mock's request logs to l; they are discarded when
// not given.
func WithLogger(l *slog.Logger) Option { return func(c *mockserver.Config) { c.Logger = l } }

// WithConfig changes anything else of the mock's configuration. Options
// apply in the order given.
func WithConfig(change func(*mockserver.Config)) Option { return change }

// New starts a mock for the test t and closes it when t ends.
func New(t testing.TB, opts ...Option) *Mock {
	t.Helper()
	m, err := Start(opts...)
	if err != nil {
		t.Fatalf("mocktest: %v", err)
	}
	t.Cleanup(m.Close)
	return m
}

// Start starts a mock outside a test; Close stops it.
func Start(opts ...Option) (*Mock, error) {
	cfg := mockserver.Config{Seed: 1}
	for _, o := range opts {
		o(&cfg)
	}
	srv, ts, err := listenAndBuild(cfg)
	if err != nil {
		return nil, fmt.Errorf("start the mock: %w", err)
	}
	ts.Config = mockserver.HTTPServer("", srv)
	ts.Start()
	return &Mock{
		URL:    ts.URL,
		Admin:  admin.NewClient(ts.URL, admin.WithToken(cfg.AdminToken), admin.WithHTTPClient(&http.Client{Timeout: 30 * time.Second})),
		Server: srv,
		ts:     ts,
	}, nil
}

// listened is whether a mock of this process has opened its listener.
var listened atomic.Bool

// listenAndBuild builds the mock of cfg and opens its listener. The first
// of a process, which also sets up the network poller, opens it on another
// core while the mock is built; later ones open it in turn, which costs
// less than a handover.
func listenAndBuild(cfg mockserver.Config) (*mockserver.Server, *httptest.Server, error) {
	if listened.Swap(true) {
		srv, err := mockserver.New(cfg)
		if err != nil {
			return nil, nil, err
		}
		return srv, httptest.NewUnstartedServer(nil), nil
	}
	unstarted := make(chan *httptest.Server, 1)
	go func() { unstarted <- httptest.NewUnstartedServer(nil) }()
	srv, err := mockserver.New(cfg)
	ts := <-unstarted
	if err != nil {
		ts.Listener.Close()
		return nil, nil, err
	}
	return srv, ts, nil
}

// EnquiryURL is where the mock answers RechargeStatus enquiries.
func (m *Mock) EnquiryURL() string { return m.URL + rechargestatus.EnquiryPath }

// Audit judges the client under test by what it sent the mock (package
// audit): it fails t with every finding of warning or error severity that
// no waiver lets pass, each with its evidence and advice, and returns the
// report. Findings of info severity (gave-up-pending) are reported only.
func (m *Mock) Audit(t testing.TB, waivers ...audit.Waiver) audit.Report {
	t.Helper()
	report, err := m.Admin.Audit(context.Background(), audit.Query{})
	if err != nil {
		t.Fatalf("mocktest: audit: %v", err)
	}
	if failing := report.Failing(audit.Warning, waivers...); len(failing) > 0 {
		shown := report
		shown.Findings = failing
		var b strings.Builder
		_ = audit.WriteText(&b, shown)
		t.Errorf("mocktest: the client broke %d audit rule(s):\n%s", len(failing), b.String())
	}
	return report
}

// Close stops the mock: faults still waiting end at once, the connections
// close, and a proxy recording is written whole.
func (m *Mock) Close() {
	m.Server.Stop()
	m.ts.CloseClientConnections()
	m.ts.Close()
	_ = m.Server.Close()
}
