package framework

import (
	"fmt"
	"io"
	"net/http"
	"time"
)

// HTTPClient is an *http.Client for other clients of the endpoint, such as
// the mock's admin client: its requests are paced and counted with the
// suite's own, bounded by the same timeout and answer size, and a redirect
// is an error that names it rather than a request to follow. A verbose run
// logs a line per request.
func (c *Client) HTTPClient() *http.Client {
	return &http.Client{
		Timeout:       c.opts.Timeout,
		Transport:     &boundedTransport{client: c, next: c.transport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// MaxAnswerHeaderBytes bounds the header of one answer the client reads,
// status line included: far above any answer of the contract, and an answer
// past it is an error rather than memory spent.
const MaxAnswerHeaderBytes = 64 << 10

// newTransport is the client's own transport, its answer headers bounded.
func newTransport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxResponseHeaderBytes = MaxAnswerHeaderBytes
	return t
}

// boundedTransport sends a request as Client.Do would.
type boundedTransport struct {
	client *Client
	next   http.RoundTripper
}

func (t *boundedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c := t.client
	if err := c.pacer.wait(req.Context()); err != nil {
		return nil, err
	}
	if limit := int64(c.opts.MaxRequests); c.sent.Add(1) > limit && limit > 0 {
		c.sent.Add(-1)
		return nil, fmt.Errorf("%w: it sent %d", ErrRequestCap, limit)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	line := func(answer string) {
		if c.opts.Log != nil {
			fmt.Fprintln(c.opts.Log, printable(fmt.Sprintf("→ %s %s ← %s (%s)", req.Method, c.opts.Redactor.URL(req.URL.String()), c.opts.Redactor.Text(answer), time.Since(start).Round(time.Millisecond)), false))
		}
	}
	if err != nil {
		line("no answer: " + err.Error())
		return nil, err
	}
	line(fmt.Sprintf("HTTP %d", resp.StatusCode))
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		resp.Body.Close()
		ex := &Exchange{Status: resp.StatusCode, Header: resp.Header, redactor: c.opts.Redactor}
		return nil, ex.Failure()
	}
	if resp.ContentLength > c.opts.MaxAnswerBytes {
		resp.Body.Close()
		return nil, &TooLargeError{Limit: c.opts.MaxAnswerBytes}
	}
	resp.Body = newBoundedBody(resp.Body, c.opts.MaxAnswerBytes)
	return resp, nil
}

// boundedBody reads at most limit bytes of an answer, and fails with a
// *TooLargeError past them.
type boundedBody struct {
	body        io.ReadCloser
	r           io.Reader
	limit, read int64
}

func newBoundedBody(body io.ReadCloser, limit int64) *boundedBody {
	// One byte more tells a body that ends at the limit from a longer one.
	return &boundedBody{body: body, r: io.LimitReader(body, limit+1), limit: limit}
}

func (b *boundedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	b.read += int64(n)
	if b.read > b.limit {
		return n - int(b.read-b.limit), &TooLargeError{Limit: b.limit}
	}
	return n, err
}

func (b *boundedBody) Close() error { return b.body.Close() }
