package audit

import (
	"sync"
	"time"
)

// Auditor audits a journal as it grows: each audit reads only the entries
// added since the one before, into a trail per transaction, and forgets
// what the journal has forgotten. It is safe for concurrent use.
type Auditor struct {
	mu sync.Mutex
	// read is the ID of the last journal entry read.
	read   uint64
	trails map[Key]*trail
	// scratch holds a trail cut to a query's window.
	scratch []Exchange
}

// trail is a transaction's exchanges, oldest first, and the findings of
// the rules that judge the exchanges alone, kept until the exchanges
// change or other thresholds are asked.
type trail struct {
	xs       []Exchange
	checked  bool
	th       Thresholds
	findings []Finding
}

// NewAuditor returns an Auditor that has read nothing yet.
func NewAuditor() *Auditor { return &Auditor{trails: map[Key]*trail{}} }

// Journal reads a journal for the Auditor: it calls add with every entry
// after the ID after, oldest first, and returns the ID of the oldest entry
// the journal still holds (one past the latest when it holds none).
type Journal func(after uint64, add func(Exchange)) (oldest uint64)

// Audit reads what journal added since the last audit, and audits the
// exchanges q selects; now is the sandbox clock. Entries without a
// transaction (a request refused before its referenceid was read) are
// passed over.
func (a *Auditor) Audit(q Query, now time.Time, journal Journal) Report {
	a.mu.Lock()
	defer a.mu.Unlock()
	oldest := journal(a.read, func(x Exchange) {
		a.read = max(a.read, x.ID)
		if x.ReferenceID == "" {
			return
		}
		t := a.trails[x.key()]
		if t == nil {
			t = &trail{}
			a.trails[x.key()] = t
		}
		t.xs, t.checked = append(t.xs, x), false
	})
	a.forgetBefore(oldest)
	th := q.Thresholds.withDefaults()
	report := Report{Now: now, Thresholds: th, Rules: Rules(), Findings: []Finding{}}
	for k, trail := range a.trails {
		if (q.RegistrationID != "" && k.RegistrationID != q.RegistrationID) || (q.ReferenceID != "" && k.ReferenceID != q.ReferenceID) {
			continue
		}
		xs := a.window(trail.xs, q)
		if len(xs) == 0 {
			continue
		}
		report.Transactions++
		report.Exchanges += len(xs)
		if len(xs) < len(trail.xs) {
			report.Findings = append(report.Findings, Check(xs, th, now)...)
			continue
		}
		if !trail.checked || trail.th != th {
			trail.findings, trail.checked, trail.th = apply(nil, xs, th, now, timeless), true, th
		}
		report.Findings = append(report.Findings, trail.findings...)
		report.Findings = apply(report.Findings, xs, th, now, timed)
	}
	sortFindings(report.Findings)
	return report
}

// forgetBefore drops the exchanges whose entries the journal no longer
// holds: the oldest were forgotten first, or the journal was cleared.
func (a *Auditor) forgetBefore(oldest uint64) {
	for k, t := range a.trails {
		if t.xs[0].ID >= oldest {
			continue
		}
		i := 0
		for i < len(t.xs) && t.xs[i].ID < oldest {
			i++
		}
		if i == len(t.xs) {
			delete(a.trails, k)
			continue
		}
		t.xs, t.checked = append(t.xs[:0:0], t.xs[i:]...), false
	}
}

// window is the part of trail answered within q's times: trail itself
// when q sets none.
func (a *Auditor) window(trail []Exchange, q Query) []Exchange {
	if q.Since.IsZero() && q.Until.IsZero() {
		return trail
	}
	a.scratch = a.scratch[:0]
	for _, x := range trail {
		if (q.Since.IsZero() || !x.Answered.Before(q.Since)) && (q.Until.IsZero() || x.Answered.Before(q.Until)) {
			a.scratch = append(a.scratch, x)
		}
	}
	return a.scratch
}
