package mockserver

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Proxy mode: the RechargeStatus endpoint forwards each valid enquiry to an
// upstream (the real provider, or any server speaking its API), judges the
// answer against openapi.yaml and the contract's invariants, and hands it to
// the client unchanged, with the number of violations found in a header.

const (
	// DefaultProxyTimeout bounds one upstream exchange, from the connection
	// to the last byte of the answer.
	DefaultProxyTimeout = 10 * time.Second
	// MaxUpstreamBodyBytes bounds an upstream answer; a RechargeStatus answer
	// is well under a kilobyte.
	MaxUpstreamBodyBytes = 1 << 20
	// MaxUpstreamHeaderBytes bounds an upstream answer's headers, far below
	// net/http's default of about 10 MB.
	MaxUpstreamHeaderBytes = 64 << 10
	// writeDeadlineMargin is kept free before the server's write deadline,
	// so that the answer saying the upstream was too slow still leaves.
	writeDeadlineMargin = 2 * time.Second

	// ContractViolationsHeader carries, on every answer relayed from the
	// upstream, how many contract violations the answer showed.
	ContractViolationsHeader = "X-Contract-Violations"
	// UpstreamErrorHeader names the kind of upstream failure behind an answer.
	UpstreamErrorHeader = "X-Upstream-Error"
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

// Sources of a contract violation.
const (
	SourceOpenAPI    = "openapi"
	SourceInvariants = "invariants"
)

// forwardedHeaders are the client's request headers the upstream gets.
// Nothing else of the client's request leaves the sandbox: not its cookies,
// not the sandbox's own X-Mock-Fault. The sandbox adds its User-Agent and
// Via, and the upstream URL's user information as Basic authorization.
var forwardedHeaders = []string{"Content-Type", "Token", "Authorisedkey"}

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

// hopByHopHeaders describe one connection, not the answer, and are not
// relayed (RFC 9110, section 7.6.1).
var hopByHopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

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

// upstreamProxy is what proxy mode needs beside the server.
type upstreamProxy struct {
	target     string
	display    string
	judge      *conformance.Judge
	timeout    time.Duration
	client     *http.Client
	violations *violationLog
	// recorder keeps the transactions answered; nil without --record.
	recorder *sessionRecorder
}

// initProxy sets up proxy mode when the configuration names an upstream.
func (s *Server) initProxy() error {
	if s.cfg.ProxyUpstream == "" {
		if s.cfg.RecordDir != "" {
			return errors.New("record: recording needs a proxy upstream, whose answers it records")
		}
		return nil
	}
	u, err := ParseUpstream(s.cfg.ProxyUpstream)
	if err != nil {
		return err
	}
	target := enquiryURL(u)
	p := &upstreamProxy{
		target:     target.String(),
		display:    DisplayURL(target),
		judge:      conformance.NewJudge(s.validator, conformance.DefaultHistoryLimit),
		timeout:    s.cfg.ProxyTimeout,
		client:     newUpstreamClient(s.cfg.ProxyTimeout),
		violations: newViolationLog(s.cfg.JournalSize),
	}
	if s.cfg.RecordDir != "" {
		loadable := func(t recharge.Transaction) error {
			s.service.Complete(&t, s.clock.Now())
			return t.Validate()
		}
		logFailure := func(err error) { s.log.Error("recording not written", "error", err.Error()) }
		if p.recorder, err = openSessionRecorder(s.cfg.RecordDir, DisplayURL(u), loadable, logFailure, s.control.stopping); err != nil {
			return err
		}
	}
	s.upstream = p
	return nil
}

// Close ends what runs beside the requests, once the server serves no more
// of them (after http.Server.Shutdown returns): faults still waiting end,
// and the recording is written whole. An exchange recorded after Close
// writes the file before it is answered.
func (s *Server) Close() error {
	s.Stop()
	if s.upstream == nil || s.upstream.recorder == nil {
		return nil
	}
	return s.upstream.recorder.Close()
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

// upstreamFailure is how an upstream exchange failed.
type upstreamFailure struct {
	kind string
	// status is what the sandbox answers in its place: 502, or 504 for a
	// timeout; zero when the upstream's own error answer is relayed.
	status  int
	remarks string
}

// forwardEnquiry answers POST /api/AOP/RechargeStatus in proxy mode, once the
// validate middleware has accepted the request.
func (s *Server) forwardEnquiry(w http.ResponseWriter, r *http.Request) {
	p := s.upstream
	ex := exchangeFrom(r)
	var q rechargestatus.Enquiry
	_ = json.Unmarshal(ex.body, &q) // validated against the spec already
	ex.registrationID, ex.referenceID = q.RegistrationID, q.ReferenceID

	if throughSandbox(r.Header) {
		failure := &upstreamFailure{kind: UpstreamLoop, status: http.StatusBadGateway,
			remarks: "the enquiry already went through an aopay-mock proxy (Via " + viaToken + "): the upstream leads back to a sandbox proxy"}
		s.upstreamFailed(r, q, failure)
		writeUpstreamFailure(w, failure, -1)
		return
	}
	bound := upstreamBound(p.timeout, WriteTimeout, time.Since(ex.start))
	if bound <= 0 {
		failure := &upstreamFailure{kind: UpstreamTimeout, status: http.StatusGatewayTimeout,
			remarks: "upstream timeout: no time left for the upstream before the server's write deadline"}
		s.upstreamFailed(r, q, failure)
		writeUpstreamFailure(w, failure, -1)
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), bound)
	defer cancel()
	go func() {
		// A graceful shutdown need not wait for slow upstreams.
		select {
		case <-s.control.stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	a, failure := p.exchange(ctx, r.Header, ex.body, bound)
	if failure != nil {
		switch {
		case r.Context().Err() != nil:
			// The client gave up first: nobody is left to answer.
			ex.scenario = "proxy:client-gone"
			panic(http.ErrAbortHandler)
		case errors.Is(ctx.Err(), context.Canceled):
			failure = &upstreamFailure{kind: UpstreamShutdown, status: http.StatusServiceUnavailable, remarks: "the sandbox is shutting down"}
		}
		s.upstreamFailed(r, q, failure)
		writeUpstreamFailure(w, failure, -1)
		return
	}

	found := p.findViolations(r, q, ex.body, a)
	s.noteViolations(r, q, a.status, found)
	ex.scenario = "proxy"
	if len(found) > 0 {
		ex.scenario = "proxy:violations"
	}
	if p.recorder != nil {
		if _, err := p.recorder.Record(q, a.status, a.body); err != nil {
			s.log.Warn("answer not recorded", "registration", q.RegistrationID, "referenceid", q.ReferenceID, "error", err.Error())
		}
	}
	switch {
	case a.status >= 300 && a.status < 400:
		failure := &upstreamFailure{kind: UpstreamRedirect, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answered a redirect, HTTP %d, which the sandbox does not follow", a.status)}
		s.upstreamFailed(r, q, failure)
		writeUpstreamFailure(w, failure, len(found))
		return
	case a.status >= 500 && isEnvelope(a.body):
		// The upstream's own error goes to the client as it came: it is what
		// the client has to cope with without the sandbox in between.
		failure := &upstreamFailure{kind: "status-" + strconv.Itoa(a.status)}
		s.upstreamFailed(r, q, failure)
		w.Header().Set(UpstreamErrorHeader, failure.kind)
	case a.status >= 500:
		// An error page of some gateway: the client gets the same status,
		// in the envelope it can read.
		failure := &upstreamFailure{kind: "status-" + strconv.Itoa(a.status), status: gatewayStatus(a.status),
			remarks: fmt.Sprintf("upstream answered HTTP %d without the provider's envelope: Content-Type %s, %d bytes", a.status, orNone(a.header.Get("Content-Type")), len(a.body))}
		s.upstreamFailed(r, q, failure)
		writeUpstreamFailure(w, failure, len(found))
		return
	case !json.Valid(a.body):
		failure := &upstreamFailure{kind: UpstreamNotJSON, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answer is not JSON: HTTP %d, Content-Type %s, %d bytes", a.status, orNone(a.header.Get("Content-Type")), len(a.body))}
		s.upstreamFailed(r, q, failure)
		writeUpstreamFailure(w, failure, len(found))
		return
	}
	relay(w, a, len(found))
}

// upstreamBound is how long the upstream may take for a request that began
// elapsed ago: the proxy timeout, but never past the server's write deadline
// less a margin, so that a fault's latency plus a slow upstream still ends
// in an answer rather than a closed connection.
func upstreamBound(timeout, writeTimeout, elapsed time.Duration) time.Duration {
	return min(timeout, writeTimeout-writeDeadlineMargin-elapsed)
}

// gatewayStatus is the status the sandbox answers for an upstream 5xx:
// the same, when openapi.yaml declares it, and 502 otherwise.
func gatewayStatus(status int) int {
	switch status {
	case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
		return status
	}
	return http.StatusBadGateway
}

// isEnvelope reports whether body is a JSON object in the provider's
// envelope, with at least its response_code.
func isEnvelope(body []byte) bool {
	var e struct {
		ResponseCode json.RawMessage `json:"response_code"`
	}
	return json.Unmarshal(body, &e) == nil && len(e.ResponseCode) > 0
}

// exchange sends the enquiry to the upstream and reads its whole answer
// within bound.
func (p *upstreamProxy) exchange(ctx context.Context, in http.Header, body []byte, bound time.Duration) (*upstreamAnswer, *upstreamFailure) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, p.target, bytes.NewReader(body))
	if err != nil {
		return nil, &upstreamFailure{kind: UpstreamUnreachable, status: http.StatusBadGateway, remarks: "upstream request: " + err.Error()}
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
		return nil, &upstreamFailure{kind: UpstreamTooLarge, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answer is larger than %d bytes", MaxUpstreamBodyBytes)}
	}
	return &upstreamAnswer{status: res.StatusCode, header: res.Header, body: data}, nil
}

// classify turns a transport error into the failure the client is told of;
// reading says the answer had begun to come, bound how long it could take.
func classify(err error, reading bool, bound time.Duration) *upstreamFailure {
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
		return &upstreamFailure{kind: UpstreamTimeout, status: http.StatusGatewayTimeout,
			remarks: fmt.Sprintf("upstream timeout: no whole answer within %s", bound.Round(time.Millisecond))}
	case strings.Contains(err.Error(), "response headers exceeded") || strings.Contains(err.Error(), "header list larger than"):
		// net/http has no error value for it, only these wordings (HTTP/1
		// and HTTP/2).
		return &upstreamFailure{kind: UpstreamTooLarge, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answer headers are larger than %d bytes", MaxUpstreamHeaderBytes)}
	case errors.Is(err, syscall.ECONNREFUSED):
		return &upstreamFailure{kind: UpstreamRefused, status: http.StatusBadGateway, remarks: "upstream refused the connection"}
	case errors.As(err, &certErr) || errors.As(err, &recordErr) || errors.As(err, &unknownAuthority):
		return &upstreamFailure{kind: UpstreamTLS, status: http.StatusBadGateway, remarks: "upstream TLS handshake failed: " + cause.Error()}
	case errors.As(err, &dnsErr) || (!reading && errors.As(err, &opErr) && opErr.Op == "dial"):
		return &upstreamFailure{kind: UpstreamUnreachable, status: http.StatusBadGateway, remarks: "upstream unreachable: " + cause.Error()}
	}
	return &upstreamFailure{kind: UpstreamBroken, status: http.StatusBadGateway, remarks: "upstream closed the connection before the whole answer: " + cause.Error()}
}

// findViolations lists every way the upstream's answer to q breaks the contract,
// including the final answers seen before.
func (p *upstreamProxy) findViolations(r *http.Request, q rechargestatus.Enquiry, reqBody []byte, a *upstreamAnswer) []ContractViolation {
	findings := p.judge.Enquiry(r.Context(), q, r, reqBody, a.status, a.header, a.body)
	out := make([]ContractViolation, len(findings))
	for i, f := range findings {
		out[i] = ContractViolation{RegistrationID: q.RegistrationID, ReferenceID: q.ReferenceID, Status: a.status, Finding: f}
	}
	return out
}

// noteViolations logs, lists and counts what an answer broke.
func (s *Server) noteViolations(r *http.Request, q rechargestatus.Enquiry, status int, found []ContractViolation) {
	if len(found) == 0 {
		return
	}
	now := s.clock.Now()
	for i := range found {
		found[i].Time = now
		v := found[i]
		s.log.LogAttrs(r.Context(), slog.LevelWarn, "contract violation",
			slog.String("registration", q.RegistrationID),
			slog.String("referenceid", q.ReferenceID),
			slog.Int("status", status),
			slog.String("source", v.Source),
			slog.String("rule", v.Rule),
			slog.String("pointer", v.Pointer),
			slog.String("message", v.Message),
		)
		s.control.metrics.violations.WithLabelValues(v.Source, v.Rule).Inc()
	}
	s.upstream.violations.add(found)
}

// upstreamFailed logs and counts a failed exchange.
func (s *Server) upstreamFailed(r *http.Request, q rechargestatus.Enquiry, f *upstreamFailure) {
	exchangeFrom(r).scenario = "proxy:upstream-" + f.kind
	s.control.metrics.upstreamFailures.WithLabelValues(f.kind).Inc()
	s.log.LogAttrs(r.Context(), slog.LevelWarn, "upstream failure",
		slog.String("upstream", s.upstream.display),
		slog.String("registration", q.RegistrationID),
		slog.String("referenceid", q.ReferenceID),
		slog.String("kind", f.kind),
		slog.String("remarks", f.remarks),
	)
}

// writeUpstreamFailure answers in the provider's envelope for an upstream
// that gave no usable answer; violations, when not negative, is how many
// the unusable answer showed.
func writeUpstreamFailure(w http.ResponseWriter, f *upstreamFailure, violations int) {
	w.Header().Set(UpstreamErrorHeader, f.kind)
	if violations >= 0 {
		w.Header().Set(ContractViolationsHeader, strconv.Itoa(violations))
	}
	writeError(w, f.status, rechargestatus.CodeUnableToProcess, rechargestatus.MessageUnableToProcess, f.remarks)
}

// relay sends the upstream's answer on as it came, but for the headers that
// only concerned the upstream's connection.
func relay(w http.ResponseWriter, a *upstreamAnswer, violations int) {
	h := w.Header()
	for name, values := range a.header {
		h[name] = values
	}
	for _, v := range a.header.Values("Connection") {
		for _, name := range strings.Split(v, ",") {
			h.Del(strings.TrimSpace(name))
		}
	}
	for _, name := range hopByHopHeaders {
		h.Del(name)
	}
	h.Set("Content-Length", strconv.Itoa(len(a.body)))
	h.Set(ContractViolationsHeader, strconv.Itoa(violations))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
