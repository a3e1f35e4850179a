package mockserver

import (
	"errors"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// writeFailingStore is a store whose writes fail, as on a full disk, while
// fail is set, and which reports it as the bolt store does.
type writeFailingStore struct {
	*recharge.MemoryStore
	mu   sync.Mutex
	fail error
}

func (s *writeFailingStore) WriteError() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fail
}

func (s *writeFailingStore) setFailure(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.fail = err
}

var _ recharge.WriteHealth = (*writeFailingStore)(nil)

// TestHealthIsUnavailableWhileWritesFail reads the health while the store
// reports a failed write: 503 saying why, in the shape the admin API's
// document declares, and ok again once a write succeeds.
func TestHealthIsUnavailableWhileWritesFail(t *testing.T) {
	t.Parallel()
	store := &writeFailingStore{MemoryStore: recharge.NewMemoryStore()}
	sb := newSandbox(t, Config{Store: store})
	var h admin.Health
	if a := sb.admin(http.MethodGet, "/__admin/health", nil); a.status != http.StatusOK {
		t.Fatalf("healthy store: %d %s", a.status, a.body)
	}
	store.setFailure(errors.New("write state.db: no space left on device"))
	a := sb.admin(http.MethodGet, "/__admin/health", nil)
	a.decode(t, &h)
	if a.status != http.StatusServiceUnavailable || h.Status != admin.HealthUnavailable || !strings.Contains(h.Error, "no space left on device") {
		t.Fatalf("while writes fail: %d %s, want 503 unavailable with the reason", a.status, a.body)
	}
	if _, err := sb.srv.Admin().Health(t.Context()); admin.ErrorCode(err) != admin.CodeUnavailable {
		t.Fatalf("in process: %v, want %s as over HTTP", err, admin.CodeUnavailable)
	}
	store.setFailure(nil)
	if a := sb.admin(http.MethodGet, "/__admin/health", nil); a.status != http.StatusOK {
		t.Fatalf("once a write succeeds: %d %s", a.status, a.body)
	}
}
