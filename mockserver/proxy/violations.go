package proxy

import (
	"context"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
)

// DefaultViolationLimit is how many violations are kept when the Config
// sets no limit.
const DefaultViolationLimit = 1000

// ViolationLog keeps the contract violations a proxy finds, numbered 1, 2,
// ... in the order found since the start or the last clear, the latest of
// them up to a limit. The default keeps them in memory; a store that
// several sandbox processes share keeps one log for all of them.
type ViolationLog interface {
	// AddViolations keeps vs, found in one answer, after those kept,
	// numbered next in order, and forgets the oldest beyond the limit.
	AddViolations(ctx context.Context, vs []admin.Violation) error
	// ViolationPage lists, oldest first, at most limit of the kept
	// violations that q matches and whose number is above after, as
	// PageViolations does.
	ViolationPage(ctx context.Context, q admin.ViolationQuery, after uint64, limit int) (admin.ViolationList, error)
	// ClearViolations forgets every violation, and the total: the next
	// one found is numbered 1.
	ClearViolations(ctx context.Context) error
}

// NumberedViolation is a violation kept and its number among those found
// since the start or the last clear.
type NumberedViolation struct {
	Number uint64
	admin.Violation
}

// PageViolations is the page of a ViolationLog that keeps kept, oldest
// first, of total found: at most limit of those q matches whose number is
// above after; Next is the number found up to the last one listed when
// more follow, "" otherwise.
func PageViolations(kept []NumberedViolation, total uint64, q admin.ViolationQuery, after uint64, limit int) admin.ViolationList {
	out := admin.ViolationList{Violations: []admin.Violation{}, Total: total}
	for i := range kept {
		v := &kept[i]
		if v.Number <= after || !q.Matches(&v.Violation) {
			continue
		}
		if len(out.Violations) == limit {
			out.Next = strconv.FormatUint(v.Number-1, 10)
			break
		}
		out.Violations = append(out.Violations, v.Violation)
	}
	return out
}

// MemoryViolationLog is a ViolationLog in this process's memory.
type MemoryViolationLog struct {
	mu      sync.Mutex
	limit   int
	entries []NumberedViolation
	total   uint64
}

var _ ViolationLog = (*MemoryViolationLog)(nil)

// NewMemoryViolationLog keeps the latest limit violations;
// DefaultViolationLimit when limit is not positive.
func NewMemoryViolationLog(limit int) *MemoryViolationLog {
	if limit <= 0 {
		limit = DefaultViolationLimit
	}
	return &MemoryViolationLog{limit: limit}
}

func (l *MemoryViolationLog) AddViolations(_ context.Context, vs []admin.Violation) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, v := range vs {
		l.total++
		l.entries = append(l.entries, NumberedViolation{Number: l.total, Violation: v})
	}
	if over := len(l.entries) - l.limit; over > 0 {
		l.entries = slices.Delete(l.entries, 0, over)
	}
	return nil
}

func (l *MemoryViolationLog) ViolationPage(_ context.Context, q admin.ViolationQuery, after uint64, limit int) (admin.ViolationList, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return PageViolations(l.entries, l.total, q, after, limit), nil
}

func (l *MemoryViolationLog) ClearViolations(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries, l.total = nil, 0
	return nil
}

// ViolationPage lists the proxy's violations as its log pages them.
func (p *Proxy) ViolationPage(ctx context.Context, q admin.ViolationQuery, after uint64, limit int) (admin.ViolationList, error) {
	return p.violations.ViolationPage(ctx, q, after, limit)
}

// ClearViolations forgets every violation the proxy's log keeps, and the
// total.
func (p *Proxy) ClearViolations(ctx context.Context) error {
	return p.violations.ClearViolations(ctx)
}

// violationLogTimeout bounds one addition to the log: an answer waits no
// longer for a log that does not answer.
const violationLogTimeout = 2 * time.Second

// keep adds vs to the violation log. The answer goes to the client whether
// the log takes them or not: a log that fails is logged once, until it
// takes violations again, and every violation it could not keep is
// counted.
func (p *Proxy) keep(ctx context.Context, vs []admin.Violation) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), violationLogTimeout)
	defer cancel()
	err := p.violations.AddViolations(ctx, vs)
	if err == nil {
		if p.logFailing.CompareAndSwap(true, false) {
			p.cfg.Log.Info("the violation log keeps contract violations again")
		}
		return
	}
	if p.cfg.Unkept != nil {
		p.cfg.Unkept(len(vs))
	}
	if p.logFailing.CompareAndSwap(false, true) {
		p.cfg.Log.Error("contract violations not kept: the violation log failed; the answers are relayed, and the violations logged and counted, until it takes them again", "error", err.Error())
	}
}
