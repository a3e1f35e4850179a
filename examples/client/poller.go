package client

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Poller enquires a recharge until its status is final, as the provider's
// notes ask ("re-query after 30 min"), and passes the sandbox's audit:
// it waits the interval after a pending answer, Retry-After after a 429 or
// 503, growing waits after failures, stops on a refused credential, and
// never polls a final answer again.
type Poller struct {
	Client *Client
	// Interval is the wait after a pending answer; 30 minutes when 0.
	Interval time.Duration
	// Backoff is the wait after a first failure (a 5xx, a lost connection,
	// a timeout, an answer that is not JSON), doubled after each one that
	// follows, up to MaxBackoff; 1 second and 5 minutes when 0.
	Backoff, MaxBackoff time.Duration
	// MaxFailures ends the polling after that many failures in a row; 8
	// when 0.
	MaxFailures int
	// Wait waits d, or until ctx ends; a timer when nil. A test against
	// the sandbox may advance the sandbox's clock instead.
	Wait func(ctx context.Context, d time.Duration) error
}

// ErrNotFound is the provider's "No Transaction found".
var ErrNotFound = errors.New("RechargeStatus: no such transaction")

// Poll enquires referenceID until it is success, failed or refunded, and
// returns it. A failed transaction may still be refunded later: enquire it
// again, at the interval, to learn of the refund. A refused credential
// (401, 412) or another error answer ends the polling at once, as does a
// transaction the provider does not know.
func (p *Poller) Poll(ctx context.Context, referenceID string) (Transaction, error) {
	failures := 0
	for {
		res, err := p.Client.Status(ctx, referenceID)
		var apiErr *APIError
		switch {
		case err == nil && !res.Found:
			return Transaction{}, ErrNotFound
		case err == nil && res.Transaction.State() != "pending":
			return res.Transaction, nil
		case err == nil:
			failures = 0
			err = p.wait(ctx, p.interval())
		case errors.As(err, &apiErr) && apiErr.RetryAfter > 0 &&
			(apiErr.HTTPStatus == http.StatusTooManyRequests || apiErr.HTTPStatus == http.StatusServiceUnavailable):
			failures = 0
			err = p.wait(ctx, apiErr.RetryAfter)
		case errors.As(err, &apiErr) && apiErr.HTTPStatus < 500:
			return Transaction{}, err
		case ctx.Err() != nil:
			return Transaction{}, ctx.Err()
		default:
			failures++
			if failures >= p.maxFailures() {
				return Transaction{}, fmt.Errorf("RechargeStatus: %d failures in a row, the last: %w", failures, err)
			}
			err = p.wait(ctx, p.backoff(failures))
		}
		if err != nil {
			return Transaction{}, err
		}
	}
}

func (p *Poller) interval() time.Duration { return orDefault(p.Interval, 30*time.Minute) }

func (p *Poller) maxFailures() int {
	if p.MaxFailures <= 0 {
		return 8
	}
	return p.MaxFailures
}

// backoff is the wait after the n-th failure in a row.
func (p *Poller) backoff(n int) time.Duration {
	d, ceiling := orDefault(p.Backoff, time.Second), orDefault(p.MaxBackoff, 5*time.Minute)
	for range n - 1 {
		if d >= ceiling/2 {
			return ceiling
		}
		d *= 2
	}
	return min(d, ceiling)
}

func (p *Poller) wait(ctx context.Context, d time.Duration) error {
	if p.Wait != nil {
		return p.Wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func orDefault(d, otherwise time.Duration) time.Duration {
	if d <= 0 {
		return otherwise
	}
	return d
}
