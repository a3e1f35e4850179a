package cli

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// HealthPath is the sandbox's health endpoint, the one the healthcheck
// subcommand probes.
const HealthPath = "/__admin/health"

// DefaultHealthcheckTimeout bounds one probe when --timeout is not given:
// shorter than the usual container health check timeout, so a hung server is
// reported by the probe itself rather than killed by the engine.
const DefaultHealthcheckTimeout = 2 * time.Second

// maxHealthBody bounds how much of the health answer is read.
const maxHealthBody = 64 << 10

// maxReportedBody bounds how much of an unhealthy answer the probe prints:
// container engines keep only the first few KiB of a health check's output.
const maxReportedBody = 512

type healthcheckOptions struct {
	addr       string
	url        string
	adminToken string
	timeout    time.Duration
}

func newHealthcheckFlagSet(o *healthcheckOptions, getenv func(string) string, out io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("aopay-mock healthcheck", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.addr, "addr", probeAddr(getenv(EnvName("addr"))), "HOST:PORT of the server to probe")
	fs.StringVar(&o.url, "url", "", "base URL of the server to probe, such as http://mock:8080 (instead of --addr)")
	fs.StringVar(&o.adminToken, "admin-token", getenv(EnvName("admin-token")), "bearer token of the admin API, when the server has one")
	fs.DurationVar(&o.timeout, "timeout", DefaultHealthcheckTimeout, "how long the probe may take")
	fs.Usage = func() {
		fmt.Fprintf(out, "Usage: aopay-mock healthcheck [--addr HOST:PORT | --url URL] [--timeout 2s]\n\n"+
			"Probes GET %s and exits 0 when the server is healthy, 1 otherwise.\n"+
			"--addr defaults to %s with an unspecified host probed on loopback; --admin-token to %s.\n\nFlags:\n",
			HealthPath, EnvName("addr"), EnvName("admin-token"))
		fs.PrintDefaults()
	}
	return fs
}

// probeAddr turns the address a server listens on into one a probe can dial:
// a server on 0.0.0.0:8080 (as in the container image) or :8080 is reached on
// loopback.
func probeAddr(listen string) string {
	if listen == "" {
		return mockserver.DefaultAddr
	}
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		if ip != nil && ip.To4() == nil {
			return net.JoinHostPort("::1", port)
		}
		return net.JoinHostPort("127.0.0.1", port)
	}
	return listen
}

// healthURL is the URL the probe asks: the health path under the base URL
// given, or under http://addr.
func (o healthcheckOptions) healthURL() (string, error) {
	if o.url == "" {
		if o.addr == "" {
			return "", errors.New("--addr or --url is required")
		}
		if _, _, err := net.SplitHostPort(o.addr); err != nil {
			return "", fmt.Errorf("--addr %q: want HOST:PORT", o.addr)
		}
		return "http://" + o.addr + HealthPath, nil
	}
	u, err := url.Parse(o.url)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--url %q: want an http or https URL such as http://127.0.0.1:8080", o.url)
	}
	if !strings.HasSuffix(u.Path, HealthPath) {
		u.Path = strings.TrimSuffix(u.Path, "/") + HealthPath
		u.RawPath = ""
	}
	return u.String(), nil
}

// RunHealthcheck is `aopay-mock healthcheck`. It returns 0 when the server
// answers its health endpoint with 200 and status "ok", and 1 for anything
// else, bad usage included: container engines reserve exit code 2 of a health
// check.
func RunHealthcheck(ctx context.Context, args []string, getenv func(string) string, stdout, stderr io.Writer) int {
	var o healthcheckOptions
	fs := newHealthcheckFlagSet(&o, getenv, stderr)
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err == nil && fs.NArg() > 0 {
		err = fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	if err == nil && o.timeout <= 0 {
		err = fmt.Errorf("--timeout %s: must be positive", o.timeout)
	}
	var target string
	if err == nil {
		target, err = o.healthURL()
	}
	if err != nil {
		fmt.Fprintf(stderr, "aopay-mock healthcheck: %v\n", err)
		return 1
	}
	if err := probe(ctx, target, o.adminToken, o.timeout); err != nil {
		fmt.Fprintf(stderr, "aopay-mock healthcheck: %s: %v\n", target, err)
		return 1
	}
	fmt.Fprintf(stdout, "healthy: %s\n", target)
	return 0
}

// probe asks target once, within timeout.
func probe(ctx context.Context, target, adminToken string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, target, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	if adminToken != "" {
		req.Header.Set("Authorization", "Bearer "+adminToken)
	}
	client := &http.Client{
		// A proxy from the environment must not stand between a probe and
		// the server it checks.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		// The health endpoint never redirects; whatever does is not the
		// server meant, and the health of wherever it points says nothing
		// of it.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return fmt.Errorf("no answer within %s", timeout)
		}
		return err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxHealthBody))
	if err != nil {
		return fmt.Errorf("read answer: %w", err)
	}
	if location := resp.Header.Get("Location"); location != "" && resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return fmt.Errorf("HTTP %d redirect to %s: redirects are not followed; probe the server itself with --addr or --url", resp.StatusCode, location)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, excerpt(body))
	}
	var answer struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return fmt.Errorf("answer is not the health JSON: %w", err)
	}
	if answer.Status != "ok" {
		return fmt.Errorf("status %q, want \"ok\"", answer.Status)
	}
	return nil
}

// excerpt is the start of an answer's body, for an error message.
func excerpt(body []byte) string {
	text := strings.TrimSpace(string(body))
	if len(text) > maxReportedBody {
		return strings.ToValidUTF8(text[:maxReportedBody], "") + "…"
	}
	return text
}
