// Package proxy is the mock's proxy mode: the RechargeStatus endpoint
// forwards each valid enquiry to an upstream (the real provider, or any
// server speaking its API), judges the answer against the contract, and hands
// it to the client unchanged, with the number of violations found in a
// header. The transactions answered can be recorded as fixtures.
package proxy

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
)

// writeDeadlineMargin is kept free before the server's write deadline, so
// that the answer saying the upstream was too slow still leaves.
const writeDeadlineMargin = 2 * time.Second

// hopByHopHeaders describe one connection, not the answer, and are not
// relayed (RFC 9110, section 7.6.1).
var hopByHopHeaders = []string{"Connection", "Keep-Alive", "Proxy-Authenticate", "Proxy-Authorization", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// Config is what a Proxy is made of.
type Config struct {
	// Upstream is the base URL enquiries are forwarded to.
	Upstream string
	// Timeout bounds one upstream exchange; DefaultTimeout when zero.
	Timeout time.Duration
	// WriteTimeout is the serving server's: the proxy answers before it.
	WriteTimeout time.Duration
	// Validator holds the upstream's answers to the spec.
	Validator *conformance.Validator
	// AcceptDialects are known dialects (dialect.Names) an upstream answer
	// is held to besides the page: an answer in one of them is judged in the
	// page form it stands for. Whether accepted or not, a violation names
	// the known dialects its answer matches.
	AcceptDialects []string
	// ViolationLog keeps the violations found; when nil, a log in memory
	// that keeps the latest ViolationLimit.
	ViolationLog   ViolationLog
	ViolationLimit int
	// Log hears of failures, violations and recordings not written.
	Log *slog.Logger
	// Now is the sandbox clock, which times the violations.
	Now func() time.Time
	// Stopping, once closed, ends the exchanges in progress: a graceful
	// shutdown need not wait for slow upstreams.
	Stopping <-chan struct{}
	// Violation and Failure, when set, hear of each violation found (its
	// source and rule) and each failed exchange (its kind).
	Violation func(source, rule string)
	Failure   func(kind string)
	// Unkept, when set, hears of the violations found that the log
	// could not keep.
	Unkept func(n int)
}

// Proxy forwards enquiries. It is safe for concurrent use.
type Proxy struct {
	cfg     Config
	target  string
	display string
	// upstream is the base URL's display form.
	upstream   string
	judge      *conformance.Judge
	accept     dialect.Accept
	client     *http.Client
	violations ViolationLog
	// logFailing is whether the latest addition to the log failed, so
	// that a failing log is reported once, not once per answer.
	logFailing atomic.Bool
	// recording keeps the transactions answered; nil when none is
	// attached.
	recording atomic.Pointer[Recording]
}

// New prepares proxy mode.
func New(cfg Config) (*Proxy, error) {
	u, err := ParseUpstream(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	var accept dialect.Accept
	if len(cfg.AcceptDialects) > 0 {
		if err := accept.Set(strings.Join(cfg.AcceptDialects, ",")); err != nil {
			return nil, fmt.Errorf("accept-dialect: %w", err)
		}
	}
	target := enquiryURL(u)
	p := &Proxy{
		cfg:        cfg,
		target:     target.String(),
		display:    DisplayURL(target),
		upstream:   DisplayURL(u),
		judge:      conformance.NewJudge(cfg.Validator, conformance.WithHistoryLimit(conformance.DefaultHistoryLimit), conformance.WithDialects(dialect.Known{})),
		accept:     accept,
		client:     newUpstreamClient(cfg.Timeout),
		violations: cfg.ViolationLog,
	}
	if p.violations == nil {
		p.violations = NewMemoryViolationLog(cfg.ViolationLimit)
	}
	return p, nil
}

// Upstream is the base URL's display form, as DisplayURL writes it, of the
// endpoint enquiries are forwarded to.
func (p *Proxy) Upstream() string { return p.upstream }

// Record attaches rec, which records the answers of the registrations it
// captures from then on, in place of the recording attached before, which
// it returns; nil detaches it. The caller closes the recording it detaches.
func (p *Proxy) Record(rec *Recording) *Recording { return p.recording.Swap(rec) }

// Close ends the connections kept to the upstream. An attached recording
// is its owner's to close.
func (p *Proxy) Close() error {
	p.client.CloseIdleConnections()
	return nil
}

// ServeEnquiry answers a RechargeStatus enquiry that the mock has
// validated, and says what came of it.
func (p *Proxy) ServeEnquiry(w http.ResponseWriter, r *http.Request, e served.Enquiry) served.Outcome {
	q, d := e.Enquiry, *e.Dialect
	body, _ := io.ReadAll(r.Body) // read already, from memory
	if throughSandbox(r.Header) {
		return p.fail(w, r, d, q, &failure{kind: UpstreamLoop, status: http.StatusBadGateway,
			remarks: "the enquiry already went through an aopay-mock proxy (Via " + viaToken + "): the upstream leads back to a sandbox proxy"}, -1)
	}
	bound := upstreamBound(p.cfg.Timeout, p.cfg.WriteTimeout, time.Since(e.Start))
	if bound <= 0 {
		return p.fail(w, r, d, q, &failure{kind: UpstreamTimeout, status: http.StatusGatewayTimeout,
			remarks: "upstream timeout: no time left for the upstream before the server's write deadline"}, -1)
	}
	ctx, cancel := context.WithTimeout(r.Context(), bound)
	defer cancel()
	go func() {
		select {
		case <-p.cfg.Stopping:
			cancel()
		case <-ctx.Done():
		}
	}()
	a, failed := p.exchange(ctx, r.Header, body, bound)
	if failed != nil {
		switch {
		case r.Context().Err() != nil:
			// The client gave up first: nobody is left to answer.
			return served.Outcome{Scenario: "proxy:client-gone", Aborted: true}
		case errors.Is(ctx.Err(), context.Canceled):
			failed = &failure{kind: UpstreamShutdown, status: http.StatusServiceUnavailable, remarks: "the sandbox is shutting down"}
		}
		return p.fail(w, r, d, q, failed, -1)
	}
	verdict := p.judge.Judge(r.Context(), conformance.Exchange{Enquiry: q, Request: r, RequestBody: body,
		Status: a.status, Header: a.header, Body: a.body, Accept: p.accept})
	p.noteViolations(r, q, a.status, verdict)
	if rec := p.recording.Load(); rec != nil && rec.Captures(q.RegistrationID) {
		if err := rec.record(q, a.status, a.body, verdict); err != nil {
			p.cfg.Log.Warn("answer not recorded", "registration", q.RegistrationID, "referenceid", q.ReferenceID, "error", err.Error())
		}
	}
	return p.answer(w, r, d, q, a, len(verdict.Findings))
}

// answer relays the upstream's answer, or says in the envelope why it
// cannot be relayed.
func (p *Proxy) answer(w http.ResponseWriter, r *http.Request, d dialect.Dialect, q rechargestatus.Enquiry, a *upstreamAnswer, violations int) served.Outcome {
	switch {
	case a.status >= 300 && a.status < 400:
		return p.fail(w, r, d, q, &failure{kind: UpstreamRedirect, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answered a redirect, HTTP %d, which the sandbox does not follow", a.status)}, violations)
	case a.status >= 500 && isEnvelope(a.body):
		// The upstream's own error goes to the client as it came: it is what
		// the client has to cope with without the sandbox in between.
		f := &failure{kind: "status-" + strconv.Itoa(a.status)}
		out := p.noteFailure(r, q, f)
		w.Header().Set(admin.UpstreamErrorHeader, f.kind)
		relay(w, a, violations)
		return out
	case a.status >= 500:
		// An error page of some gateway: the client gets the same status,
		// in the envelope it can read.
		return p.fail(w, r, d, q, &failure{kind: "status-" + strconv.Itoa(a.status), status: gatewayStatus(a.status),
			remarks: fmt.Sprintf("upstream answered HTTP %d without the provider's envelope: Content-Type %s, %d bytes", a.status, orNone(a.header.Get("Content-Type")), len(a.body))}, violations)
	case !json.Valid(a.body):
		return p.fail(w, r, d, q, &failure{kind: UpstreamNotJSON, status: http.StatusBadGateway,
			remarks: fmt.Sprintf("upstream answer is not JSON: HTTP %d, Content-Type %s, %d bytes", a.status, orNone(a.header.Get("Content-Type")), len(a.body))}, violations)
	}
	relay(w, a, violations)
	if violations > 0 {
		return served.Outcome{Scenario: "proxy:violations"}
	}
	return served.Outcome{Scenario: "proxy"}
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
// envelope, with at least its response code, spelt response_code or, as the
// upstream aggregator spells it, responsecode.
func isEnvelope(body []byte) bool {
	var e struct {
		ResponseCode         json.RawMessage `json:"response_code"`
		UpstreamResponseCode json.RawMessage `json:"responsecode"`
	}
	return json.Unmarshal(body, &e) == nil && (len(e.ResponseCode) > 0 || len(e.UpstreamResponseCode) > 0)
}

// pageForm is an answer that matches a known dialect other than the page in
// the page form it stands for, so that the recording reads it as any other;
// body itself otherwise.
func pageForm(v conformance.Verdict, status int, body []byte) []byte {
	names := v.MatchNames()
	if slices.Contains(names, dialect.Page) {
		return body
	}
	for _, name := range names {
		if page, ok := dialect.Normalize(name, status, body); ok {
			return page
		}
	}
	return body
}

// noteViolations logs, lists and counts what an answer broke, and the known
// dialects it matches.
func (p *Proxy) noteViolations(r *http.Request, q rechargestatus.Enquiry, status int, v conformance.Verdict) {
	if len(v.Findings) == 0 {
		return
	}
	now := p.cfg.Now()
	var dialects []string
	if len(v.Matches) > 0 {
		dialects = v.MatchNames()
	}
	explanation := dialect.Explain(v)
	out := make([]admin.Violation, len(v.Findings))
	for i, f := range v.Findings {
		out[i] = admin.Violation{Time: now, RegistrationID: q.RegistrationID, ReferenceID: q.ReferenceID, Status: status,
			Source: f.Source, Pointer: f.Pointer, Rule: f.Rule, Message: f.Message, Dialects: dialects, Explanation: explanation}
		attrs := []slog.Attr{
			slog.String("registration", q.RegistrationID),
			slog.String("referenceid", q.ReferenceID),
			slog.Int("status", status),
			slog.String("source", f.Source),
			slog.String("rule", f.Rule),
			slog.String("pointer", f.Pointer),
			slog.String("message", f.Message),
		}
		if explanation != "" {
			attrs = append(attrs, slog.Any("dialects", dialects), slog.String("explanation", explanation))
		}
		p.cfg.Log.LogAttrs(r.Context(), slog.LevelWarn, "contract violation", attrs...)
		if p.cfg.Violation != nil {
			p.cfg.Violation(f.Source, f.Rule)
		}
	}
	p.keep(r.Context(), out)
}

// noteFailure logs and counts a failed exchange, whose outcome it returns.
func (p *Proxy) noteFailure(r *http.Request, q rechargestatus.Enquiry, f *failure) served.Outcome {
	if p.cfg.Failure != nil {
		p.cfg.Failure(f.kind)
	}
	p.cfg.Log.LogAttrs(r.Context(), slog.LevelWarn, "upstream failure",
		slog.String("upstream", p.display),
		slog.String("registration", q.RegistrationID),
		slog.String("referenceid", q.ReferenceID),
		slog.String("kind", f.kind),
		slog.String("remarks", f.remarks),
	)
	return served.Outcome{Scenario: "proxy:upstream-" + f.kind}
}

// fail notes a failed exchange and answers for it in the provider's
// envelope; violations, when not negative, is how many the unusable answer
// showed. The envelope is spelt as dialect d spells errors.
func (p *Proxy) fail(w http.ResponseWriter, r *http.Request, d dialect.Dialect, q rechargestatus.Enquiry, f *failure, violations int) served.Outcome {
	out := p.noteFailure(r, q, f)
	w.Header().Set(admin.UpstreamErrorHeader, f.kind)
	if violations >= 0 {
		w.Header().Set(admin.ContractViolationsHeader, strconv.Itoa(violations))
	}
	envelope.WriteError(w, d, f.status, rechargestatus.ErrorAnswer{ResponseCode: rechargestatus.CodeUnableToProcess, Message: rechargestatus.MessageUnableToProcess, Remarks: f.remarks})
	return out
}

// relay sends the upstream's answer on as it came, but for the headers that
// only concerned the upstream's connection. The answer is the upstream's,
// in no dialect the sandbox chose: the sandbox's X-Mock-Dialect goes.
func relay(w http.ResponseWriter, a *upstreamAnswer, violations int) {
	h := w.Header()
	h.Del(dialect.Header)
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
	h.Set(admin.ContractViolationsHeader, strconv.Itoa(violations))
	w.WriteHeader(a.status)
	_, _ = w.Write(a.body)
}

func orNone(s string) string {
	if s == "" {
		return "none"
	}
	return s
}
