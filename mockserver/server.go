package mockserver

import (
	"context"
	"net/http"
	"sync"
	"sync/atomic"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/adminhttp"
	"github.com/aopay-sandbox/rechargestatus/mockserver/faults"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/control"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/hostcheck"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Server is the mock provider: the RechargeStatus endpoint and the sandbox's
// admin API under /__admin/. It is an http.Handler and starts nothing: its
// only work outside a request is writing a proxy recording behind it, which
// Close ends.
type Server struct {
	handler  http.Handler
	control  *control.Control
	stopping chan struct{}
	stopOnce sync.Once

	journal  *journal.Journal
	metrics  *metrics
	dialects *dialects
}

// embeddedValidator holds requests to the built-in openapi.yaml with the
// sandbox's headers, built once: the document never changes and servers
// only read it, its router and its variants, so that a test may start a
// mock per case for next to nothing. Admin requests are held to the admin
// document apart (adminhttp), which only they need.
var embeddedValidator = sync.OnceValues(func() (*conformance.Validator, error) {
	defer embeddedBuilt.Store(true)
	// The sandbox's headers parse on another core meanwhile.
	sandboxParsed := make(chan struct{})
	go func() {
		defer close(sandboxParsed)
		_, _ = admin.SandboxComponents()
	}()
	doc, err := conformance.LoadSpec("")
	<-sandboxParsed
	if err != nil {
		return nil, err
	}
	return sandboxValidator(doc)
})

// embeddedBuilt is whether embeddedValidator has been built.
var embeddedBuilt atomic.Bool

// validatorFor holds requests to the document cfg names, the built-in one
// when it names none.
func validatorFor(cfg Config) (*conformance.Validator, error) {
	if cfg.Spec != nil {
		return sandboxValidator(cfg.Spec)
	}
	return embeddedValidator()
}

// sandboxValidator holds requests to doc joined with the sandbox's headers
// (admin.WithSandboxHeaders).
func sandboxValidator(doc *openapi3.T) (*conformance.Validator, error) {
	sandboxDoc, err := admin.WithSandboxHeaders(doc)
	if err != nil {
		return nil, err
	}
	return conformance.NewValidator(sandboxDoc)
}

// New builds a server from cfg and loads its fixtures into the store.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	hosts, err := hostcheck.New(cfg.AllowedHosts)
	if err != nil {
		return nil, err
	}
	p, err := makeParts(cfg)
	if err != nil {
		return nil, err
	}
	validator, set, m := p.validator, p.set, p.metrics
	service := recharge.NewService(cfg.Store, cfg.Clock, cfg.Seed)
	service.Unknown = cfg.Unknown
	service.DefaultRule = cfg.ResolveRule
	service.MaxAutoCreated = max(cfg.MaxTransactions, 0)
	s := &Server{stopping: make(chan struct{}), journal: journal.New(cfg.JournalSize, cfg.JournalBytes), metrics: m}
	s.dialects = newDialects(cfg.Dialect, !cfg.DisableDialectHeader)
	ctx := context.Background()
	s.control, err = control.New(ctx, control.Config{
		Service:        service,
		Store:          cfg.Store,
		Clock:          cfg.Clock,
		Journal:        s.journal,
		Codes:          recharge.StatusCodes{Success: recharge.DefaultStatusCodes.Success, Failed: recharge.DefaultStatusCodes.Failed, Pending: cfg.Dialect.Knobs().PendingStatus},
		Seed:           cfg.Seed,
		Reread:         func(ctx context.Context) (fixtures.Set, error) { return rereadFixtures(ctx, cfg) },
		Stopping:       s.stopping,
		FixturesLoaded: s.dialects.setRegistrations,
		ProxyUpstream:  cfg.ProxyUpstream,
		NewProxy:       func(upstream string) (*proxy.Proxy, error) { return s.newProxy(cfg, validator, upstream) },
		RecordDir:      cfg.RecordDir,
		RecordRoot:     cfg.RecordRoot,
		Log:            cfg.Logger,
	})
	if err != nil {
		return nil, err
	}
	if err := s.control.Load(ctx, set); err != nil {
		s.Close()
		return nil, err
	}
	if cfg.AdminToken != "" {
		// The token guards the admin API; every Host is answered.
		s.handler = s.routes(cfg, validator, nil)
	} else {
		s.handler = s.routes(cfg, validator, &hosts)
	}
	s.handler = s.syncShared(s.handler, cfg.Logger)
	return s, nil
}

// parts are what a server is made of that take time to make.
type parts struct {
	validator *conformance.Validator
	set       fixtures.Set
	metrics   *metrics
}

// makeParts makes a server's parts; an error of its validator comes
// first. The first server of a process, which parses the built-in
// documents for its validator, reads the fixtures and makes the metrics on
// another core meanwhile; later ones, whose validator is built already,
// make them in turn, which costs less than a handover.
func makeParts(cfg Config) (parts, error) {
	var p parts
	var madeErr, err error
	if cfg.Spec != nil || embeddedBuilt.Load() {
		p.set, p.metrics, madeErr = makeRest(cfg)
		p.validator, err = validatorFor(cfg)
	} else {
		made := make(chan error, 1)
		go func() {
			var err error
			p.set, p.metrics, err = makeRest(cfg)
			made <- err
		}()
		p.validator, err = embeddedValidator()
		madeErr = <-made
	}
	if err != nil {
		return p, err
	}
	return p, madeErr
}

// makeRest reads the fixtures cfg starts with and makes the metrics.
func makeRest(cfg Config) (fixtures.Set, *metrics, error) {
	set, err := startingFixtures(context.Background(), cfg)
	if err != nil {
		return fixtures.Set{}, nil, err
	}
	m, err := newMetrics(cfg.Store)
	return set, m, err
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

func (s *Server) newProxy(cfg Config, validator *conformance.Validator, upstream string) (*proxy.Proxy, error) {
	return proxy.New(proxy.Config{
		Upstream:       upstream,
		Timeout:        cfg.ProxyTimeout,
		WriteTimeout:   WriteTimeout,
		Validator:      validator,
		AcceptDialects: cfg.ProxyAcceptDialects,
		ViolationLog:   sharedViolations(cfg),
		ViolationLimit: cfg.JournalSize,
		Log:            cfg.Logger,
		Now:            cfg.Clock.Now,
		Stopping:       s.stopping,
		Violation:      s.metrics.violation,
		Failure:        s.metrics.upstreamFailure,
		Unkept:         s.metrics.violationsUnkept,
	})
}

// routes puts the handlers together: the admin API under its paths, the
// RechargeStatus endpoint (or the proxy) behind validation and faults, and
// any other path answered in the provider's envelope. When hosts is not
// nil, a request for any other Host is refused, each path in its own
// envelope.
func (s *Server) routes(cfg Config, validator *conformance.Validator, hosts *hostcheck.Hosts) http.Handler {
	c := s.control
	answer := c.Answerer(answerer{service: c.Service(), codes: c.Codes(), kept: newKeptAnswers(keptAnswersSlots)})
	checks := requestCheck{validator: validator, dialects: s.dialects, maxBodyBytes: cfg.MaxBodyBytes}
	var enquiry served.EnquiryHandler = faults.Inject(faults.Options{
		Rules:    c.Faults(),
		Header:   !cfg.DisableFaultHeader,
		Stopping: s.stopping,
		Log:      cfg.Logger,
		Injected: s.metrics.faultInjected,
		MaxHeld:  max(cfg.MaxHeldFaults, 0),
	}, answer)
	if !cfg.DisableScenarioHeader {
		enquiry = scenarioHeader(enquiry)
	}
	checked := check(checks, enquiry)
	// Other paths go through validation too, which answers them in the
	// provider's envelope.
	other := check(checks, notFound)
	adminAPI := adminhttp.New(adminhttp.Config{Admin: c, Token: cfg.AdminToken, Metrics: s.metrics.handler(), Hosts: hosts})
	dispatch := served.HandlerFunc(func(w http.ResponseWriter, r *http.Request) served.Outcome {
		switch {
		case admin.IsAdminPath(r.URL.Path):
			return adminAPI.Serve(w, r)
		case hosts != nil && !hosts.Allows(r.Host):
			envelope.WriteFailure(w, dialect.Default(), dialect.Validation, adminhttp.HostRefusal(r.Host), "")
			return served.Outcome{}
		case isEnquiry(r):
			out := checked.Serve(w, r)
			out.Route = rechargestatus.EnquiryPath
			return out
		default:
			return other.Serve(w, r)
		}
	})
	return observe(observer{log: cfg.Logger, journal: s.journal, metrics: s.metrics, now: c.Now}, dispatch)
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
	return s.control.Close()
}
