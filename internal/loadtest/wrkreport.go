package loadtest

import (
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"time"
)

// wrkLinePrefix starts the line wrk.lua's done function prints.
const wrkLinePrefix = "aopay-wrk"

// WrkResult is one wrk run against one target, as wrk.lua reports it.
type WrkResult struct {
	Requests int64
	Duration time.Duration
	P50, P99 time.Duration
	// Socket errors, and answers with a status of 400 or more (wrk counts
	// those, not 3xx, as "Non-2xx or 3xx responses").
	ConnectErrors, ReadErrors, WriteErrors, Timeouts, StatusErrors int64
}

// Throughput is requests answered per second.
func (r WrkResult) Throughput() float64 {
	if r.Duration <= 0 {
		return 0
	}
	return float64(r.Requests) / r.Duration.Seconds()
}

// Errors counts failed requests and sockets of every kind.
func (r WrkResult) Errors() int64 {
	return r.ConnectErrors + r.ReadErrors + r.WriteErrors + r.Timeouts + r.StatusErrors
}

// ParseWrkOutput finds the line wrk.lua printed in wrk's output and parses it.
func ParseWrkOutput(out []byte) (WrkResult, error) {
	var line string
	for l := range strings.Lines(string(out)) {
		if strings.HasPrefix(l, wrkLinePrefix+" ") {
			line = l
		}
	}
	if line == "" {
		return WrkResult{}, fmt.Errorf("no %q line in wrk's output", wrkLinePrefix)
	}
	return ParseWrkLine(line)
}

// ParseWrkLine parses "aopay-wrk key=value ...", which must hold every field
// of a WrkResult once, as a non-negative integer.
func ParseWrkLine(line string) (WrkResult, error) {
	fields := strings.Fields(line)
	if len(fields) == 0 || fields[0] != wrkLinePrefix {
		return WrkResult{}, fmt.Errorf("wrk line %q: does not start with %q", line, wrkLinePrefix)
	}
	var r WrkResult
	var durationUS, p50US, p99US int64
	targets := map[string]*int64{
		"requests": &r.Requests, "duration_us": &durationUS, "p50_us": &p50US, "p99_us": &p99US,
		"connect_errors": &r.ConnectErrors, "read_errors": &r.ReadErrors, "write_errors": &r.WriteErrors,
		"timeouts": &r.Timeouts, "status_errors": &r.StatusErrors,
	}
	seen := map[string]bool{}
	for _, f := range fields[1:] {
		key, value, ok := strings.Cut(f, "=")
		dst, known := targets[key]
		if !ok || !known || seen[key] {
			return WrkResult{}, fmt.Errorf("wrk line %q: unexpected field %q", line, f)
		}
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 0 {
			return WrkResult{}, fmt.Errorf("wrk line %q: %s is not a count", line, f)
		}
		*dst, seen[key] = n, true
	}
	for key := range targets {
		if !seen[key] {
			return WrkResult{}, fmt.Errorf("wrk line %q: no %s", line, key)
		}
	}
	r.Duration = time.Duration(durationUS) * time.Microsecond
	r.P50 = time.Duration(p50US) * time.Microsecond
	r.P99 = time.Duration(p99US) * time.Microsecond
	return r, nil
}

// WrkRound is one round: each target driven once, First before the other.
type WrkRound struct {
	Round      int
	First      string
	Mock, Bare WrkResult
}

// ThroughputRatio is the mock's throughput over the bare server's.
func (r WrkRound) ThroughputRatio() float64 { return ratio(r.Mock.Throughput(), r.Bare.Throughput()) }

// P50Ratio is the mock's median latency over the bare server's.
func (r WrkRound) P50Ratio() float64 { return ratio(float64(r.Mock.P50), float64(r.Bare.P50)) }

// P99Ratio is the mock's 99th percentile latency over the bare server's.
func (r WrkRound) P99Ratio() float64 { return ratio(float64(r.Mock.P99), float64(r.Bare.P99)) }

// WrkReport is a whole wrk comparison.
type WrkReport struct {
	Options WrkOptions
	// Warmup holds the warm-up run of each target, by target name; its
	// figures are not counted but its errors are.
	Warmup map[string]WrkResult
	Rounds []WrkRound
}

// median is the middle value of xs, or the mean of the two middle ones.
func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	mid := len(s) / 2
	if len(s)%2 == 1 {
		return s[mid]
	}
	return (s[mid-1] + s[mid]) / 2
}

func (r *WrkReport) medianOf(f func(WrkRound) float64) float64 {
	xs := make([]float64, len(r.Rounds))
	for i, round := range r.Rounds {
		xs[i] = f(round)
	}
	return median(xs)
}

// MedianThroughputRatio is the median of the rounds' throughput ratios, the
// figure --assert holds to --min-ratio.
func (r *WrkReport) MedianThroughputRatio() float64 {
	return r.medianOf(WrkRound.ThroughputRatio)
}

// Errors counts the failures of every run, warm-up included.
func (r *WrkReport) Errors() int64 {
	var n int64
	for _, w := range r.Warmup {
		n += w.Errors()
	}
	for _, round := range r.Rounds {
		n += round.Mock.Errors() + round.Bare.Errors()
	}
	return n
}

// Failures lists why the run falls short: a median throughput ratio below
// minRatio, or any failed request or socket. None means it passed.
func (r *WrkReport) Failures(minRatio float64) []string {
	var out []string
	if len(r.Rounds) == 0 {
		return []string{"no rounds were run"}
	}
	if got := r.MedianThroughputRatio(); got < minRatio {
		out = append(out, fmt.Sprintf("median mock/bare throughput is %.2f, want at least %.2f", got, minRatio))
	}
	if n := r.Errors(); n > 0 {
		out = append(out, fmt.Sprintf("%d socket errors or answers with status >= 400", n))
	}
	return out
}

const wrkRowFormat = "%-6s  %-5s  %10s  %10s  %5s  %8s  %8s  %9s  %8s  %8s  %9s  %s\n"

func writeWrkHeader(w io.Writer) {
	fmt.Fprintf(w, wrkRowFormat, "round", "first", "mock req/s", "bare req/s", "ratio",
		"mock p50", "bare p50", "p50 ratio", "mock p99", "bare p99", "p99 ratio", "errors mock/bare")
}

func writeWrkRound(w io.Writer, r WrkRound) {
	fmt.Fprintf(w, wrkRowFormat, strconv.Itoa(r.Round), r.First,
		fmt.Sprintf("%.0f", r.Mock.Throughput()), fmt.Sprintf("%.0f", r.Bare.Throughput()), fmt.Sprintf("%.2f", r.ThroughputRatio()),
		roundDuration(r.Mock.P50), roundDuration(r.Bare.P50), fmt.Sprintf("%.2fx", r.P50Ratio()),
		roundDuration(r.Mock.P99), roundDuration(r.Bare.P99), fmt.Sprintf("%.2fx", r.P99Ratio()),
		fmt.Sprintf("%d/%d", r.Mock.Errors(), r.Bare.Errors()))
}

// writeWrkMedian prints the median of each column over the rounds.
func writeWrkMedian(w io.Writer, r *WrkReport) {
	us := func(f func(WrkRound) time.Duration) time.Duration {
		return time.Duration(r.medianOf(func(x WrkRound) float64 { return float64(f(x)) }))
	}
	var mockErrors, bareErrors int64
	for _, round := range r.Rounds {
		mockErrors += round.Mock.Errors()
		bareErrors += round.Bare.Errors()
	}
	fmt.Fprintf(w, wrkRowFormat, "median", "",
		fmt.Sprintf("%.0f", r.medianOf(func(x WrkRound) float64 { return x.Mock.Throughput() })),
		fmt.Sprintf("%.0f", r.medianOf(func(x WrkRound) float64 { return x.Bare.Throughput() })),
		fmt.Sprintf("%.2f", r.MedianThroughputRatio()),
		roundDuration(us(func(x WrkRound) time.Duration { return x.Mock.P50 })),
		roundDuration(us(func(x WrkRound) time.Duration { return x.Bare.P50 })),
		fmt.Sprintf("%.2fx", r.medianOf(WrkRound.P50Ratio)),
		roundDuration(us(func(x WrkRound) time.Duration { return x.Mock.P99 })),
		roundDuration(us(func(x WrkRound) time.Duration { return x.Bare.P99 })),
		fmt.Sprintf("%.2fx", r.medianOf(WrkRound.P99Ratio)),
		fmt.Sprintf("%d/%d (sum)", mockErrors, bareErrors))
}

// WriteWrkReport prints every round and the medians.
func WriteWrkReport(w io.Writer, r *WrkReport) {
	writeWrkHeader(w)
	for _, round := range r.Rounds {
		writeWrkRound(w, round)
	}
	writeWrkMedian(w, r)
}
