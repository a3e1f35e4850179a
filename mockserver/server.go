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

// embeddedValidator holds requests to the built-in openapi.yaml with the
// sandbox's headers, built once: the document never changes and servers
// only read it, its router and its variants, so that a test may start a
// mock per case for next to nothing.
var embeddedValidator = sync.OnceValues(func() (*conformance.Validator, error) {
	doc, err := conformance.LoadSpec("")
	if err != nil {
		return nil, err
	}
	return sandboxValidator(doc)
})

// sandboxValidator holds requests to doc joined with the sandbox's headers
// (admin.SandboxSpec).
func sandboxValidator(doc *openapi3.T) (*conformance.Validator, error) {
	sandboxDoc, err := admin.SandboxSpec(doc)
	if err != nil {
		return nil, err
	}
	return conformance.NewValidator(sandboxDoc)
}

// New builds a server from cfg and loads its fixtures into the store.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	validator, err := embeddedValidator()
	if cfg.Spec != nil {
		validator, err = sandboxValidator(cfg.Spec)
	}
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
		if c.proxy, err = s.newProxy(cfg, validator, cfg.ProxyUpstream); err != nil {
			return nil, err
		}
	} else if cfg.RecordDir != "" {
		return nil, errors.New("record: recording needs a proxy upstream, whose answers it records")
	}
	c.recordings = s.newRecordings(cfg, validator)
	if cfg.RecordDir != "" {
		// --record is a recording started with the process, as the admin
		// API starts one.
		if _, err := c.recordings.start(admin.RecordingStart{Upstream: cfg.ProxyUpstream, Directory: cfg.RecordDir}, true); err != nil {
			return nil, err
		}
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

func (s *Server) newProxy(cfg Config, validator *conformance.Validator, upstream string) (*proxy.Proxy, error) {
	c := s.control
	return proxy.New(proxy.Config{
		Upstream:       upstream,
		Timeout:        cfg.ProxyTimeout,
		WriteTimeout:   WriteTimeout,
		Validator:      validator,
		AcceptDialects: cfg.ProxyAcceptDialects,
		ViolationLimit: cfg.JournalSize,
		Log:            cfg.Logger,
		Now:            c.clock.Now,
		Stopping:       s.stopping,
		Violation:      s.metrics.violation,
		Failure:        s.metrics.upstreamFailure,
	})
}

// newRecordings starts and stops recordings: on proxy mode's proxy, or on
// a proxy of their own to the upstream each names.
func (s *Server) newRecordings(cfg Config, validator *conformance.Validator) *recordings {
	c := s.control
	loadable := func(t fixtures.Transaction) error {
		tx, err := recharge.FromDescription(t.Key, t.Description, transaction.OriginFixture, t.Scenario)
		if err == nil {
			c.service.Complete(&tx, c.clock.Now())
			err = tx.Validate()
		}
		if err != nil {
			return errors.New(transaction.ErrorMessage(err))
		}
		return nil
	}
	return &recordings{
		base:     c.proxy,
		root:     cfg.RecordRoot,
		newProxy: func(upstream string) (*proxy.Proxy, error) { return s.newProxy(cfg, validator, upstream) },
		open: func(upstream, dir string, registrations []string) (*proxy.Recording, error) {
			return proxy.OpenRecording(proxy.RecordingConfig{Upstream: upstream, Dir: dir, Registrations: registrations,
				Loadable: loadable, Log: cfg.Logger, Stopping: s.stopping})
		},
	}
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
	} else {
		// The mock answers, but for the registrations a recording in
		// progress captures.
		answer = recordingSwitch{recordings: c.recordings, local: answer}
	}
	checks := requestCheck{validator: validator, dialects: s.dialects, maxBodyBytes: cfg.MaxBodyBytes}
	var enquiry served.EnquiryHandler = faults.Inject(faults.Options{
		Rules:    c.faults,
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
	adminAPI := adminhttp.New(adminhttp.Config{Admin: c, Token: cfg.AdminToken, Validator: validator, Metrics: s.metrics.handler(), Hosts: hosts})
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
	err := s.control.recordings.close()
	if s.control.proxy != nil {
		err = errors.Join(err, s.control.proxy.Close())
	}
	return err
}
