package proxy

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"syscall"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
)

const (
	// DefaultTimeout bounds one upstream exchange, from the connection to
	// the last byte of the answer.
	DefaultTimeout = 10 * time.Second
	// MaxUpstreamBodyBytes bounds an upstream answer; a RechargeStatus answer
	// is well under a kilobyte.
	MaxUpstreamBodyBytes = 1 << 20
	// MaxUpstreamHeaderBytes bounds an upstream answer's headers, far below
	// net/http's default of about 10 MB.
	MaxUpstreamHeaderBytes = 64 << 10
)

// Kinds of upstream failure: the X-Upstream-Error header and the `kind` label
// of aopay_mock_proxy_upstream_failures_total. An upstream 5xx is
// "status-" and its code, such as "status-503".
const (
	UpstreamRefused     = "refused"
	UpstreamUnreachable = "unreachable"
	UpstreamTLS         = "tls"
	UpstreamTimeout     = "timeout"
	UpstreamBroken      = "broken"
	UpstreamNotJSON     = "not-json"
	UpstreamTooLarge    = "too-large"
	// UpstreamRedirect is a 3xx: following it would send the partner's
	// Token to wherever the Location points.
	UpstreamRedirect = "redirect"
	// UpstreamLoop is an enquiry that already went through a sandbox proxy:
	// one pointed at itself, directly or through another.
	UpstreamLoop = "loop"
	// UpstreamShutdown is an exchange the sandbox ended to shut down.
	UpstreamShutdown = "shutdown"
)

// forwardedHeaders are the client's request headers the upstream gets.
// Nothing else of the client's request leaves the sandbox: not its cookies,
// not the sandbox's own X-Mock-Fault and X-Mock-Dialect. The sandbox adds
// its User-Agent and Via.
var forwardedHeaders = []string{"Content-Type", rechargestatus.TokenHeader, rechargestatus.AuthorisedKeyHeader}

// viaToken marks, in the Via header, a request the sandbox forwarded.
const viaToken = "aopay-mock"

// viaValue is this sandbox's Via entry (RFC 9110, section 7.6.3).
const viaValue = "1.1 " + viaToken

// throughSandbox reports whether a request already went through a sandbox
// proxy.
func throughSandbox(h http.Header) bool {
	for _, v := range h.Values("Via") {
		for _, hop := range strings.Split(v, ",") {
			fields := strings.Fields(hop)
			if len(fields) >= 2 && strings.EqualFold(fields[1], viaToken) {
				return true
			}
		}
	}
	return false
}

// ParseUpstream reads the upstream's URL: absolute http or https. A path in
// it prefixes the provider's path, unless it already is the whole
// endpoint's path.
func ParseUpstream(raw string) (*url.URL, error) {
	// The errors never repeat raw: its user information may be a password.
	u, err := url.Parse(raw)
	if err != nil {
		cause := err
		var urlErr *url.Error
		if errors.As(err, &urlErr) {
			cause = urlErr.Err
		}
		return nil, fmt.Errorf("proxy upstream is not a valid URL: %v", cause)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("proxy upstream: want an absolute http:// or https:// URL such as https://api.aopay.co.in")
	}
	if u.Fragment != "" {
		return nil, fmt.Errorf("proxy upstream %s: a URL with a #fragment cannot be requested", DisplayURL(u))
	}
	return u, nil
}

// enquiryURL is where an enquiry goes on the upstream u.
func enquiryURL(u *url.URL) *url.URL {
	if strings.HasSuffix(strings.TrimSuffix(u.Path, "/"), rechargestatus.EnquiryPath) {
		return u
	}
	return u.JoinPath(rechargestatus.EnquiryPath)
}

// DisplayURL is u without what may be secret in it (user information and
// query), for logs and the recorded file.
func DisplayURL(u *url.URL) string {
	shown := *u
	shown.User = nil
	shown.RawQuery = ""
	shown.ForceQuery = false
	shown.Fragment, shown.RawFragment = "", ""
	return shown.String()
}

// newUpstreamClient bounds every phase of an exchange by timeout, and the
// whole of it too, so that no upstream can hold a request longer.
func newUpstreamClient(timeout time.Duration) *http.Client {
	transport := &http.Transport{
		Proxy:                  http.ProxyFromEnvironment,
		DialContext:            (&net.Dialer{Timeout: timeout, KeepAlive: 30 * time.Second}).DialContext,
		TLSHandshakeTimeout:    timeout,
		ResponseHeaderTimeout:  timeout,
		MaxResponseHeaderBytes: MaxUpstreamHeaderBytes,
		IdleConnTimeout:        90 * time.Second,
		MaxIdleConns:           100,
		MaxIdleConnsPerHost:    32,
		ForceAttemptHTTP2:      true,
		// The client gets the upstream's bytes as they came, and the
		// validation sees what the client gets.
		DisableCompression: true,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   timeout,
		// A redirect is judged and answered for, never followed.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

var upstreamUserAgent = "aopay-mock/" + buildinfo.String() + " (validating proxy)"

// upstreamAnswer is what the upstream answered.
type upstreamAnswer struct {
	status int
	header http.Header
	body   []byte
}

// failure is how an upstream exchange failed.
type failure struct {
	kind string
	// status is what the sandbox answers in its place: 502, or 504 for a
	// timeout; zero when the upstream's own error answer is relayed.
	status  int
	remarks string
}

// exchange sends the enquiry to the upstream and reads its whole answer
// within bound.
func (p *Proxy) exchange(ctx context.Context, in http.Header, body []byte, bound time.Duration) (*upstreamAnswer, *failure) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.target, bytes.NewReader(body))
	if err != nil {
		return nil, &failure{kind: UpstreamUnreachable, status: http.StatusBadGateway, remarks: "upstream request: " + err.Error()}
	}
	for _, name := range forwardedHeaders {
		if v := in.Values(name); len(v) > 0 {
			req.Header[name] = slices.Clone(v)
		}
	}
	req.Header.Set("User-Agent", upstreamUserAgent)
	req.Header.Set("Via", viaValue)
	res, err := p.client.Do(req)
	if err != nil {
		return nil, classify(err, false, bound)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(io.LimitReader(res.Body, MaxUpstreamBodyBytes+1))
	if err != nil {
		return nil, classify(err, true, bound)
	}
	if len(data) > MaxUpstreamBodyBytes {
		return nil, &failure{kind: UpstreamTooLarge, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answer is larger than %d bytes", MaxUpstreamBodyBytes)}
	}
	return &upstreamAnswer{status: res.StatusCode, header: res.Header, body: data}, nil
}

// classify turns a transport error into the failure the client is told of;
// reading says the answer had begun to come, bound how long it could take.
func classify(err error, reading bool, bound time.Duration) *failure {
	cause := err
	var urlErr *url.Error
	if errors.As(err, &urlErr) {
		// Its message repeats the upstream's URL, which may hold secrets.
		cause = urlErr.Err
	}
	var netErr net.Error
	var opErr *net.OpError
	var dnsErr *net.DNSError
	var certErr *tls.CertificateVerificationError
	var recordErr tls.RecordHeaderError
	var unknownAuthority x509.UnknownAuthorityError
	switch {
	case errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &netErr) && netErr.Timeout()):
		return &failure{kind: UpstreamTimeout, status: http.StatusGatewayTimeout,
			remarks: fmt.Sprintf("upstream timeout: no whole answer within %s", bound.Round(time.Millisecond))}
	case strings.Contains(err.Error(), "response headers exceeded") || strings.Contains(err.Error(), "header list larger than"):
		// net/http has no error value for it, only these wordings (HTTP/1
		// and HTTP/2).
		return &failure{kind: UpstreamTooLarge, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answer headers are larger than %d bytes", MaxUpstreamHeaderBytes)}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &failure{kind: UpstreamRefused, status: http.StatusBadGateway, remarks: "upstream refused the connection"}
	case errors.As(err, &certErr) || errors.As(err, &recordErr) || errors.As(err, &unknownAuthority):
		return &failure{kind: UpstreamTLS, status: http.StatusBadGateway, remarks: "upstream TLS handshake failed: " + cause.Error()}
	case errors.As(err, &dnsErr) || (!reading && errors.As(err, &opErr) && opErr.Op == "dial"):
		return &failure{kind: UpstreamUnreachable, status: http.StatusBadGateway, remarks: "upstream unreachable: " + cause.Error()}
	}
	return &failure{kind: UpstreamBroken, status: http.StatusBadGateway, remarks: "upstream closed the connection before the whole answer: " + cause.Error()}
}
