// Package cli is the aopay-mock command: flags with environment fallback,
// logging, and the server's life from listen to graceful shutdown.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/hostcheck"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// EnvPrefix prefixes the environment variable of every flag: --log-level is
// AOPAY_MOCK_LOG_LEVEL.
const EnvPrefix = "AOPAY_MOCK_"

// EnvName is the environment variable that backs a flag.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// MaxJournalSize bounds --journal-size.
const MaxJournalSize = 1_000_000

// ShutdownTimeout bounds how long in-flight requests may finish on shutdown.
const ShutdownTimeout = 10 * time.Second

type options struct {
	addr            string
	spec            string
	fixtures        string
	state           string
	redis           string
	redisWait       time.Duration
	seed            int64
	unknown         string
	resolveAfter    string
	dialect         *dialect.Flags
	dialectHeader   bool
	maxBodyBytes    int64
	journalSize     int
	journalBytes    int64
	maxTransactions int
	maxConns        int
	maxHeldFaults   int
	logFormat       string
	logLevel        string
	adminToken      string
	allowedHosts    string
	faultHeader     bool
	scenarioHeader  bool
	proxy           proxyOptions
}

// newFlagSet declares the flags into o; their usage goes to out, and the
// flag package's own error lines nowhere, as the error is returned.
func newFlagSet(o *options, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("aopay-mock", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.StringVar(&o.addr, "addr", mockserver.DefaultAddr, "address to listen on")
	fs.StringVar(&o.spec, "spec", "", "OpenAPI document to validate against (default: the built-in openapi.yaml)")
	fs.StringVar(&o.fixtures, "fixtures", "", "fixtures file or directory (default: the built-in set)")
	fs.StringVar(&o.state, "state", "", "bbolt file keeping transactions, clock and faults across restarts (default: in memory)")
	fs.StringVar(&o.redis, "redis", "", "Redis URL keeping every piece of the sandbox's state, shared by every aopay-mock using it, such as redis://127.0.0.1:6379/0 (rediss:// for TLS, redis://:PASSWORD@HOST:PORT/DB); not with --state")
	fs.DurationVar(&o.redisWait, "redis-wait", 10*time.Second, "with --redis, how long start-up waits for Redis to answer before it gives up")
	fs.Int64Var(&o.seed, "seed", 1, "seed of generated transaction data")
	fs.StringVar(&o.unknown, "unknown", string(recharge.UnknownCreate), "what an unknown referenceid answers: create (by referenceid convention) or notfound")
	fs.StringVar(&o.resolveAfter, "resolve-after", "3", "when pending transactions made by convention resolve: a number of enquiries (3) or a duration on the sandbox clock (10m)")
	o.dialect = dialect.RegisterFlags(fs)
	fs.BoolVar(&o.dialectHeader, "dialect-header", true, "honour the X-Mock-Dialect request header, which picks the dialect of one call")
	fs.Int64Var(&o.maxBodyBytes, "max-body-bytes", mockserver.DefaultMaxBodyBytes, "largest request body accepted, in bytes")
	fs.IntVar(&o.journalSize, "journal-size", mockserver.DefaultJournalSize, "requests kept in the request journal, the oldest forgotten first")
	fs.Int64Var(&o.journalBytes, "journal-bytes", mockserver.DefaultJournalBytes, "bytes of memory the request journal's entries may hold, roughly (67108864 is 64 MiB); past them the oldest are forgotten first, whatever --journal-size")
	fs.IntVar(&o.maxTransactions, "max-transactions", recharge.DefaultMaxAutoCreated, "transactions made on first enquiry kept at most, the least recently enquired evicted first (0: no limit)")
	fs.IntVar(&o.maxConns, "max-conns", defaultMaxConns(), fmt.Sprintf("connections open at once (0: no limit); at the limit the longest-idle keep-alive connection is closed to admit a new one, or the new one waits when none is idle. The default is %d, or half of (open-file limit - %d) when that is lower", DefaultMaxConns, reservedFiles))
	fs.IntVar(&o.maxHeldFaults, "max-held-faults", mockserver.DefaultMaxHeldFaults, "requests that hang, latency and trickle faults hold at once, never more than half of --max-conns (0: no limit but that); past it such a fault is refused with 429 and Retry-After, so that faults cannot take the connections ordinary enquiries need")
	fs.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info (request logs), warn (no request logs), error or off")
	fs.StringVar(&o.adminToken, "admin-token", "", "bearer token every /__admin/ call and /metrics need (default: none, which is fine on loopback only)")
	fs.StringVar(&o.allowedHosts, "allowed-hosts", "", "without --admin-token, the Host names answered beside localhost and loopback addresses, comma separated: a name (mock), a domain and every name under it (.example.test) or * for any; requests for any other Host are refused, so that no web page reaches the sandbox through a name of its own (DNS rebinding)")
	fs.BoolVar(&o.faultHeader, "fault-header", true, "honour the X-Mock-Fault request header, which picks a fault for one call")
	fs.BoolVar(&o.scenarioHeader, "scenario-header", true, "honour the X-Mock-Scenario request header, which picks the scenario of an unknown referenceid")
	o.proxy.register(fs)
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: aopay-mock [flags]\n       aopay-mock healthcheck [--addr HOST:PORT | --url URL] [--timeout 2s] [--admin-token TOKEN]\n       aopay-mock version\n\nA stateful mock of AOPay's RechargeStatus API.\nEvery flag can also be set by its environment variable, such as %s.\n\nFlags:\n", EnvName("addr"))
		fs.VisitAll(func(f *flag.Flag) {
			fmt.Fprintf(out, "  --%s (%s, default %q)\n      %s\n", f.Name, EnvName(f.Name), f.DefValue, f.Usage)
		})
	}
	return fs
}

// parseFlags reads args over the environment over the defaults; out gets
// the usage when args ask for it or misuse the flags.
func parseFlags(args []string, getenv func(string) string, out io.Writer) (options, error) {
	var o options
	fs := newFlagSet(&o, out)
	var envErr error
	fs.VisitAll(func(f *flag.Flag) {
		if v := getenv(EnvName(f.Name)); v != "" && envErr == nil {
			if err := fs.Set(f.Name, v); err != nil {
				envErr = fmt.Errorf("%s=%q: %w", EnvName(f.Name), v, err)
			}
		}
	})
	if envErr != nil {
		return o, envErr
	}
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	return o, nil
}

// NewLogger builds the slog logger the flags ask for.
func NewLogger(format, level string, out io.Writer) (*slog.Logger, error) {
	var lvl slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lvl = slog.LevelDebug
	case "info":
		lvl = slog.LevelInfo
	case "warn", "warning":
		lvl = slog.LevelWarn
	case "error":
		lvl = slog.LevelError
	case "off", "none", "silent":
		return slog.New(slog.DiscardHandler), nil
	default:
		return nil, fmt.Errorf("log level %q, want debug, info, warn, error or off", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(out, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(out, opts)), nil
	}
	return nil, fmt.Errorf("log format %q, want text or json", format)
}

// ParseResolveRule reads --resolve-after: enquiries as a number, or a duration.
func ParseResolveRule(s string) (transaction.Rule, error) {
	r, err := transaction.ParseRuleAfter(s)
	if err != nil {
		return r, fmt.Errorf("resolve-after %q: %w", s, err)
	}
	return r, nil
}

func (o options) config(logger *slog.Logger) (mockserver.Config, error) {
	cfg := mockserver.Config{
		FixturesPath:          o.fixtures,
		Seed:                  o.seed,
		Dialect:               o.dialect.Dialect(),
		DisableDialectHeader:  !o.dialectHeader,
		MaxBodyBytes:          o.maxBodyBytes,
		JournalSize:           o.journalSize,
		JournalBytes:          o.journalBytes,
		MaxTransactions:       o.maxTransactions,
		Logger:                logger,
		AdminToken:            o.adminToken,
		AllowedHosts:          splitList(o.allowedHosts),
		DisableFaultHeader:    !o.faultHeader,
		DisableScenarioHeader: !o.scenarioHeader,
	}
	if o.spec != "" {
		doc, err := conformance.LoadSpec(o.spec)
		if err != nil {
			return cfg, err
		}
		cfg.Spec = doc
	}
	var err error
	if cfg.Unknown, err = recharge.ParseUnknownPolicy(o.unknown); err != nil {
		return cfg, err
	}
	if cfg.ResolveRule, err = ParseResolveRule(o.resolveAfter); err != nil {
		return cfg, err
	}
	if o.maxBodyBytes <= 0 || o.journalSize <= 0 || o.journalBytes <= 0 {
		return cfg, errors.New("max-body-bytes, journal-size and journal-bytes must be positive")
	}
	if o.journalSize > MaxJournalSize {
		return cfg, fmt.Errorf("journal-size %d, at most %d", o.journalSize, MaxJournalSize)
	}
	switch {
	case o.maxTransactions < 0:
		return cfg, errors.New("max-transactions must not be negative")
	case o.maxConns < 0:
		return cfg, errors.New("max-conns must not be negative")
	case o.maxHeldFaults < 0:
		return cfg, errors.New("max-held-faults must not be negative")
	case o.maxTransactions == 0:
		// Config reads zero as the default and a negative value as no limit.
		cfg.MaxTransactions = -1
	}
	cfg.MaxHeldFaults = heldFaultsWithin(o.maxHeldFaults, o.maxConns)
	if _, err := hostcheck.New(cfg.AllowedHosts); err != nil {
		return cfg, fmt.Errorf("allowed-hosts: %w", err)
	}
	if err := o.proxy.apply(&cfg, o.addr); err != nil {
		return cfg, err
	}
	return cfg, nil
}

// heldFaultsWithin is the limit of held faults (mockserver.Config's
// MaxHeldFaults) for --max-held-faults held and --max-conns conns: never
// more than half the connections, so that ordinary enquiries keep the rest.
func heldFaultsWithin(held, conns int) int {
	if conns > 0 {
		half := max(1, conns/2)
		if held == 0 || held > half {
			held = half
		}
	}
	if held == 0 {
		return -1
	}
	return held
}

// splitList reads a comma-separated flag: its items, spaces trimmed, the
// empty ones left out.
func splitList(s string) []string {
	var out []string
	for item := range strings.SplitSeq(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}

// ExitError is a failure that ends aopay-mock with Code: 2 for bad usage, 1
// for anything else, and 0 for --help. Usage, when set, is the flags' help,
// printed after the message.
type ExitError struct {
	Code  int
	Err   error
	Usage string
}

func (e *ExitError) Error() string { return e.Err.Error() }

func (e *ExitError) Unwrap() error { return e.Err }

// usageError is bad usage, which exits 2.
func usageError(err error) *ExitError { return &ExitError{Code: 2, Err: err} }

// ExitCode reports err on stderr as aopay-mock does (one line, then the
// usage when the error carries it) and returns the process exit code: 0 for
// nil or --help, an ExitError's code, 1 for any other error.
func ExitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var e *ExitError
	if !errors.As(err, &e) {
		e = &ExitError{Code: 1, Err: err}
	}
	if !errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stderr, "aopay-mock: %v\n", err)
	}
	if e.Usage != "" {
		fmt.Fprint(stderr, e.Usage)
	}
	return e.Code
}

// Run is aopay-mock: it serves until ctx is done, then shuts down gracefully.
// It returns the process exit code (ExitCode): 0 after a clean shutdown or
// --help, 2 for bad usage, 1 for any other failure. A first argument naming
// a subcommand (healthcheck, version or --version) runs that instead.
func Run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		switch args[0] {
		case "healthcheck":
			return RunHealthcheck(ctx, args[1:], getenv, stdout, stderr)
		case "version", "--version", "-version":
			return RunVersion(args[1:], stdout, stderr)
		}
	}
	return ExitCode(run(ctx, args, getenv, stdout, stderr, nil), stderr)
}

// run serves as the flags in args and getenv say until ctx is done, logging
// to stdout; listening, when set, hears the server's URL once it listens.
func run(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer, listening func(url string)) (err error) {
	o, logger, cfg, err := setUp(args, getenv, stdout)
	if err != nil {
		return err
	}
	if o.redis != "" {
		store, err := openRedis(ctx, o, logger)
		if err != nil {
			return err
		}
		defer store.Close()
		cfg.Store = store
	}
	if o.state != "" {
		store, err := openState(o.state, logger)
		if err != nil {
			return err
		}
		// Deferred calls run after the graceful shutdown, once no request
		// can write any more.
		defer func() {
			if closeErr := store.Close(); closeErr != nil {
				err = errors.Join(err, fmt.Errorf("close %s: %w", o.state, closeErr))
			}
		}()
		cfg.Store = store
	}
	srv, err := mockserver.New(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		srv.Close()
		return err
	}
	return serveUntilDone(ctx, o, cfg, srv, ln, logger, stderr, listening)
}

// setUp reads the flags and the environment into the options, the logger
// and the server's configuration; its errors are bad usage.
func setUp(args []string, getenv func(string) string, stdout io.Writer) (options, *slog.Logger, mockserver.Config, error) {
	var usage strings.Builder
	o, err := parseFlags(args, getenv, &usage)
	if err != nil {
		e := usageError(err)
		if errors.Is(err, flag.ErrHelp) {
			e.Code = 0
		}
		e.Usage = usage.String()
		return o, nil, mockserver.Config{}, e
	}
	logger, err := NewLogger(o.logFormat, o.logLevel, stdout)
	if err != nil {
		return o, nil, mockserver.Config{}, usageError(err)
	}
	if o.redis != "" && o.state != "" {
		return o, nil, mockserver.Config{}, usageError(errors.New("--redis and --state both name where the state is kept: give one"))
	}
	cfg, err := o.config(logger)
	if err != nil {
		return o, nil, cfg, usageError(err)
	}
	return o, logger, cfg, nil
}

// openRedis connects to the --redis server, retrying for --redis-wait.
func openRedis(ctx context.Context, o options, logger *slog.Logger) (*redisstore.Store, error) {
	logger.Info("connecting to redis", "wait", o.redisWait)
	return redisstore.Open(ctx, o.redis, redisstore.Options{ConnectTimeout: o.redisWait, Logger: logger, JournalEntries: int64(o.journalSize)})
}

// openState opens the --state file, saying so when it starts a new store.
func openState(path string, logger *slog.Logger) (*boltstore.Store, error) {
	starting := newStoreNotice(path)
	store, err := boltstore.Open(path)
	if err != nil {
		return nil, err
	}
	if starting != "" {
		logger.Warn(starting, "path", path)
	}
	store.SetLogger(logger)
	return store, nil
}

// serveUntilDone serves srv on ln until ctx is done, then shuts down gracefully
// within ShutdownTimeout.
func serveUntilDone(ctx context.Context, o options, cfg mockserver.Config, srv *mockserver.Server, ln net.Listener, logger *slog.Logger, stderr io.Writer, listening func(url string)) error {
	// Past the limit, new connections wait in the kernel's backlog until
	// one is admitted, so no flood can run the process out of descriptors.
	gate := newConnGate(ln, o.maxConns)
	httpServer := mockserver.HTTPServer(o.addr, srv)
	httpServer.ErrorLog = slog.NewLogLogger(logger.Handler(), slog.LevelWarn)
	// Hanging and slow faults end at shutdown instead of holding it up.
	httpServer.RegisterOnShutdown(srv.Stop)
	gate.serveGated(httpServer)
	serveErr := make(chan error, 1)
	go func() { serveErr <- httpServer.Serve(gate) }()
	defer reloadOnHangup(ctx, srv, logger)()
	url := "http://" + ln.Addr().String()
	logger.Info("aopay-mock listening", "url", url, "endpoint", rechargestatus.EnquiryPath, "adminToken", o.adminToken != "")
	if listening != nil {
		listening(url)
	}
	warnOfSettings(o, cfg, ln.Addr(), logger, stderr)

	select {
	case err := <-serveErr:
		srv.Close()
		return err
	case <-ctx.Done():
	}
	logger.Info("aopay-mock shutting down")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), ShutdownTimeout)
	defer cancel()
	gate.interruptReads()
	shutdownErr := httpServer.Shutdown(shutdownCtx)
	// Once no request runs, what the server keeps in memory for later
	// (the --record file) is written.
	if err := srv.Close(); err != nil {
		return err
	}
	if shutdownErr != nil {
		return fmt.Errorf("shutdown: %w", shutdownErr)
	}
	if err := <-serveErr; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// warnOfSettings says what in the settings deserves a warning once the
// server listens on addr.
func warnOfSettings(o options, cfg mockserver.Config, addr net.Addr, logger *slog.Logger, stderr io.Writer) {
	o.proxy.announce(logger)
	if files, known := openFileLimit(); known && o.maxConns > files-reservedFiles {
		logger.Warn("--max-conns is more than the open-file limit allows: clients may be refused with \"too many open files\"; raise the limit (ulimit -n) or lower --max-conns", "maxConns", o.maxConns, "openFileLimit", files)
	}
	if warning := exposureWarning(addr, o.adminToken, cfg.AllowedHosts); warning != "" {
		logger.Warn("the admin API is open to anyone who can reach this address: set --admin-token (or "+EnvName("admin-token")+")", "addr", addr.String())
		fmt.Fprint(stderr, warning)
	}
}

// newStoreNotice is what to log when the state file at path is to start a
// new store, as a missing or empty file does: a file expected to hold state
// but found empty is worth noticing. It is empty otherwise.
func newStoreNotice(path string) string {
	info, err := os.Stat(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		return "state file does not exist: it is created and starts a new store"
	case err == nil && info.Mode().IsRegular() && info.Size() == 0:
		return "state file is empty: it starts a new store"
	}
	return ""
}

// exposureWarning is what to tell, loudly, of a sandbox that listens on
// addr without an admin token: nothing when addr is loopback or a token is
// set, and otherwise the risk and its fix.
func exposureWarning(addr net.Addr, token string, allowedHosts []string) string {
	if token != "" || isLoopback(addr) {
		return ""
	}
	hosts := "localhost and loopback addresses"
	if len(allowedHosts) > 0 {
		hosts += " and " + strings.Join(allowedHosts, ", ")
	}
	lines := []string{
		"WARNING: aopay-mock listens on " + addr.String() + ", beyond this machine, with no admin token.",
		"  Anyone who can reach this address can reset the sandbox, rewrite its transactions,",
		"  fault rules and clock, and read every request in its journal. Only requests for",
		"  the Host " + hosts + " are answered, which keeps web pages",
		"  out but not a client on the network that sends one of those names.",
		"  Fix: set --admin-token (" + EnvName("admin-token") + ") and send it as \"Authorization: Bearer <token>\",",
		"  or listen on loopback (--addr 127.0.0.1:8080); in Docker, publish the port on the",
		"  host's loopback alone: docker run -p 127.0.0.1:8080:8080 ...",
	}
	return strings.Join(lines, "\n") + "\n"
}

// isLoopback reports whether addr can only be reached from this machine.
func isLoopback(addr net.Addr) bool {
	tcp, ok := addr.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// reloadOnHangup rereads the fixtures on every SIGHUP until ctx is done or
// the returned stop function is called.
func reloadOnHangup(ctx context.Context, srv *mockserver.Server, logger *slog.Logger) (stop func()) {
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		for {
			select {
			case <-hup:
				res, err := srv.ReloadFixtures(ctx)
				if err != nil {
					logger.Error("fixtures reload on SIGHUP failed; the previous fixtures stay in force", "error", err.Error())
					continue
				}
				logger.Warn("fixtures reloaded on SIGHUP", "registrations", res.Registrations, "transactions", res.Transactions)
			case <-done:
				return
			case <-ctx.Done():
				return
			}
		}
	}()
	return func() {
		signal.Stop(hup)
		close(done)
		<-finished
	}
}
