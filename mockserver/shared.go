package mockserver

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/control"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// adminPrefix starts the admin API's paths.
const adminPrefix = "/__admin/"

// processOrigin names this process among the replicas, in the journal feed.
func processOrigin() string {
	host, _ := os.Hostname()
	return fmt.Sprintf("%s/%d/%s", host, os.Getpid(), rand.Text()[:8])
}

// sharedState keeps this process's copy of what several sandbox processes
// share through one store (Redis) in step with it: the clock and the fault
// rules are reread whenever another process has changed them, before a
// request of this one is answered, so a change made through any replica is
// seen by all on their next request. The transactions need no copy: every
// read goes to the store.
type sharedState struct {
	store recharge.Shared
	log   *slog.Logger
	// mu makes one reread at a time; current is set while the version
	// last read, seen, is the store's, so that the requests meeting an
	// unchanged version, nearly all of them, pass without waiting on mu.
	mu      sync.Mutex
	seen    atomic.Int64
	current atomic.Bool
}

// sync rereads the clock and the rules when the store's version moved.
// An error leaves them as they were: the request then meets the same
// outage in the store and is answered for it.
func (s *sharedState) sync(ctx context.Context, c *control.Control) error {
	v, err := s.store.Version(ctx)
	if errors.Is(err, recharge.ErrLost) {
		v, err = s.refill(ctx, c)
	}
	if err != nil {
		return err
	}
	if s.current.Load() && v == s.seen.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current.Load() && v == s.seen.Load() {
		return nil
	}
	s.current.Store(false)
	if err := c.Restore(ctx); err != nil {
		return err
	}
	s.seen.Store(v)
	s.current.Store(true)
	return nil
}

// known is the version this process's copy of the shared state was last
// read at; ok is false while it is being read, or was never read whole.
func (s *sharedState) known() (version int64, ok bool) {
	if !s.current.Load() {
		return 0, false
	}
	return s.seen.Load(), true
}

// refill puts the fixtures back into a store that lost the sandbox's state,
// once in this process however many requests meet the loss, and answers the
// version after it.
func (s *sharedState) refill(ctx context.Context, c *control.Control) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, err := s.store.Version(ctx)
	if !errors.Is(err, recharge.ErrLost) {
		return v, err
	}
	s.log.Warn("the shared store lost the sandbox's state (its server restarted without persistence, or it was emptied): the fixtures are put back")
	s.current.Store(false)
	if err := c.Refill(ctx); err != nil {
		return 0, err
	}
	return s.store.Version(ctx)
}

// syncShared wraps next so that each request first brings the shared state
// up to date, when the store is shared.
func (s *Server) syncShared(next http.Handler, log *slog.Logger) http.Handler {
	shared, ok := s.control.Store().(recharge.Shared)
	if !ok {
		return next
	}
	state := &sharedState{store: shared, log: log}
	if feed, ok := shared.(journal.Feed); ok {
		s.journal.Share(feed, processOrigin())
	}
	// In proxy mode the upstream answers, without a write that could
	// check an assumed version.
	assume := !s.control.Proxying()
	reread := func(ctx context.Context) error { return state.sync(ctx, s.control) }
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if assume && isEnquiry(r) {
			if v, ok := state.known(); ok {
				next.ServeHTTP(w, r.WithContext(recharge.Assume(r.Context(), v, shared.Version, reread)))
				return
			}
		}
		state.sync(r.Context(), s.control)
		if strings.HasPrefix(r.URL.Path, adminPrefix) {
			// What the journal shows covers every replica's requests.
			s.journal.Pull(r.Context())
		}
		next.ServeHTTP(w, r)
	})
}

// sharedViolations is the violation log the store keeps for every process
// that shares it, which proxy mode's proxy lists from whichever replica is
// asked; nil when the store keeps none. Outside proxy mode the only proxies
// are recordings' own, which keep their violations in memory, as the
// recording is this process's.
func sharedViolations(cfg Config) proxy.ViolationLog {
	if cfg.ProxyUpstream == "" {
		return nil
	}
	log, _ := cfg.Store.(proxy.ViolationLog)
	return log
}
