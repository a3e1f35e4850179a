package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/netip"
	"net/url"
	"runtime"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// protocols names the comparisons --protocol chooses from.
var protocols = map[string][]namedProtocol{
	"t1":   {{"t1", ProtocolT1}},
	"t2":   {{"t2", ProtocolT2}},
	"both": {{"t1", ProtocolT1}, {"t2", ProtocolT2}},
}

type namedProtocol struct {
	name string
	opts WrkOptions
}

func runWrkCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	var custom WrkOptions
	fs := flag.NewFlagSet("aopay-load compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	protocol := fs.String("protocol", "both", "t1 (wrk -t1 -c32, 3 rounds of 4s), t2 (wrk -t2 -c32, 3 rounds of 5s) or both; the flags below override the chosen protocols' values")
	fs.StringVar(&custom.MockBinary, "bin", "", "aopay-mock binary to measure (default: go build of this module's)")
	fs.StringVar(&custom.BareBinary, "bare-bin", "", "aopay-bare binary serving the same bytes (default: go build of this module's)")
	fs.IntVar(&custom.Rounds, "rounds", 0, "rounds; each drives the bare server and the mock once, in alternating order")
	fs.DurationVar(&custom.Duration, "duration", 0, "wrk run of each target in a round, whole seconds")
	fs.DurationVar(&custom.Warmup, "warmup", 0, "wrk run of each target before the first round, whole seconds (0: none)")
	fs.IntVar(&custom.Threads, "threads", 0, "wrk threads (-t)")
	fs.IntVar(&custom.Connections, "conns", 0, "wrk keep-alive connections (-c)")
	redisURL := fs.String("redis", "", "start aopay-mock with --redis URL, its state kept in that Redis (on loopback, such as redis://127.0.0.1:6379/0)")
	mockBase := fs.String("mock-url", "", "measure the aopay-mock already running at this loopback base URL, such as a load balancer in front of replicas (http://127.0.0.1:8080), instead of starting one")
	minRatio := fs.Float64("min-ratio", DefaultMinRatio, "with --assert, least median mock/bare throughput of every protocol run")
	assert := fs.Bool("assert", false, "exit 1 when a median mock/bare throughput is below --min-ratio or any socket error or status >= 400 occurred")
	if err := parse(fs, args); err != nil {
		return err
	}
	if err := mockTarget(&custom, *redisURL, *mockBase); err != nil {
		return usageError{err}
	}
	chosen, ok := protocols[*protocol]
	if !ok {
		return usageError{fmt.Errorf("--protocol %q: want t1, t2 or both", *protocol)}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	var summary []string
	var missed bool
	for _, p := range chosen {
		opts := overridden(p.opts, custom, set)
		if err := opts.validate(); err != nil {
			return usageError{err}
		}
		fmt.Fprintf(stdout, "aopay-load compare, protocol %s: wrk -t %d -c %d, %d rounds of %s per target after %s of warm-up; %s/%s, %d CPUs; load average %s\n",
			p.name, opts.Threads, opts.Connections, opts.Rounds, opts.Duration, opts.Warmup, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), LoadAverage())
		r, err := CompareWithWrk(ctx, opts, stdout)
		if err != nil {
			return err
		}
		writeWrkMedian(stdout, r)
		fmt.Fprintf(stdout, "load average after: %s\n", LoadAverage())
		for _, f := range r.Failures(*minRatio) {
			fmt.Fprintf(stdout, "MISSED (%s): %s\n", p.name, f)
			missed = true
		}
		summary = append(summary, fmt.Sprintf("%s (wrk -t%d -c%d) %.2f, p99 %.2fx", p.name, opts.Threads, opts.Connections,
			r.MedianThroughputRatio(), r.medianOf(WrkRound.P99Ratio)))
	}
	fmt.Fprintln(stdout, "median mock/bare throughput:")
	for _, line := range summary {
		fmt.Fprintln(stdout, "  "+line)
	}
	if *assert && missed {
		return errors.New("targets missed")
	}
	return nil
}

// overridden is p with the values of custom whose flags were set.
func overridden(p, custom WrkOptions, set map[string]bool) WrkOptions {
	p.MockBinary, p.BareBinary = custom.MockBinary, custom.BareBinary
	p.MockArgs, p.MockURL = custom.MockArgs, custom.MockURL
	for name, apply := range map[string]func(){
		"rounds":   func() { p.Rounds = custom.Rounds },
		"duration": func() { p.Duration = custom.Duration },
		"warmup":   func() { p.Warmup = custom.Warmup },
		"threads":  func() { p.Threads = custom.Threads },
		"conns":    func() { p.Connections = custom.Connections },
	} {
		if set[name] {
			apply()
		}
	}
	return p
}

// mockTarget sets what compare measures as the mock from --redis and
// --mock-url: a started aopay-mock keeping its state in that Redis, or one
// already running on loopback.
func mockTarget(opts *WrkOptions, redisURL, mockBase string) error {
	if redisURL != "" {
		if mockBase != "" {
			return errors.New("--redis starts a mock, --mock-url measures a running one: give one")
		}
		opts.MockArgs = []string{"--redis", redisURL}
	}
	if mockBase == "" {
		return nil
	}
	if opts.MockBinary != "" {
		return errors.New("--bin starts a mock, --mock-url measures a running one: give one")
	}
	u, err := url.Parse(mockBase)
	if err != nil || u.Scheme != "http" || u.Port() == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return fmt.Errorf("--mock-url %q: want http://HOST:PORT", mockBase)
	}
	if !isLoopback(u.Hostname()) {
		return fmt.Errorf("--mock-url %q: load is driven at loopback addresses only", mockBase)
	}
	opts.MockURL = "http://" + u.Host + rechargestatus.EnquiryPath
	return nil
}

func isLoopback(host string) bool {
	addr, err := netip.ParseAddr(host)
	return host == "localhost" || (err == nil && addr.IsLoopback())
}
