package framework

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// pacer spaces requests so that no more than rps start in any second, and
// holds every request back while the endpoint asked to wait.
type pacer struct {
	mu       sync.Mutex
	interval time.Duration
	next     time.Time
}

// newPacer paces rps requests per second; zero paces only 429 waits.
func newPacer(rps float64) *pacer {
	p := &pacer{}
	if rps > 0 {
		p.interval = time.Duration(float64(time.Second) / rps)
	}
	return p
}

// wait blocks until the caller may send, or ctx is done.
func (p *pacer) wait(ctx context.Context) error {
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

// holdUntil lets no request start before t.
func (p *pacer) holdUntil(t time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if t.After(p.next) {
		p.next = t
	}
}
