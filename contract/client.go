package contract

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// MaxAnswerBytes bounds how much of an answer the client reads: an endpoint
// that streams without end is cut there and judged on what came.
const MaxAnswerBytes = 1 << 20

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

// Client calls one endpoint within a timeout and a request rate, and writes a
// dump of every exchange to Log.
type Client struct {
	baseURL string
	http    *http.Client
	pacer   *pacer
	signer  *tokenSigner
	extra   http.Header
	// Log receives a dump of every exchange; nothing when nil.
	Log io.Writer
}

// ClientOptions are what NewClient needs beyond the base URL.
type ClientOptions struct {
	Timeout time.Duration
	// RPS caps the requests per second; zero means no cap.
	RPS float64
	// TokenKey, when set, signs a `Token` header for every enquiry of
	// RegistrationID that carries none, with partnerId PartnerID.
	TokenKey       string
	PartnerID      string
	RegistrationID string
	// Header is added to every request, such as an `Authorisedkey`.
	Header http.Header
	Log    io.Writer
}

// NewClient prepares a client of the endpoint at baseURL.
func NewClient(baseURL string, o ClientOptions) *Client {
	c := &Client{
		baseURL: baseURL,
		http: &http.Client{
			Timeout: o.Timeout,
			// An endpoint's redirect is an answer to judge, not to follow.
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		},
		pacer: newPacer(o.RPS),
		extra: o.Header.Clone(),
		Log:   o.Log,
	}
	if o.TokenKey != "" {
		c.signer = &tokenSigner{key: o.TokenKey, partnerID: o.PartnerID, registrationID: o.RegistrationID}
	}
	return c
}

// BaseURL is the endpoint's base URL.
func (c *Client) BaseURL() string { return c.baseURL }

// Enquire asks the status of q's transaction.
func (c *Client) Enquire(ctx context.Context, q rechargestatus.Enquiry) *Exchange {
	return c.Do(ctx, EnquiryRequest(q))
}

// Do sends r and reads the answer. A transport failure, a timeout among
// them, is the exchange's Err; Do never returns nil.
func (c *Client) Do(ctx context.Context, r Request) *Exchange {
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
	for name, values := range c.extra {
		if header.Get(name) == "" {
			header[name] = values
		}
	}
	ex := &Exchange{Method: method, URL: c.baseURL + path, Path: path, RequestHeader: header, RequestBody: r.Body, Enquiry: r.Enquiry}
	defer c.dump(ex)
	if c.signer != nil && path == rechargestatus.EnquiryPath && header.Get("Token") == "" && r.Enquiry.RegistrationID == c.signer.registrationID {
		token, err := c.signer.sign()
		if err != nil {
			ex.Err = fmt.Errorf("sign the Token header: %w", err)
			return ex
		}
		header.Set("Token", token)
	}
	if err := c.pacer.wait(ctx); err != nil {
		ex.Err = err
		return ex
	}
	var body io.Reader
	if r.Body != nil {
		body = bytes.NewReader(r.Body)
	}
	req, err := http.NewRequestWithContext(ctx, method, ex.URL, body)
	if err != nil {
		ex.Err = err
		return ex
	}
	req.Header = header
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		ex.Elapsed = time.Since(start)
		ex.Err = err
		return ex
	}
	defer resp.Body.Close()
	ex.Status = resp.StatusCode
	ex.Header = resp.Header
	ex.Body, ex.Err = io.ReadAll(io.LimitReader(resp.Body, MaxAnswerBytes))
	ex.Elapsed = time.Since(start)
	return ex
}

func (c *Client) dump(ex *Exchange) {
	if c.Log != nil {
		fmt.Fprintln(c.Log, ex.Dump())
	}
}

// pacer spaces requests so that no more than rps start in any second.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

func newPacer(rps float64) *pacer {
	if rps <= 0 {
		return nil
	}
	return &pacer{interval: time.Duration(float64(time.Second) / rps)}
}

// wait blocks until the caller may send, or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
	if p == nil {
		return nil
	}
	p.mu.Lock()
	now := time.Now()
	at := p.next
	if at.Before(now) {
		at = now
	}
	p.next = at.Add(p.interval)
	p.mu.Unlock()
	delay := time.Until(at)
	if delay <= 0 {
		return nil
	}
	timer := time.NewTimer(delay)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the rate limit: %w", ctx.Err())
	}
}

// tokenSigner makes the provider's `Token` header: HS256, claims timestamp,
// partnerId and a fresh reqid.
type tokenSigner struct {
	key, partnerID, registrationID string
}

func (s *tokenSigner) sign() (string, error) {
	return rechargestatus.SignToken(s.key, s.partnerID, NewRequestID(), time.Now())
}

// NewRequestID is a random reqid claim, unique per request.
func NewRequestID() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
