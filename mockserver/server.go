package mockserver

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/aopay-sandbox/rechargestatus/conformance"

	"github.com/gorilla/mux"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Server is the mock provider: the RechargeStatus endpoint and the sandbox's
// own endpoints under /__admin/.
type Server struct {
	cfg Config
	// fieldCase, when set, accepts enquiry members in any letter case.
	fieldCase   *fieldCase
	log         *slog.Logger
	service     *recharge.Service
	store       recharge.Store
	clock       *recharge.VirtualClock
	validator   *conformance.Validator
	journal     *Journal
	statusCodes recharge.StatusCodes
	started     time.Time
	handler     http.Handler
	control     *controlPlane
	// upstream is proxy mode's state; nil when the mock answers itself.
	upstream *upstreamProxy

	// afterRequest, when set, sees every finished request.
	afterRequest func(r *http.Request, status int, ex *exchange, elapsed time.Duration)
}

// New builds a server from cfg and loads its fixtures into the store.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	doc := cfg.Spec
	if doc == nil {
		var err error
		if doc, err = rechargestatus.LoadSpec(""); err != nil {
			return nil, err
		}
	}
	sandboxDoc, err := SandboxSpec(doc)
	if err != nil {
		return nil, err
	}
	validator, err := conformance.NewValidator(sandboxDoc)
	if err != nil {
		return nil, err
	}
	set := cfg.Fixtures
	if set == nil {
		loaded, err := fixtures.Load(cfg.FixturesPath)
		if err != nil {
			return nil, err
		}
		set = &loaded
	}
	service := recharge.NewService(cfg.Store, cfg.Clock, cfg.Seed)
	service.Unknown = cfg.Unknown
	service.DefaultRule = cfg.ResolveRule
	service.MaxAutoCreated = max(cfg.MaxTransactions, 0)
	s := &Server{
		cfg:         cfg,
		log:         cfg.Logger,
		service:     service,
		store:       cfg.Store,
		clock:       cfg.Clock,
		validator:   validator,
		journal:     NewJournal(cfg.JournalSize),
		statusCodes: recharge.StatusCodes{Success: "1", Failed: "0", Pending: cfg.PendingStatus},
		started:     time.Now(),
	}
	if cfg.CaseInsensitiveFields {
		s.fieldCase = enquiryFieldCase(doc)
	}
	if err := s.initControlPlane(*set); err != nil {
		return nil, err
	}
	if err := s.initProxy(); err != nil {
		return nil, err
	}
	ctx := context.Background()
	n, err := cfg.Store.Count(ctx)
	if err != nil {
		return nil, fmt.Errorf("count stored transactions: %w", err)
	}
	if n == 0 {
		err = service.Reset(ctx, set.Registrations, set.Transactions)
	} else {
		// A persisted store keeps its state across restarts; the fixtures
		// only add what it lacks.
		err = service.Reload(ctx, set.Registrations, set.Transactions)
	}
	if err != nil {
		return nil, fmt.Errorf("load fixtures: %w", err)
	}
	s.handler = s.routes()
	return s, nil
}

// ServeHTTP makes the server an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.handler.ServeHTTP(w, r) }

// Service is the domain service behind the endpoint.
func (s *Server) Service() *recharge.Service { return s.service }

// Clock is the sandbox's virtual clock.
func (s *Server) Clock() *recharge.VirtualClock { return s.clock }

// Journal is the request journal.
func (s *Server) Journal() *Journal { return s.journal }

// routes lists every route the server answers.
func (s *Server) routes() http.Handler {
	// gorilla/mux would answer a path such as //api/AOP/RechargeStatus with
	// a bodyless 301 to its cleaned form; the sandbox answers every path in
	// its envelope instead.
	// Routes match the encoded path so that a referenceid holding %2F stays
	// one path segment; handlers unescape their variables.
	r := mux.NewRouter().SkipClean(true).UseEncodedPath()
	r.Use(nameRoute)
	admin := r.PathPrefix("/__admin/").Subrouter()
	admin.Use(s.requireAdmin, s.validateAdmin)
	admin.HandleFunc("/health", s.handleHealth).Methods(http.MethodGet)
	admin.HandleFunc("/transactions", s.handleListTransactions).Methods(http.MethodGet)
	admin.HandleFunc("/transactions/{registrationId}/{referenceId}", s.handleGetTransaction).Methods(http.MethodGet)
	admin.HandleFunc("/transactions/{registrationId}/{referenceId}", s.handlePutTransaction).Methods(http.MethodPut)
	admin.HandleFunc("/transactions/{registrationId}/{referenceId}", s.handleDeleteTransaction).Methods(http.MethodDelete)
	admin.HandleFunc("/transactions/{registrationId}/{referenceId}/transition", s.handleTransition).Methods(http.MethodPost)
	admin.HandleFunc("/requests", s.handleListRequests).Methods(http.MethodGet)
	admin.HandleFunc("/requests", s.handleClearRequests).Methods(http.MethodDelete)
	admin.HandleFunc("/requests/count", s.handleCountRequests).Methods(http.MethodGet)
	admin.HandleFunc("/reset", s.handleReset).Methods(http.MethodPost)
	admin.HandleFunc("/clock", s.handleGetClock).Methods(http.MethodGet)
	admin.HandleFunc("/clock", s.handleMoveClock).Methods(http.MethodPost)
	admin.HandleFunc("/fixtures/reload", s.handleReloadFixtures).Methods(http.MethodPost)
	admin.HandleFunc("/faults", s.handleListFaults).Methods(http.MethodGet)
	admin.HandleFunc("/faults", s.handleReplaceFaults).Methods(http.MethodPut)
	admin.HandleFunc("/faults", s.handleAddFault).Methods(http.MethodPost)
	admin.HandleFunc("/faults", s.handleClearFaults).Methods(http.MethodDelete)
	admin.HandleFunc("/faults/{id}", s.handleDeleteFault).Methods(http.MethodDelete)
	admin.HandleFunc("/violations", s.handleListViolations).Methods(http.MethodGet)
	admin.HandleFunc("/violations", s.handleClearViolations).Methods(http.MethodDelete)
	admin.NotFoundHandler = s.adminFallback()
	admin.MethodNotAllowedHandler = s.adminFallback()
	r.Handle("/metrics", s.requireAdmin(s.validateAdmin(s.metricsHandler()))).Methods(http.MethodGet)

	enquiry := http.HandlerFunc(s.handleEnquiry)
	if s.upstream != nil {
		// The same validation and faults, then the upstream answers
		// instead of the store.
		enquiry = s.forwardEnquiry
	}
	api := s.validate(s.injectFaults(enquiry))
	r.Handle(rechargestatus.EnquiryPath, api)
	// Unknown paths go through validation too, which answers them in the
	// provider's envelope.
	r.NotFoundHandler = s.validate(http.NotFoundHandler())
	adminFallback := s.adminFallback()
	r.MethodNotAllowedHandler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if isAdminPath(r.URL.Path) {
			adminFallback.ServeHTTP(w, r)
			return
		}
		writeError(w, http.StatusMethodNotAllowed, rechargestatus.CodeValidation, fmt.Sprintf("%s: method %s is not allowed on %s", rechargestatus.MessageValidation, r.Method, r.URL.Path), "")
	})
	return s.observe(r)
}

type healthAnswer struct {
	Status        string    `json:"status"`
	Transactions  int       `json:"transactions"`
	JournalLength int       `json:"journalLength"`
	Uptime        string    `json:"uptime"`
	Clock         time.Time `json:"clock"`
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	n, err := s.store.Count(r.Context())
	if err != nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "unavailable", "error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, healthAnswer{
		Status:        "ok",
		Transactions:  n,
		JournalLength: s.journal.Len(),
		Uptime:        time.Since(s.started).Round(time.Second).String(),
		Clock:         s.clock.Now(),
	})
}

// HTTPServer wraps the handler in a net/http server with the sandbox's
// timeouts and limits.
func (s *Server) HTTPServer(addr string) *http.Server {
	hs := &http.Server{
		Addr:              addr,
		Handler:           s,
		ReadHeaderTimeout: ReadHeaderTimeout,
		ReadTimeout:       ReadTimeout,
		WriteTimeout:      WriteTimeout,
		IdleTimeout:       IdleTimeout,
		MaxHeaderBytes:    MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	// Hanging and slow faults end at shutdown instead of holding it up.
	hs.RegisterOnShutdown(s.Stop)
	return hs
}
