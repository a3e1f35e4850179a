package mockserver

import (
	"net/http"
	"slices"
	"sync"
	"time"

	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// ContractViolation is one way an upstream answer broke the contract, as
// GET /__admin/violations lists it.
type ContractViolation struct {
	// Time is when the answer came, on the sandbox clock.
	Time           time.Time `json:"time"`
	RegistrationID string    `json:"registrationId"`
	ReferenceID    string    `json:"referenceId"`
	// Status is the upstream's HTTP status.
	Status int `json:"status"`
	conformance.Finding
}

// ViolationList is the answer of GET /__admin/violations.
type ViolationList struct {
	Violations []ContractViolation `json:"violations"`
	// Total counts every violation since the start or the last clear,
	// including those the bounded list no longer holds.
	Total uint64 `json:"total"`
}

// violationLog keeps the latest violations, oldest first.
type violationLog struct {
	mu      sync.Mutex
	limit   int
	entries []ContractViolation
	total   uint64
}

func newViolationLog(limit int) *violationLog {
	if limit <= 0 {
		limit = DefaultJournalSize
	}
	return &violationLog{limit: limit}
}

func (l *violationLog) add(vs []ContractViolation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, vs...)
	l.total += uint64(len(vs))
	if over := len(l.entries) - l.limit; over > 0 {
		l.entries = slices.Delete(l.entries, 0, over)
	}
}

// list returns the kept violations that match every non-empty filter.
func (l *violationLog) list(registrationID, referenceID, rule string) ViolationList {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := ViolationList{Violations: []ContractViolation{}, Total: l.total}
	for _, v := range l.entries {
		if (registrationID == "" || v.RegistrationID == registrationID) &&
			(referenceID == "" || v.ReferenceID == referenceID) &&
			(rule == "" || v.Rule == rule) {
			out.Violations = append(out.Violations, v)
		}
	}
	return out
}

func (l *violationLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.total = nil, 0
}

// ContractViolations lists the violations the proxy has kept, oldest first;
// none outside proxy mode.
func (s *Server) ContractViolations() ViolationList {
	if s.upstream == nil {
		return ViolationList{Violations: []ContractViolation{}}
	}
	return s.upstream.violations.list("", "", "")
}

func (s *Server) handleListViolations(w http.ResponseWriter, r *http.Request) {
	if s.upstream == nil {
		writeJSON(w, http.StatusOK, ViolationList{Violations: []ContractViolation{}})
		return
	}
	q := r.URL.Query()
	writeJSON(w, http.StatusOK, s.upstream.violations.list(q.Get("registrationId"), q.Get("referenceId"), q.Get("rule")))
}

func (s *Server) handleClearViolations(w http.ResponseWriter, _ *http.Request) {
	if s.upstream != nil {
		s.upstream.violations.clear()
	}
	w.WriteHeader(http.StatusNoContent)
}
