// Package mockserver serves AOPay's RechargeStatus endpoint from the
// sandbox's domain, validating every request against openapi.yaml first and
// answering in the dialect of the provider each request calls for (package
// dialect), and the sandbox's admin API beside it. New returns an
// http.Handler; listening, signals and shutdown belong to the program that
// serves it (mockserver/cli).
package mockserver

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Config is what a Server is built from: settings, and the store and clock
// it runs on. The zero value of each field means its default.
type Config struct {
	// Spec is the provider's OpenAPI document, to which the admin API's is
	// added; the embedded one when nil.
	Spec *openapi3.T
	// Fixtures is the starting data; the file at FixturesPath when nil.
	Fixtures *fixtures.Set
	// FixturesPath is read at start and by a fixtures reload; empty means
	// the built-in set.
	FixturesPath string
	// Store keeps transactions; in memory when nil.
	Store recharge.Store
	// Clock is the sandbox's virtual clock; one following the system clock
	// when nil.
	Clock *recharge.VirtualClock
	// Seed makes generated transactions and fault draws reproducible.
	Seed int64
	// Unknown is what an unknown referenceid answers: create (the default) or
	// notfound.
	Unknown recharge.UnknownPolicy
	// ResolveRule is when pending transactions made by convention resolve;
	// three enquiries when zero.
	ResolveRule transaction.Rule
	// Dialect is the way the mock answers, a known dialect of the provider
	// and any knobs set on their own (dialect.Parse): the page's and
	// openapi.yaml's (dialect.Default) when zero. A registration of the
	// fixtures may name its own, and a request its own in the X-Mock-Dialect
	// header, in that order of precedence over this one.
	Dialect dialect.Dialect
	// DisableDialectHeader ignores the per-request X-Mock-Dialect header.
	DisableDialectHeader bool
	// MaxBodyBytes bounds a request body; 16 KiB when zero.
	MaxBodyBytes int64
	// JournalSize bounds the request journal; 1000 entries when zero.
	JournalSize int
	// JournalBytes bounds the bytes the request journal's entries hold,
	// roughly; DefaultJournalBytes when zero.
	JournalBytes int64
	// MaxTransactions bounds the transactions made on first enquiry, the
	// oldest evicted first; 100,000 when zero, unbounded when negative.
	// Fixture and admin transactions do not count and are never evicted.
	MaxTransactions int
	// Logger receives request logs; discarded when nil.
	Logger *slog.Logger
	// AdminToken, when set, is the bearer token every /__admin/ call and
	// /metrics need.
	AdminToken string
	// AllowedHosts, when AdminToken is empty, are the Host names answered
	// beside localhost and loopback addresses (hostcheck.New says how they
	// are written); a request for any other Host is refused.
	AllowedHosts []string
	// DisableFaultHeader ignores the per-request X-Mock-Fault header.
	DisableFaultHeader bool
	// DisableScenarioHeader ignores the per-request X-Mock-Scenario header.
	DisableScenarioHeader bool
	// MaxHeldFaults bounds the requests that hang, latency and trickle
	// faults hold at once, past which such a fault is refused with 429 and
	// Retry-After; DefaultMaxHeldFaults when zero, unbounded when negative.
	MaxHeldFaults int
	// ProxyUpstream, when set, is the base URL of an endpoint (the real
	// provider) that RechargeStatus enquiries are forwarded to, their
	// answers judged against the contract and relayed unchanged.
	ProxyUpstream string
	// ProxyAcceptDialects are known dialects an upstream answer is held to
	// besides the page (proxy.Config.AcceptDialects).
	ProxyAcceptDialects []string
	// ProxyTimeout bounds one upstream exchange; proxy.DefaultTimeout when
	// zero.
	ProxyTimeout time.Duration
	// RecordDir, with ProxyUpstream, is where the transactions the upstream
	// answers are written as fixtures (proxy.RecordTransactionsFile).
	RecordDir string
	// RecordRoot, when set, is the directory under which recordings the
	// admin API starts may be written (admin.RecordingStart.Directory);
	// without it they are kept in memory only.
	RecordRoot string
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes = 16 << 10
	DefaultJournalSize  = journal.DefaultSize
	DefaultJournalBytes = journal.DefaultBytes
	// MaxJournalPageBytes bounds the entries of one page of the journal,
	// whatever its limit, so that no listing answers a huge body.
	MaxJournalPageBytes = journal.MaxPageBytes
	DefaultAddr         = "127.0.0.1:8080"
	// DefaultMaxHeldFaults is a sixteenth of aopay-mock's default
	// connection limit: faults never hold more than a few connections.
	DefaultMaxHeldFaults = 64
)

// Timeouts and limits of the server that serves the mock: long enough for a
// slow client on a bad network, short enough that slow clients cannot hold
// connections open for ever. Fault delays and the proxy's upstream exchanges
// end before WriteTimeout.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 90 * time.Second
	MaxHeaderBytes    = 16 << 10
)

// HTTPServer is a net/http server of h with the timeouts and limits above.
func HTTPServer(addr string, h http.Handler) *http.Server {
	return &http.Server{
		Addr:              addr,
		Handler:           h,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
	}
}

func (c Config) withDefaults() Config {
	if c.Unknown == "" {
		c.Unknown = recharge.UnknownCreate
	}
	if c.ResolveRule.AfterEnquiries == 0 && c.ResolveRule.After == 0 {
		c.ResolveRule = recharge.DefaultResolveRule
	}
	if c.Dialect.IsZero() {
		c.Dialect = dialect.Default()
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.JournalSize <= 0 {
		c.JournalSize = DefaultJournalSize
	}
	if c.JournalBytes <= 0 {
		c.JournalBytes = DefaultJournalBytes
	}
	if c.MaxTransactions == 0 {
		c.MaxTransactions = recharge.DefaultMaxAutoCreated
	}
	if c.MaxHeldFaults == 0 {
		c.MaxHeldFaults = DefaultMaxHeldFaults
	}
	if c.ProxyTimeout <= 0 {
		c.ProxyTimeout = proxy.DefaultTimeout
	}
	if c.Logger == nil {
		// A handler that is never enabled spares formatting request logs
		// only to throw them away.
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Clock == nil {
		c.Clock = &recharge.VirtualClock{}
	}
	if c.Store == nil {
		c.Store = recharge.NewMemoryStore()
	}
	return c
}
