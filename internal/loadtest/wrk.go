package loadtest

import (
	"bytes"
	"context"
	_ "embed"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"
)

// wrkScript POSTs the page's example enquiry and prints the line
// ParseWrkLine reads.
//
//go:embed wrk.lua
var wrkScript []byte

// ErrWrkMissing is returned when wrk is not on PATH.
var ErrWrkMissing = errors.New("wrk is not on PATH: install Debian's package wrk (apt-get install wrk)")

// WrkOptions bounds a comparison with wrk.
type WrkOptions struct {
	// MockBinary is the aopay-mock executable measured; empty builds one
	// from this module with go build.
	MockBinary string
	// BareBinary is the aopay-bare executable serving the floor; empty
	// builds one.
	BareBinary string
	// Rounds is how many times each target is driven, alternating which
	// goes first.
	Rounds int
	// Duration is each target's wrk run in a round, in whole seconds as
	// wrk takes them.
	Duration time.Duration
	// Warmup is a run of each target before the first round, counted only
	// for its errors; 0 skips it.
	Warmup time.Duration
	// Threads and Connections are wrk's -t and -c.
	Threads, Connections int
	// MockArgs are added to the started aopay-mock's command line, such
	// as --redis URL to measure a replica keeping its state in Redis.
	MockArgs []string
	// MockURL, when set, is an aopay-mock already running (or a load
	// balancer in front of several) measured in place of a started one;
	// it must answer the page's example at the enquiry path.
	MockURL string
}

// The two protocols compare runs. ProtocolT1 leaves one core to the server,
// as when the client runs on another machine: one wrk thread, 32 keep-alive
// connections, 3 alternating rounds of 4 s after 2 s of warm-up, the
// figure DEVELOPMENT.md keeps. ProtocolT2 is the sandbox's own earlier
// protocol: two wrk threads, 3 rounds of 5 s after 1 s.
var (
	ProtocolT1 = WrkOptions{Rounds: 3, Duration: 4 * time.Second, Warmup: 2 * time.Second, Threads: 1, Connections: 32}
	ProtocolT2 = WrkOptions{Rounds: 3, Duration: 5 * time.Second, Warmup: time.Second, Threads: 2, Connections: 32}
)

// DefaultWrkOptions is ProtocolT2, for callers that run one protocol.
var DefaultWrkOptions = ProtocolT2

// DefaultMinRatio is the least median mock/bare throughput --assert accepts.
const DefaultMinRatio = 0.60

func (o WrkOptions) validate() error {
	if o.Rounds <= 0 || o.Duration <= 0 || o.Threads <= 0 || o.Connections <= 0 || o.Warmup < 0 {
		return errors.New("rounds, duration, threads and connections must be positive, warm-up not negative")
	}
	if o.Connections < o.Threads {
		return errors.New("connections must be at least threads: each wrk thread drives its own")
	}
	if o.Duration%time.Second != 0 || o.Warmup%time.Second != 0 {
		return errors.New("duration and warm-up must be whole seconds, as wrk takes them")
	}
	return nil
}

// FindWrk returns the path of wrk, or ErrWrkMissing.
func FindWrk() (string, error) {
	path, err := exec.LookPath("wrk")
	if errors.Is(err, exec.ErrNotFound) {
		return "", ErrWrkMissing
	}
	return path, err
}

// CompareWithWrk starts aopay-mock (default fixtures, state in memory, no
// request logs) and aopay-bare serving the mock's own answer to the page's
// example, each a process of its own on a free loopback port, checks both
// answer the same bytes, then drives each with wrk in turn, alternating
// which goes first. progress, if not nil, gets a header and each round as
// it ends.
func CompareWithWrk(ctx context.Context, opts WrkOptions, progress io.Writer) (*WrkReport, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if progress == nil {
		progress = io.Discard
	}
	wrk, err := FindWrk()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "aopay-load-compare-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	script := filepath.Join(dir, "wrk.lua")
	if err := os.WriteFile(script, wrkScript, 0o644); err != nil {
		return nil, err
	}
	mockBin, bareBin, err := buildBinaries(ctx, opts, dir)
	if err != nil {
		return nil, err
	}
	servers, err := startPair(ctx, opts, mockBin, bareBin, dir)
	if err != nil {
		return nil, err
	}
	defer servers.stop()

	fmt.Fprintf(progress, "%s; aopay-mock %s, aopay-bare %s\n", wrkVersion(ctx, wrk), describeMock(opts), describe(opts.BareBinary))
	drive := func(target string, d time.Duration) (WrkResult, error) {
		r, err := runWrk(ctx, wrk, script, servers.url(target), opts.Threads, opts.Connections, d)
		if err != nil {
			return r, fmt.Errorf("wrk against %s: %w", target, err)
		}
		return r, nil
	}
	report, err := runRounds(opts, drive, progress)
	if err != nil {
		return nil, err
	}
	// A target that changed its answer under load has not been measured
	// doing what it should.
	if err := servers.checkSameAnswer(ctx); err != nil {
		return nil, fmt.Errorf("after the last round: %w", err)
	}
	return report, nil
}

// runRounds warms each target up, then drives them in turn for every round.
func runRounds(opts WrkOptions, drive func(target string, d time.Duration) (WrkResult, error), progress io.Writer) (*WrkReport, error) {
	report := &WrkReport{Options: opts, Warmup: map[string]WrkResult{}}
	if opts.Warmup > 0 {
		for _, target := range []string{"bare", "mock"} {
			res, err := drive(target, opts.Warmup)
			if err != nil {
				return nil, err
			}
			report.Warmup[target] = res
		}
	}
	writeWrkHeader(progress)
	for round := 1; round <= opts.Rounds; round++ {
		r := WrkRound{Round: round, First: firstInRound(round)}
		for _, target := range []string{r.First, other(r.First)} {
			res, err := drive(target, opts.Duration)
			if err != nil {
				return nil, err
			}
			if target == "mock" {
				r.Mock = res
			} else {
				r.Bare = res
			}
		}
		report.Rounds = append(report.Rounds, r)
		writeWrkRound(progress, r)
	}
	return report, nil
}

// firstInRound is the target driven first in a round, the bare server in
// odd rounds and the mock in even ones, which cancels out a machine that
// slows down or speeds up during the run.
func firstInRound(round int) string {
	if round%2 == 0 {
		return "mock"
	}
	return "bare"
}

func other(target string) string {
	if target == "mock" {
		return "bare"
	}
	return "mock"
}

// runWrk drives url with wrk.lua for d and parses the line it prints.
func runWrk(ctx context.Context, wrk, script, url string, threads, conns int, d time.Duration) (WrkResult, error) {
	ctx, cancel := context.WithTimeout(ctx, d+30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, wrk,
		"--threads", fmt.Sprint(threads), "--connections", fmt.Sprint(conns),
		"--duration", fmt.Sprintf("%ds", d/time.Second), "--timeout", "5s",
		"--script", script, url, "--", string(PageExampleRequest))
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return WrkResult{}, fmt.Errorf("%w: %s", err, strings.TrimSpace(stderr.String()+"\n"+stdout.String()))
	}
	r, err := ParseWrkOutput(stdout.Bytes())
	if err != nil {
		return r, fmt.Errorf("%w; wrk printed:\n%s", err, stdout.Bytes())
	}
	if r.Requests == 0 {
		return r, fmt.Errorf("no request answered; wrk printed:\n%s", stdout.Bytes())
	}
	return r, nil
}

// wrkVersion is the version "wrk -v" prints, or wrk's path when it prints
// none.
func wrkVersion(ctx context.Context, wrk string) string {
	// wrk -v prints "wrk VERSION [engine] Copyright ..." and its usage, then
	// exits 1.
	out, _ := exec.CommandContext(ctx, wrk, "-v").CombinedOutput()
	first, _, _ := strings.Cut(string(out), "\n")
	version, _, _ := strings.Cut(first, " Copyright")
	if v := strings.TrimSpace(version); strings.HasPrefix(v, "wrk ") {
		return v
	}
	return wrk
}

// describeMock names what is measured as the mock.
func describeMock(opts WrkOptions) string {
	switch {
	case opts.MockURL != "":
		return "at " + opts.MockURL
	case len(opts.MockArgs) > 0:
		return describe(opts.MockBinary) + " with " + strings.Join(opts.MockArgs, " ")
	}
	return describe(opts.MockBinary)
}

func describe(binary string) string {
	if binary == "" {
		return "built from this module"
	}
	return binary
}

// LoadAverage is the system's 1, 5 and 15 minute load averages, as
// /proc/loadavg gives them, or "unknown".
func LoadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) >= 3 {
		return strings.Join(f[:3], " ")
	}
	return "unknown"
}
