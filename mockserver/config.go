// Package mockserver serves AOPay's RechargeStatus endpoint from the
// sandbox's domain, validating every request against openapi.yaml first.
package mockserver

import (
	"log/slog"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Config is everything a Server is built from. The zero value of each field
// means its default.
type Config struct {
	// Spec is the provider's OpenAPI document, to which the admin API's is
	// added; the embedded one when nil.
	Spec *openapi3.T
	// Fixtures is the starting data; the embedded default set when nil.
	Fixtures *fixtures.Set
	// FixturesPath is reread by a fixtures reload; empty means the built-in set.
	FixturesPath string
	// Store keeps transactions; in memory when nil.
	Store recharge.Store
	// Clock is the sandbox's virtual clock; one following the system clock
	// when nil.
	Clock *recharge.VirtualClock
	// Seed makes generated transactions reproducible.
	Seed int64
	// Unknown is what an unknown referenceid answers: create (the default) or
	// notfound.
	Unknown recharge.UnknownPolicy
	// ResolveRule is when pending transactions made by convention resolve;
	// three enquiries when zero.
	ResolveRule recharge.Rule
	// PendingStatus is `data.status` of a pending transaction; "2" when empty.
	PendingStatus string
	// ValidationStatus is the HTTP status of a malformed request: 400 (the
	// default) or 401 as the upstream aggregator documents.
	ValidationStatus int
	// MaxBodyBytes bounds a request body; 16 KiB when zero.
	MaxBodyBytes int64
	// JournalSize bounds the request journal; 1000 entries when zero.
	JournalSize int
	// MaxTransactions bounds the transactions made on first enquiry, the
	// oldest evicted first; 100,000 when zero, unbounded when negative.
	// Fixture and admin transactions do not count and are never evicted.
	MaxTransactions int
	// Logger receives request logs; discarded when nil.
	Logger *slog.Logger
	// AdminToken, when set, is the bearer token every /__admin/ call and
	// /metrics need.
	AdminToken string
	// DisableFaultHeader ignores the per-request X-Mock-Fault header.
	DisableFaultHeader bool
	// CaseInsensitiveFields accepts the enquiry's members in any letter case
	// (`ReferenceID`), as the provider's ASP.NET binding is believed to.
	CaseInsensitiveFields bool
	// Metrics is where the server registers its collectors; a registry of
	// its own when nil.
	Metrics *prometheus.Registry
	// ProxyUpstream, when set, is the base URL of an endpoint (the real
	// provider) that RechargeStatus enquiries are forwarded to, their
	// answers judged against the contract and relayed unchanged.
	ProxyUpstream string
	// ProxyTimeout bounds one upstream exchange; DefaultProxyTimeout when zero.
	ProxyTimeout time.Duration
	// RecordDir, with ProxyUpstream, is where the transactions the upstream
	// answers are written as fixtures (RecordFile).
	RecordDir string
}

// Defaults of Config.
const (
	DefaultMaxBodyBytes = 16 << 10
	DefaultJournalSize  = 1000
	DefaultAddr         = "127.0.0.1:8080"
)

// Server timeouts: long enough for a slow client on a bad network, short
// enough that slow clients cannot hold connections open for ever.
const (
	ReadHeaderTimeout = 5 * time.Second
	ReadTimeout       = 15 * time.Second
	WriteTimeout      = 60 * time.Second
	IdleTimeout       = 90 * time.Second
	MaxHeaderBytes    = 16 << 10
)

func (c Config) withDefaults() Config {
	if c.Unknown == "" {
		c.Unknown = recharge.UnknownCreate
	}
	if c.ResolveRule.AfterEnquiries == 0 && c.ResolveRule.After == 0 {
		c.ResolveRule = recharge.DefaultResolveRule
	}
	if c.PendingStatus == "" {
		c.PendingStatus = recharge.DefaultStatusCodes.Pending
	}
	if c.ValidationStatus == 0 {
		c.ValidationStatus = 400
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.JournalSize <= 0 {
		c.JournalSize = DefaultJournalSize
	}
	if c.MaxTransactions == 0 {
		c.MaxTransactions = recharge.DefaultMaxAutoCreated
	}
	if c.ProxyTimeout <= 0 {
		c.ProxyTimeout = DefaultProxyTimeout
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
