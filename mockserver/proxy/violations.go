package proxy

import (
	"slices"
	"strconv"
	"sync"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

// DefaultViolationLimit is how many violations are kept when the Config
// sets no limit.
const DefaultViolationLimit = 1000

// violationLog keeps the latest violations, oldest first.
type violationLog struct {
	mu      sync.Mutex
	limit   int
	entries []admin.Violation
	total   uint64
}

func newViolationLog(limit int) *violationLog {
	if limit <= 0 {
		limit = DefaultViolationLimit
	}
	return &violationLog{limit: limit}
}

func (l *violationLog) add(vs []admin.Violation) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = append(l.entries, vs...)
	l.total += uint64(len(vs))
	if over := len(l.entries) - l.limit; over > 0 {
		l.entries = slices.Delete(l.entries, 0, over)
	}
}

// Violations lists the kept violations that q matches, oldest first, and
// how many were found in all.
func (p *Proxy) Violations(q admin.ViolationQuery) admin.ViolationList {
	l := p.violations
	l.mu.Lock()
	defer l.mu.Unlock()
	out := admin.ViolationList{Violations: []admin.Violation{}, Total: l.total}
	for _, v := range l.entries {
		if q.Matches(&v) {
			out.Violations = append(out.Violations, v)
		}
	}
	return out
}

// ClearViolations forgets every violation, and the total.
func (p *Proxy) ClearViolations() {
	l := p.violations
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.total = nil, 0
}

// ViolationPage lists, oldest first, at most limit of the kept violations
// that q matches and that came after the first after violations found
// since the start or the last clear; Next is the number found up to the
// last one listed when more follow, "" otherwise.
func (p *Proxy) ViolationPage(q admin.ViolationQuery, after uint64, limit int) admin.ViolationList {
	l := p.violations
	l.mu.Lock()
	defer l.mu.Unlock()
	out := admin.ViolationList{Violations: []admin.Violation{}, Total: l.total}
	// The i-th entry kept is the (first+i)-th violation found.
	first := l.total - uint64(len(l.entries)) + 1
	for i, v := range l.entries {
		seq := first + uint64(i)
		if seq <= after || !q.Matches(&v) {
			continue
		}
		if len(out.Violations) == limit {
			out.Next = strconv.FormatUint(seq-1, 10)
			break
		}
		out.Violations = append(out.Violations, v)
	}
	return out
}
