package admin

import (
	"context"

	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Admin is the sandbox's admin API. A Client implements it over HTTP; the
// mock server implements it in process (mockserver.Server.Admin), and the two
// answer alike: the same values, and an *Error of the same status and code
// for every refusal (over HTTP, the admin API's OpenAPI document may word
// the message first).
type Admin interface {
	// PutTransaction creates or replaces the transaction at key and reports
	// whether it created it. The registration must be among the fixtures'.
	PutTransaction(ctx context.Context, key transaction.Key, t transaction.Description) (view TransactionView, created bool, err error)
	GetTransaction(ctx context.Context, key transaction.Key) (TransactionView, error)
	DeleteTransaction(ctx context.Context, key transaction.Key) error
	// ListTransactions lists every transaction f selects; over HTTP it
	// reads them page by page.
	ListTransactions(ctx context.Context, f TransactionFilter) ([]TransactionView, error)
	// ListTransactionPage reads one page of them, as GET
	// /__admin/transactions answers it.
	ListTransactionPage(ctx context.Context, f TransactionFilter, p PageQuery) (TransactionList, error)
	// Transition forces the transaction into state to, as the provider's
	// back office would; an impossible transition is a CodeConflict Error.
	Transition(ctx context.Context, key transaction.Key, to transaction.State) (TransactionView, error)

	// ListRequests lists every journaled request q selects, oldest first:
	// the last q.Limit of them when it is positive. Over HTTP it reads the
	// journal page by page.
	ListRequests(ctx context.Context, q JournalQuery) ([]JournalEntry, error)
	// ListRequestPage reads one page of the journal, as GET
	// /__admin/requests answers it.
	ListRequestPage(ctx context.Context, q JournalQuery) (JournalList, error)
	CountRequests(ctx context.Context, q JournalQuery) (int, error)
	// FindRequests lists the journaled requests m matches, and the near
	// misses when none does; a matcher the sandbox cannot read is a
	// CodeInvalid Error naming the field.
	FindRequests(ctx context.Context, m RequestMatcher) (FoundRequests, error)
	// CountMatching counts the journaled requests m matches.
	CountMatching(ctx context.Context, m RequestMatcher) (int, error)
	// NearMisses lists the journaled requests closest to matching m that
	// do not, the closest first, at most MaxNearMisses.
	NearMisses(ctx context.Context, m RequestMatcher) ([]NearMiss, error)
	ClearRequests(ctx context.Context) error

	// Reset puts the sandbox back as a first start makes it: the
	// transactions back to the fixtures last loaded, no fault rule, the
	// clock following the system clock again (not moved, not frozen) and an
	// empty journal. The proxy's findings are kept. Every enquiry sees all
	// of it or none.
	Reset(ctx context.Context) (ResetResult, error)
	// ReloadFixtures rereads the fixtures; runtime state wins over the file.
	ReloadFixtures(ctx context.Context) (ReloadResult, error)
	Health(ctx context.Context) (Health, error)

	Clock(ctx context.Context) (Clock, error)
	MoveClock(ctx context.Context, m ClockMove) (Clock, error)

	ListFaults(ctx context.Context) ([]FaultRule, error)
	// ListFaultPage reads one page of the rules, in the order they are
	// tried, as GET /__admin/faults answers it.
	ListFaultPage(ctx context.Context, p PageQuery) (FaultList, error)
	// ReplaceFaults puts rules in force instead of the current ones.
	ReplaceFaults(ctx context.Context, rules []FaultRule) ([]FaultRule, error)
	// AddFault appends a rule, tried after the others.
	AddFault(ctx context.Context, rule FaultRule) (FaultRule, error)
	DeleteFault(ctx context.Context, id string) error
	ClearFaults(ctx context.Context) error

	// Violations lists what proxy mode found wrong in upstream answers;
	// nothing outside proxy mode.
	// Over HTTP it reads them page by page, from q.After.
	Violations(ctx context.Context, q ViolationQuery) (ViolationList, error)
	// ListViolationPage reads one page of them, oldest first, as GET
	// /__admin/violations answers it.
	ListViolationPage(ctx context.Context, q ViolationQuery) (ViolationList, error)
	ClearViolations(ctx context.Context) error

	// StartRecording forwards the enquiries of the registrations start
	// names to its upstream, judged and relayed as proxy mode does, and
	// records their answers as fixtures; a recording in progress is a
	// CodeConflict Error.
	StartRecording(ctx context.Context, start RecordingStart) (RecordingStatus, error)
	// StopRecording ends the recording in progress, written whole; with
	// none in progress, a CodeConflict Error.
	StopRecording(ctx context.Context) (RecordingStatus, error)
	// Recording is the recording in progress, or the last one.
	Recording(ctx context.Context) (RecordingStatus, error)
	// RecordingSnapshot is what the recording in progress, or the last one,
	// holds so far, as a fixtures file in format (JSON when ""); with no
	// recording yet, a CodeNotFound Error.
	RecordingSnapshot(ctx context.Context, format SnapshotFormat) ([]byte, error)

	// Audit judges the client by the journal: how it polled, retried and
	// gave up, transaction by transaction (package audit).
	Audit(ctx context.Context, q audit.Query) (audit.Report, error)
}
