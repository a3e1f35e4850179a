package mockserver

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/adminhttp"
	"github.com/aopay-sandbox/rechargestatus/mockserver/faults"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/hostcheck"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Server is the mock provider: the RechargeStatus endpoint and the sandbox's
// admin API under /__admin/. It is an http.Handler and starts nothing: its
// only work outside a request is writing a proxy recording behind it, which
// Close ends.
type Server struct {
	handler  http.Handler
	control  *control
	stopping chan struct{}
	stopOnce sync.Once

	journal  *journal.Journal
	metrics  *metrics
	dialects *dialects
}

// embeddedSpec is the built-in openapi.yaml, parsed once: it never changes,
// and servers only read it, so that a test may start a mock per case.
var embeddedSpec = sync.OnceValues(func() (*openapi3.T, error) { return conformance.LoadSpec("") })

// New builds a server from cfg and loads its fixtures into the store.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	doc := cfg.Spec
	if doc == nil {
		var err error
		if doc, err = embeddedSpec(); err != nil {
			return nil, err
		}
	}
	sandboxDoc, err := admin.SandboxSpec(doc)
	if err != nil {
		return nil, err
	}
	validator, err := conformance.NewValidator(sandboxDoc)
	if err != nil {
		return nil, err
	}
	hosts, err := hostcheck.New(cfg.AllowedHosts)
	if err != nil {
		return nil, err
	}
	set, err := startingFixtures(context.Background(), cfg)
	if err != nil {
		return nil, err
	}
	service := recharge.NewService(cfg.Store, cfg.Clock, cfg.Seed)
	service.Unknown = cfg.Unknown
	service.DefaultRule = cfg.ResolveRule
	service.MaxAutoCreated = max(cfg.MaxTransactions, 0)
	m, err := newMetrics(cfg.Store)
	if err != nil {
		return nil, err
	}
	s := &Server{stopping: make(chan struct{}), journal: journal.New(cfg.JournalSize, cfg.JournalBytes), metrics: m}
	c := &control{
		service:  service,
		store:    cfg.Store,
		clock:    cfg.Clock,
		journal:  s.journal,
		auditor:  audit.NewAuditor(),
		codes:    recharge.StatusCodes{Success: recharge.DefaultStatusCodes.Success, Failed: recharge.DefaultStatusCodes.Failed, Pending: cfg.Dialect.Knobs().PendingStatus},
		started:  time.Now(),
		stopping: s.stopping,
		reread:   func(ctx context.Context) (fixtures.Set, error) { return rereadFixtures(ctx, cfg) },
	}
	s.dialects = newDialects(cfg.Dialect, !cfg.DisableDialectHeader)
	c.fixturesLoaded = s.dialects.setRegistrations
	c.settings, _ = cfg.Store.(recharge.Settings)
	records, _ := cfg.Store.(recharge.Records)
	c.faults = faults.NewSet(cfg.Seed, records)
	s.control = c
	// The clock comes back before the fixtures load, so that they are
	// completed on the restored clock.
	ctx := context.Background()
	if err := c.restore(ctx); err != nil {
		return nil, err
	}
	if cfg.ProxyUpstream != "" {
		if c.proxy, err = s.newProxy(cfg, validator); err != nil {
			return nil, err
		}
	} else if cfg.RecordDir != "" {
		return nil, errors.New("record: recording needs a proxy upstream, whose answers it records")
	}
	if err := c.load(ctx, set); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.AdminToken != "" {
		// The token guards the admin API; every Host is answered.
		s.handler = s.routes(cfg, validator, nil)
	} else {
		s.handler = s.routes(cfg, validator, &hosts)
	}
	s.handler = s.syncShared(s.handler)
	return s, nil
}

// startingFixtures is the set cfg starts with.
func startingFixtures(ctx context.Context, cfg Config) (fixtures.Set, error) {
	if cfg.Fixtures != nil {
		return *cfg.Fixtures, nil
	}
	return fixtures.Load(ctx, cfg.FixturesPath, cfg.Logger)
}

// rereadFixtures is the set a reload applies: the file again, or the set
// cfg gave.
func rereadFixtures(ctx context.Context, cfg Config) (fixtures.Set, error) {
	if cfg.FixturesPath == "" && cfg.Fixtures != nil {
		return *cfg.Fixtures, nil
	}
	return fixtures.Load(ctx, cfg.FixturesPath, cfg.Logger)
}

func (s *Server) newProxy(cfg Config, validator *conformance.Validator) (*proxy.Proxy, error) {
	c := s.control
	return proxy.New(proxy.Config{
		Upstream:       cfg.ProxyUpstream,
		Timeout:        cfg.ProxyTimeout,
		WriteTimeout:   WriteTimeout,
		Validator:      validator,
		AcceptDialects: cfg.ProxyAcceptDialects,
		ViolationLimit: cfg.JournalSize,
		RecordDir:      cfg.RecordDir,
		Loadable: func(t fixtures.Transaction) error {
			tx, err := recharge.FromDescription(t.Key, t.Description, transaction.OriginFixture, t.Scenario)
			if err == nil {
				c.service.Complete(&tx, c.clock.Now())
				err = tx.Validate()
			}
			if err != nil {
				return errors.New(transaction.ErrorMessage(err))
			}
			return nil
		},
		Log:       cfg.Logger,
		Now:       c.clock.Now,
		Stopping:  s.stopping,
		Violation: s.metrics.violation,
		Failure:   s.metrics.upstreamFailure,
	})
}

// routes puts the handlers together: the admin API under its paths, the
// RechargeStatus endpoint (or the proxy) behind validation and faults, and
// any other path answered in the provider's envelope. When hosts is not
// nil, a request for any other Host is refused, each path in its own
// envelope.
func (s *Server) routes(cfg Config, validator *conformance.Validator, hosts *hostcheck.Hosts) http.Handler {
	c := s.control
	var answer served.EnquiryHandler = answerer{service: c.service, codes: c.codes}
	if c.proxy != nil {
		// The same validation and faults, then the upstream answers
		// instead of the store.
		answer = c.proxy
	}
	checks := requestCheck{validator: validator, dialects: s.dialects, maxBodyBytes: cfg.MaxBodyBytes}
	enquiry := check(checks, faults.Inject(faults.Options{
		Rules:    c.faults,
		Header:   !cfg.DisableFaultHeader,
		Stopping: s.stopping,
		Log:      cfg.Logger,
		Injected: s.metrics.faultInjected,
		MaxHeld:  max(cfg.MaxHeldFaults, 0),
	}, answer))
	// Other paths go through validation too, which answers them in the
	// provider's envelope.
	other := check(checks, notFound)
	adminAPI := adminhttp.New(adminhttp.Config{Admin: c, Token: cfg.AdminToken, Validator: validator, Metrics: s.metrics.handler(), Hosts: hosts})
	dispatch := served.HandlerFunc(func(w http.ResponseWriter, r *http.Request) served.Outcome {
		switch {
		case admin.IsAdminPath(r.URL.Path):
			return adminAPI.Serve(w, r)
		case hosts != nil && !hosts.Allows(r.Host):
			envelope.WriteFailure(w, dialect.Default(), dialect.Validation, adminhttp.HostRefusal(r.Host), "")
			return served.Outcome{}
		case isEnquiry(r):
			out := enquiry.Serve(w, r)
			out.Route = rechargestatus.EnquiryPath
			return out
		default:
			return other.Serve(w, r)
		}
	})
	return observe(observer{log: cfg.Logger, journal: s.journal, metrics: s.metrics, now: c.clock.Now}, dispatch)
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Admin is the sandbox's admin API in process, the same operations as over
// HTTP with the same answers.
func (s *Server) Admin() admin.Admin { return s.control }

// ReloadFixtures rereads the fixtures, as POST /__admin/fixtures/reload does.
func (s *Server) ReloadFixtures(ctx context.Context) (admin.ReloadResult, error) {
	return s.control.ReloadFixtures(ctx)
}

// Stop ends the waits of faults in progress (hangs, delays, trickles) and
// of upstream exchanges, so that a graceful shutdown need not wait for them:
// call it as the shutdown begins (http.Server.RegisterOnShutdown).
func (s *Server) Stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Close ends what runs beside the requests, once the server serves no more
// of them (after http.Server.Shutdown returns): it stops as Stop does, and
// writes a proxy recording whole.
func (s *Server) Close() error {
	s.Stop()
	if s.control.proxy == nil {
		return nil
	}
	return s.control.proxy.Close()
}
