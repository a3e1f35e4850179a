package control

import (
	"context"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
)

// Audit judges the client by the journal; the auditor reads only the
// entries added since the last audit.
func (c *Control) Audit(_ context.Context, q audit.Query) (audit.Report, error) {
	return c.auditor.Load().Audit(q, c.clock.Now(), func(after uint64, add func(audit.Exchange)) uint64 {
		return c.journal.Scan(after, func(e *admin.JournalEntry, responseBody []byte) {
			add(exchangeOf(e, responseBody))
		})
	}), nil
}

// RestartAudit makes the next audit read the journal whole, as the first
// audit of a process does; the audit's benchmark measures that reading.
func (c *Control) RestartAudit() { c.auditor.Store(audit.NewAuditor()) }

// exchangeOf is what the audit reads of a journal entry; the answer is
// read only for an enquiry of a transaction.
func exchangeOf(e *admin.JournalEntry, responseBody []byte) audit.Exchange {
	x := audit.Exchange{ID: e.ID}
	if e.ReferenceID == "" {
		return x
	}
	duration := time.Duration(e.DurationMillis * float64(time.Millisecond))
	answer, retryAfter := audit.ReadAnswer(e.Status, e.ResponseHeaders, responseBody, e.SystemStarted.Add(duration))
	return audit.Exchange{
		ID: e.ID, StartedAfter: e.StartedAfter,
		RegistrationID: e.RegistrationID, ReferenceID: e.ReferenceID,
		RemoteAddr: e.RemoteAddr, TokenDigest: e.TokenDigest,
		Started: e.Started, Answered: e.Time,
		SystemStarted: e.SystemStarted, Duration: duration,
		Status: e.Status, Answer: answer, RetryAfter: retryAfter,
	}
}
