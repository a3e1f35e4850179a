// Package loadtest measures the mock against the floor set by net/http itself:
// throughput and latency beside a bare handler serving the same bytes, memory
// over many enquiries and creations, and the time from start to first answer.
package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/internal/loadtest/barehttp"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// PageExampleRequest is the provider page's example enquiry, answered by the
// default fixtures with the page's example transaction.
var PageExampleRequest = []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`)

// CompareOptions bounds a comparison run.
type CompareOptions struct {
	// Connections is the number of keep-alive connections, and of workers,
	// driving each target.
	Connections int
	// Rounds is how many times each target is driven, alternating.
	Rounds int
	// RoundTime bounds each target's turn in a round.
	RoundTime time.Duration
	// RoundRequests bounds the requests of each target's turn in a round.
	RoundRequests int
	// Warmup is how long each target is driven before the first round.
	Warmup time.Duration
}

// DefaultCompareOptions: 32 connections, 3 rounds of at most 3 s each.
var DefaultCompareOptions = CompareOptions{
	Connections:   32,
	Rounds:        3,
	RoundTime:     3 * time.Second,
	RoundRequests: 300_000,
	Warmup:        500 * time.Millisecond,
}

// Turn is what one target did in one round.
type Turn struct {
	Target   string
	Round    int
	Requests int
	Errors   int
	Elapsed  time.Duration
	P50, P99 time.Duration
}

// Throughput is requests answered per second.
func (t Turn) Throughput() float64 {
	if t.Elapsed <= 0 {
		return 0
	}
	return float64(t.Requests) / t.Elapsed.Seconds()
}

// CompareReport is a whole comparison run.
type CompareReport struct {
	Options CompareOptions
	Turns   []Turn
	// Bare and Mock sum every round of each target; percentiles are over all
	// of its requests.
	Bare, Mock Turn
	// FirstError is the first failed request of the run, if any.
	FirstError error
}

// ThroughputRatio is the mock's throughput over the bare handler's.
func (r *CompareReport) ThroughputRatio() float64 {
	return ratio(r.Mock.Throughput(), r.Bare.Throughput())
}

// P99Ratio is the mock's 99th percentile latency over the bare handler's.
func (r *CompareReport) P99Ratio() float64 { return ratio(float64(r.Mock.P99), float64(r.Bare.P99)) }

// P50Ratio is the mock's median latency over the bare handler's.
func (r *CompareReport) P50Ratio() float64 { return ratio(float64(r.Mock.P50), float64(r.Bare.P50)) }

// RoundRatios are the throughput ratios of each round, which show the
// spread of a run on a shared machine.
func (r *CompareReport) RoundRatios() []float64 {
	bare := map[int]float64{}
	mock := map[int]float64{}
	for _, t := range r.Turns {
		switch t.Target {
		case "bare":
			bare[t.Round] = t.Throughput()
		case "mock":
			mock[t.Round] = t.Throughput()
		}
	}
	var out []float64
	for round := 1; round <= r.Options.Rounds; round++ {
		out = append(out, ratio(mock[round], bare[round]))
	}
	return out
}

func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// Targets the issue sets for the mock against the bare handler.
const (
	MinThroughputRatio = 0.5
	MaxP99Ratio        = 5.0
)

// Misses lists the targets the run missed; none means it met them all.
func (r *CompareReport) Misses() []string {
	var out []string
	if got := r.ThroughputRatio(); got < MinThroughputRatio {
		out = append(out, fmt.Sprintf("mock throughput is %.2f of the bare handler's, want at least %.2f", got, MinThroughputRatio))
	}
	if got := r.P99Ratio(); got > MaxP99Ratio {
		out = append(out, fmt.Sprintf("mock p99 is %.1fx the bare handler's, want at most %.1fx", got, MaxP99Ratio))
	}
	if n := r.Mock.Errors + r.Bare.Errors; n > 0 {
		out = append(out, fmt.Sprintf("%d requests failed, the first: %v", n, r.FirstError))
	}
	return out
}

// loopbackServer serves h on 127.0.0.1 at a port of the system's choosing.
type loopbackServer struct {
	url    string
	server *http.Server
	done   chan error
}

func serveLoopback(server *http.Server) (*loopbackServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &loopbackServer{url: "http://" + ln.Addr().String(), server: server, done: make(chan error, 1)}
	go func() { s.done <- server.Serve(ln) }()
	return s, nil
}

func (s *loopbackServer) close() error {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := s.server.Shutdown(ctx); err != nil {
		return err
	}
	if err := <-s.done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// BareHandler is the bare net/http handler serving body, the floor of the
// comparison.
func BareHandler(contentType string, body []byte) http.Handler {
	return barehttp.Handler(contentType, body)
}

// NewClient is the client both targets are driven with: keep-alive
// connections, conns of them per host, no proxy.
func NewClient(conns int) *http.Client {
	return &http.Client{
		Transport: &http.Transport{
			Proxy:               nil,
			DialContext:         (&net.Dialer{Timeout: 5 * time.Second, KeepAlive: 30 * time.Second}).DialContext,
			MaxIdleConns:        4 * conns,
			MaxIdleConnsPerHost: conns,
			MaxConnsPerHost:     conns,
			IdleConnTimeout:     time.Minute,
			DisableCompression:  true,
		},
		Timeout: 10 * time.Second,
	}
}

// Compare starts the mock (full validation, state and journal, no request
// logs) and a bare handler serving the mock's own answer on loopback, and
// drives both with the same client in alternating rounds.
func Compare(ctx context.Context, opts CompareOptions, progress io.Writer) (*CompareReport, error) {
	if opts.Connections <= 0 || opts.Rounds <= 0 || opts.RoundTime <= 0 || opts.RoundRequests <= 0 {
		return nil, errors.New("connections, rounds, round time and round requests must be positive")
	}
	mock, err := mockserver.New(mockserver.Config{})
	if err != nil {
		return nil, err
	}
	mockSrv, err := serveLoopback(mockserver.HTTPServer("127.0.0.1:0", mock))
	if err != nil {
		return nil, err
	}
	defer mockSrv.close()

	client := NewClient(opts.Connections)
	defer client.CloseIdleConnections()
	mockURL := mockSrv.url + rechargestatus.EnquiryPath
	contentType, want, err := fetch(ctx, client, mockURL)
	if err != nil {
		return nil, fmt.Errorf("first enquiry of the mock: %w", err)
	}
	bare := &http.Server{Handler: BareHandler(contentType, want)}
	copyLimits(bare, mockserver.HTTPServer("", nil))
	bareSrv, err := serveLoopback(bare)
	if err != nil {
		return nil, err
	}
	defer bareSrv.close()

	targets := map[string]string{"bare": bareSrv.url + rechargestatus.EnquiryPath, "mock": mockURL}
	report := &CompareReport{Options: opts}
	if opts.Warmup > 0 {
		for _, name := range []string{"bare", "mock"} {
			if _, _, err := drive(ctx, client, targets[name], want, opts.Connections, opts.Warmup, opts.RoundRequests); err != nil {
				return nil, fmt.Errorf("warm-up of %s: %w", name, err)
			}
		}
	}
	all := map[string][]time.Duration{}
	totals := map[string]*Turn{"bare": {Target: "bare"}, "mock": {Target: "mock"}}
	for round := 1; round <= opts.Rounds; round++ {
		order := []string{"bare", "mock"}
		if round%2 == 0 {
			// Swapping the order each round cancels out a machine that
			// slows down or speeds up during the run.
			order = []string{"mock", "bare"}
		}
		for _, name := range order {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			turn, latencies, firstErr := drive(ctx, client, targets[name], want, opts.Connections, opts.RoundTime, opts.RoundRequests)
			turn.Target, turn.Round = name, round
			if firstErr != nil && report.FirstError == nil {
				report.FirstError = fmt.Errorf("%s: %w", name, firstErr)
			}
			report.Turns = append(report.Turns, turn)
			all[name] = append(all[name], latencies...)
			tot := totals[name]
			tot.Requests += turn.Requests
			tot.Errors += turn.Errors
			tot.Elapsed += turn.Elapsed
			if progress != nil {
				fmt.Fprintln(progress, formatTurn(turn))
			}
		}
	}
	for name, tot := range totals {
		tot.P50, tot.P99 = percentiles(all[name])
	}
	report.Bare, report.Mock = *totals["bare"], *totals["mock"]
	return report, nil
}

func copyLimits(dst, src *http.Server) {
	dst.ReadHeaderTimeout = src.ReadHeaderTimeout
	dst.ReadTimeout = src.ReadTimeout
	dst.WriteTimeout = src.WriteTimeout
	dst.IdleTimeout = src.IdleTimeout
	dst.MaxHeaderBytes = src.MaxHeaderBytes
}

// fetch sends the page's example enquiry and returns the answer.
func fetch(ctx context.Context, client *http.Client, url string) (contentType string, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(PageExampleRequest))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	if err != nil {
		return "", nil, err
	}
	if res.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("status %d: %s", res.StatusCode, body)
	}
	return res.Header.Get("Content-Type"), body, nil
}

// drive sends the page's example enquiry to url from conns workers until
// limit has passed or maxRequests were sent, and checks each answer is want.
func drive(ctx context.Context, client *http.Client, url string, want []byte, conns int, limit time.Duration, maxRequests int) (Turn, []time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, limit)
	defer cancel()
	var (
		sent     atomic.Int64
		failures atomic.Int64
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	perWorker := make([][]time.Duration, conns)
	start := time.Now()
	for w := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			latencies := make([]time.Duration, 0, maxRequests/conns+1)
			buf := make([]byte, 0, len(want)+64)
			for ctx.Err() == nil && sent.Add(1) <= int64(maxRequests) {
				t0 := time.Now()
				got, err := post(ctx, client, url, buf[:0])
				elapsed := time.Since(t0)
				if ctx.Err() != nil {
					// A request cut short by the end of the turn says
					// nothing of the target.
					break
				}
				if err == nil && !bytes.Equal(got, want) {
					err = fmt.Errorf("answer %q, want %q", got, want)
				}
				if err != nil {
					failures.Add(1)
					errOnce.Do(func() { firstErr = err })
					continue
				}
				buf = got
				latencies = append(latencies, elapsed)
			}
			perWorker[w] = latencies
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	var merged []time.Duration
	for _, l := range perWorker {
		merged = append(merged, l...)
	}
	turn := Turn{Requests: len(merged), Errors: int(failures.Load()), Elapsed: elapsed}
	turn.P50, turn.P99 = percentiles(merged)
	return turn, merged, firstErr
}

func post(ctx context.Context, client *http.Client, url string, buf []byte) ([]byte, error) {
	res, err := postPageExample(ctx, client, url)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	b := bytes.NewBuffer(buf)
	if _, err := b.ReadFrom(res.Body); err != nil {
		return nil, err
	}
	if res.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("status %d: %s", res.StatusCode, b.Bytes())
	}
	return b.Bytes(), nil
}

// percentiles returns the median and 99th percentile of d, sorting it.
func percentiles(d []time.Duration) (p50, p99 time.Duration) {
	if len(d) == 0 {
		return 0, 0
	}
	slices.Sort(d)
	at := func(q float64) time.Duration {
		i := int(q*float64(len(d))+0.999999) - 1
		return d[max(0, min(i, len(d)-1))]
	}
	return at(0.50), at(0.99)
}

func formatTurn(t Turn) string {
	name := t.Target
	round := fmt.Sprint(t.Round)
	if t.Round == 0 {
		round = "all"
	}
	return fmt.Sprintf("%-5s  %-4s  %9d  %6d  %10.0f  %9s  %9s", round, name, t.Requests, t.Errors, t.Throughput(), roundDuration(t.P50), roundDuration(t.P99))
}

func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// WriteCompareReport prints r as a table with the ratios the targets are set on.
func WriteCompareReport(w io.Writer, r *CompareReport) {
	fmt.Fprintf(w, "%-5s  %-4s  %9s  %6s  %10s  %9s  %9s\n", "round", "kind", "requests", "errors", "req/s", "p50", "p99")
	for _, t := range r.Turns {
		fmt.Fprintln(w, formatTurn(t))
	}
	fmt.Fprintln(w, formatTurn(r.Bare))
	fmt.Fprintln(w, formatTurn(r.Mock))
	fmt.Fprintf(w, "mock/bare: throughput %.2f (target >= %.2f), p50 %.2fx, p99 %.2fx (target <= %.1fx)\n",
		r.ThroughputRatio(), MinThroughputRatio, r.P50Ratio(), r.P99Ratio(), MaxP99Ratio)
	fmt.Fprint(w, "throughput ratio per round:")
	for _, x := range r.RoundRatios() {
		fmt.Fprintf(w, " %.2f", x)
	}
	fmt.Fprintln(w)
}

// postPageExample sends the provider page's example enquiry to url.
func postPageExample(ctx context.Context, client *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(PageExampleRequest))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return client.Do(req)
}
