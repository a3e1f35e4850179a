package framework

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
)

// DefaultMaxAnswerBytes is how much of an answer the client reads unless told
// otherwise: far above any answer of the contract.
const DefaultMaxAnswerBytes = 1 << 20

// Bounds of waiting out a 429 answer.
const (
	maxRateLimitedRetries = 3
	defaultRetryAfter     = time.Second
	DefaultMaxRetryWait   = time.Minute
)

// TooLargeError is an answer longer than the client reads.
type TooLargeError struct{ Limit int64 }

func (e *TooLargeError) Error() string {
	return fmt.Sprintf("the answer is larger than %d bytes, the most the suite reads of one answer", e.Limit)
}

// ErrRequestCap is why a request was not sent: the run sent as many as it may.
var ErrRequestCap = errors.New("the run's request cap is reached (--max-requests)")

// Request is one call to the endpoint. The zero Method is POST and the zero
// Path the RechargeStatus path.
type Request struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
	// Enquiry is what the body asks, for the invariants; zero for a body that
	// asks nothing readable.
	Enquiry rechargestatus.Enquiry
	// Unsigned sends no Token header even when the client signs enquiries of
	// this registration.
	Unsigned bool
}

// EnquiryRequest is the request the provider's page shows: q as JSON.
func EnquiryRequest(q rechargestatus.Enquiry) Request {
	body, _ := json.Marshal(q)
	return Request{
		Header:  http.Header{"Content-Type": {"application/json"}},
		Body:    body,
		Enquiry: q,
	}
}

// ClientOptions are what NewClient needs beyond the base URL.
type ClientOptions struct {
	// Timeout bounds each request, from dialling to the last byte.
	Timeout time.Duration
	// RPS caps the requests per second; zero means no cap.
	RPS float64
	// MaxRequests caps the requests the client sends in all; zero means none.
	MaxRequests int
	// MaxAnswerBytes bounds what the client reads of one answer;
	// DefaultMaxAnswerBytes when zero.
	MaxAnswerBytes int64
	// WaitOutRateLimits makes the client wait as a 429 answer's Retry-After
	// says (at most MaxRetryWait) and send again, a few times, before it
	// takes the 429 as the answer.
	WaitOutRateLimits bool
	MaxRetryWait      time.Duration
	// Signer, when set, signs a Token header for every enquiry of its
	// registration that carries none.
	Signer *TokenSigner
	// Header is added to every request that does not set it itself.
	Header   http.Header
	Redactor *Redactor
	// Log receives a line per exchange; nothing when nil.
	Log io.Writer
	// AcceptDialects are the known dialects of the provider the run holds
	// the endpoint to besides the page: an answer in one of them is read in
	// the page form it stands for (Exchange.PageBody).
	AcceptDialects []string
}

// Client calls one endpoint within a timeout, a request rate and a request
// cap, never follows a redirect and never reads more than a bound.
type Client struct {
	baseURL string
	http    *http.Client
	// transport carries every request of the client and of HTTPClient.
	transport *http.Transport
	opts      ClientOptions
	pacer     *pacer
	sent      atomic.Int64
}

// NewClient prepares a client of the endpoint at baseURL.
func NewClient(baseURL string, o ClientOptions) *Client {
	if o.MaxAnswerBytes <= 0 {
		o.MaxAnswerBytes = DefaultMaxAnswerBytes
	}
	if o.MaxRetryWait <= 0 {
		o.MaxRetryWait = DefaultMaxRetryWait
	}
	o.Header = o.Header.Clone()
	transport := newTransport()
	return &Client{
		baseURL:   baseURL,
		transport: transport,
		http: &http.Client{
			Timeout:   o.Timeout,
			Transport: transport,
			// An endpoint's redirect is an answer to report, not to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		opts:  o,
		pacer: newPacer(o.RPS),
	}
}

// BaseURL is the endpoint's base URL.
func (c *Client) BaseURL() string { return c.baseURL }

// Sent counts the requests the client sent.
func (c *Client) Sent() int64 { return c.sent.Load() }

// Redactor is what hides the client's credentials.
func (c *Client) Redactor() *Redactor { return c.opts.Redactor }

// Do sends r and reads the answer, waiting out rate limits when told to. A
// transport failure, a timeout among them, is the exchange's Err; Do never
// returns nil.
func (c *Client) Do(ctx context.Context, r Request) *Exchange {
	ex := c.prepare(r)
	defer c.log(ex)
	if ex.Err != nil {
		return ex
	}
	for attempt := 0; ; attempt++ {
		c.send(ctx, ex)
		if !c.opts.WaitOutRateLimits || ex.Status != http.StatusTooManyRequests || attempt == maxRateLimitedRetries {
			return ex
		}
		wait := min(retryAfter(ex.Header.Get("Retry-After"), time.Now()), c.opts.MaxRetryWait)
		c.pacer.holdUntil(time.Now().Add(wait))
		ex.RateLimited++
	}
}

// prepare builds the exchange of r: its URL, its headers with the client's
// own and a signed Token.
func (c *Client) prepare(r Request) *Exchange {
	method, path := r.Method, r.Path
	if method == "" {
		method = http.MethodPost
	}
	if path == "" {
		path = rechargestatus.EnquiryPath
	}
	header := r.Header.Clone()
	if header == nil {
		header = http.Header{}
	}
	for name, values := range c.opts.Header {
		if _, set := header[name]; !set {
			header[name] = values
		}
	}
	ex := &Exchange{Method: method, URL: c.baseURL + path, Path: path, RequestHeader: header, RequestBody: r.Body, Enquiry: r.Enquiry, redactor: c.opts.Redactor, accept: c.opts.AcceptDialects}
	if s := c.opts.Signer; s != nil && !r.Unsigned && path == rechargestatus.EnquiryPath && header.Get(rechargestatus.TokenHeader) == "" && r.Enquiry.RegistrationID == s.RegistrationID {
		token, err := s.Sign(time.Now())
		if err != nil {
			ex.Err = fmt.Errorf("sign the Token header: %w", err)
			return ex
		}
		header.Set(rechargestatus.TokenHeader, token)
	}
	return ex
}

// send makes one attempt of ex, filling in its answer.
func (c *Client) send(ctx context.Context, ex *Exchange) {
	ex.Status, ex.Header, ex.Body, ex.Err = 0, nil, nil, nil
	if err := c.pacer.wait(ctx); err != nil {
		ex.Err = err
		return
	}
	if limit := int64(c.opts.MaxRequests); c.sent.Add(1) > limit && limit > 0 {
		c.sent.Add(-1)
		ex.Err = fmt.Errorf("%w: it sent %d", ErrRequestCap, limit)
		return
	}
	var body io.Reader
	if ex.RequestBody != nil {
		body = bytes.NewReader(ex.RequestBody)
	}
	req, err := http.NewRequestWithContext(ctx, ex.Method, ex.URL, body)
	if err != nil {
		c.sent.Add(-1)
		ex.Err = err
		return
	}
	req.Header = ex.RequestHeader
	start := time.Now()
	defer func() { ex.Elapsed = time.Since(start) }()
	resp, err := c.http.Do(req)
	if err != nil {
		ex.Err = c.explain(err)
		return
	}
	defer resp.Body.Close()
	ex.Status, ex.Header = resp.StatusCode, resp.Header
	ex.Body, ex.Err = c.read(resp)
}

// read reads the answer's body up to the client's bound.
func (c *Client) read(resp *http.Response) ([]byte, error) {
	limit := c.opts.MaxAnswerBytes
	if resp.ContentLength > limit {
		return nil, &TooLargeError{Limit: limit}
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	switch {
	case err != nil:
		return body, c.explain(err)
	case int64(len(body)) > limit:
		return body[:limit], &TooLargeError{Limit: limit}
	}
	return body, nil
}

// explain words a transport error with the setting that bounds it, keeping
// the error itself for errors.Is and errors.As.
func (c *Client) explain(err error) error {
	var timeout interface{ Timeout() bool }
	if errors.Is(err, context.DeadlineExceeded) || errors.As(err, &timeout) && timeout.Timeout() {
		return fmt.Errorf("no complete answer within %s (--timeout): %w", c.opts.Timeout, err)
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("the answer broke off before its end: %w", err)
	}
	return err
}

func (c *Client) log(ex *Exchange) {
	if c.opts.Log != nil {
		fmt.Fprintln(c.opts.Log, ex.Line())
	}
}

// retryAfter reads a Retry-After header: seconds or an HTTP date.
func retryAfter(v string, now time.Time) time.Duration {
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(t.Sub(now), 0)
	}
	return defaultRetryAfter
}

// TokenSigner makes the provider's `Token` header for one registration:
// HS256 with the partner's key, claims timestamp, partnerId and a fresh
// reqid.
type TokenSigner struct {
	Key, PartnerID, RegistrationID string
}

// Sign makes a token issued at.
func (s *TokenSigner) Sign(at time.Time) (string, error) {
	return partnertoken.Sign(s.Key, s.PartnerID, NewRequestID(), at)
}

// NewRequestID is a random reqid claim, unique per request.
func NewRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
