package boltstore

import (
	"log/slog"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
)

// ErrorLogInterval bounds how often failed writes are logged: the first of
// a run is logged at once, later ones at most once per interval with the
// number left unlogged, so a full disk under load does not flood the log.
const ErrorLogInterval = 10 * time.Second

// writeHealth follows whether the file takes writes.
type writeHealth struct {
	mu     sync.Mutex
	logger *slog.Logger
	now    func() time.Time
	// failure is the latest failed write's error, nil once a write
	// succeeds again; failures counts the run of them.
	failure    error
	failures   int
	lastLogged time.Time
	unlogged   int
}

func (h *writeHealth) failed(path string, err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.failure = err
	h.failures++
	now := h.now()
	if h.failures > 1 && now.Sub(h.lastLogged) < ErrorLogInterval {
		h.unlogged++
		return
	}
	if h.logger != nil {
		h.logger.Error("state file write failed: the change is not kept and the request fails", "path", path, "error", err.Error(), "failuresNotLogged", h.unlogged)
	}
	h.lastLogged, h.unlogged = now, 0
}

func (h *writeHealth) succeeded(path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.failure == nil {
		return
	}
	if h.logger != nil {
		h.logger.Warn("state file writes succeed again", "path", path, "failedWrites", h.failures)
	}
	h.failure, h.failures, h.unlogged = nil, 0, 0
}

// SetLogger makes failed writes logged at error level, rate-limited by
// ErrorLogInterval, and the first write to succeed after them at warn.
func (s *Store) SetLogger(logger *slog.Logger) {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	s.health.logger = logger
}

// WriteError is the error of the latest write if it failed for want of
// storage (a full disk, an I/O error), and nil once a write succeeds again:
// while it is not nil the sandbox cannot keep what it is told. Writes
// refused for what they hold (an unknown transaction, a rejected update)
// do not count.
func (s *Store) WriteError() error {
	s.health.mu.Lock()
	defer s.health.mu.Unlock()
	return s.health.failure
}

// update runs fn in a write transaction, noting whether the file took it: a
// failure of fn is the caller's, not the storage's.
func (s *Store) update(fn func(tx *bolt.Tx) error) error {
	var fnErr error
	err := s.db.Update(func(tx *bolt.Tx) error {
		fnErr = fn(tx)
		return fnErr
	})
	switch {
	case err == nil:
		s.health.succeeded(s.path)
	case fnErr == nil:
		s.health.failed(s.path, err)
	}
	return err
}
