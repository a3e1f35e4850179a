// Package audit judges a client of RechargeStatus by what it sent: how it
// polls, retries and gives up, read from the sandbox's request journal.
// Each rule is a pure function of the journaled exchanges of one
// transaction; the rules, their thresholds and the findings are the types
// the admin API (GET /__admin/audit), its typed client, mocktest and
// aopay-audit share.
//
// The rules judge the client, never the provider. Where the provider's
// notes or an HTTP standard say what a client should do, a rule cites
// them; the rest are the sandbox's own, and say so.
package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// RuleID names a rule.
type RuleID string

// The rules.
const (
	PollTooFast         RuleID = "poll-too-fast"
	PollAfterFinal      RuleID = "poll-after-final"
	IgnoresRetryAfter   RuleID = "ignores-retry-after"
	NoBackoff           RuleID = "no-backoff"
	RetriesAuthFailure  RuleID = "retries-auth-failure"
	ConcurrentDuplicate RuleID = "concurrent-duplicate"
	GaveUpPending       RuleID = "gave-up-pending"
)

// Severity is how much a finding matters: info is reported, warning and
// error fail a run by default.
type Severity string

// The severities, least first.
const (
	Info    Severity = "info"
	Warning Severity = "warning"
	Error   Severity = "error"
)

var severityRank = map[Severity]int{Info: 1, Warning: 2, Error: 3}

// AtLeast reports whether s is as severe as min or more.
func (s Severity) AtLeast(min Severity) bool { return severityRank[s] >= severityRank[min] }

// ParseSeverity reads info, warning or error.
func ParseSeverity(s string) (Severity, error) {
	if _, ok := severityRank[Severity(s)]; !ok {
		return "", fmt.Errorf("severity %q is none of info, warning, error", s)
	}
	return Severity(s), nil
}

// Rule is one thing the audit checks.
type Rule struct {
	ID RuleID `json:"id"`
	// Severity is the rule's findings'.
	Severity Severity `json:"severity"`
	// Explanation says what the rule finds and why it matters.
	Explanation string `json:"explanation"`
	// Basis is what the rule rests on: lines of the provider's notes, a
	// standard, and what the sandbox chose beyond them.
	Basis string `json:"basis"`
	// Advice is one line on what the client should do instead.
	Advice string `json:"advice"`
	// Notes cites provider-notes.md, when the notes say it.
	Notes *dialect.Citation `json:"-"`
}

// basis words what a rule rests on: the notes cited, a standard, and what
// the sandbox chose that neither says.
func basis(cited *dialect.Citation, standard, own string) string {
	var parts []string
	if cited != nil {
		parts = append(parts, fmt.Sprintf("%s %q", cited.Lines(), cited.Quote))
	}
	if standard != "" {
		parts = append(parts, standard)
	}
	if own != "" {
		parts = append(parts, "the sandbox's own: "+own)
	}
	return strings.Join(parts, "; ")
}

func notes(from, to int, quote string) *dialect.Citation {
	return &dialect.Citation{From: from, To: to, Quote: quote}
}

// The lines of the provider's notes the rules rest on.
var (
	pollNotes       = notes(56, 56, `pending ("re-query after 30 min")`)
	finalNotes      = notes(57, 59, "pending resolve to success (`\"1\"`) or to failed (`\"0\"`, with the refund fields set when the money is returned). Clients poll RechargeStatus until the status is final")
	tokenNotes      = notes(47, 48, "`reqid` (unique per request)")
	untilFinalNotes = notes(58, 60, "Clients poll RechargeStatus until the status is final; the upstream also offers a callback")
)

// rules are every rule, in the order reports list them.
var rules = []Rule{
	{
		ID: PollTooFast, Severity: Error,
		Explanation: "An enquiry of a transaction came sooner after a pending answer than the minimum interval " +
			"(minPollInterval), measured on the sandbox clock or the system clock, whichever moved further: " +
			"a test that advances the sandbox clock between polls is not flagged.",
		Notes:  pollNotes,
		Basis:  basis(pollNotes, "", ""),
		Advice: "After a pending answer, wait the minimum interval before enquiring again.",
	},
	{
		ID: PollAfterFinal, Severity: Warning,
		Explanation: "An enquiry of a transaction came after it had answered success or refunded, which never change. " +
			"A failed transaction is not final for this rule: a refund may still follow it.",
		Notes:  finalNotes,
		Basis:  basis(finalNotes, "", ""),
		Advice: "Stop polling once an answer says success or refunded; after failed, poll only to learn of a refund.",
	},
	{
		ID: IgnoresRetryAfter, Severity: Error,
		Explanation: "After a 429 or 503 answer carrying Retry-After, the client enquired the same transaction sooner than it said.",
		Basis: basis(nil, "RFC 9110 §10.2.3 Retry-After: how long the user agent ought to wait before making a follow-up request "+
			"(with 503, RFC 9110 §15.6.4; with 429, RFC 6585 §4)", ""),
		Advice: "Wait at least the Retry-After of a 429 or 503 before sending again.",
	},
	{
		ID: NoBackoff, Severity: Error,
		Explanation: "The client retried through consecutive failures (5xx, a reset connection, a timeout) at least " +
			"backoffRetries times, and its last wait was less than backoffGrowth times its first (a wait under 100 ms counts as none).",
		Basis:  basis(nil, "", "no notes line or standard asks for a backoff; growing waits are common practice, and the notes record no rate limit"),
		Advice: "Retry failures with growing waits (exponential backoff with jitter), up to a bound.",
	},
	{
		ID: RetriesAuthFailure, Severity: Error,
		Explanation: "After a 401 or 412, the client sent the same transaction's enquiry again with the same credentials " +
			"(the same Token, or none), so that more than maxAuthAttempts enquiries carried credentials already refused.",
		Notes:  tokenNotes,
		Basis:  basis(tokenNotes, "", "the number of sends tolerated"),
		Advice: "On 401 or 412, sign a new Token (a new reqid and timestamp) or stop and alert; never resend the refused request.",
	},
	{
		ID: ConcurrentDuplicate, Severity: Warning,
		Explanation: "Two enquiries of the same transaction, from different connections, were in flight at once.",
		Basis:       basis(nil, "", "neither the page nor the notes forbid it; it doubles the load and races the client's own state"),
		Advice:      "Keep at most one enquiry of a transaction in flight; share its answer among the callers.",
	},
	{
		ID: GaveUpPending, Severity: Info,
		Explanation: "The last answer the client got for a transaction was pending, and it has not enquired since " +
			"for longer than giveUpAfter on the sandbox clock.",
		Notes:  untilFinalNotes,
		Basis:  basis(untilFinalNotes, "", "the window, and reporting rather than failing: the client may learn the end by the callback the notes mention"),
		Advice: "Keep polling a pending transaction until it is final, or hand it to reconciliation.",
	},
}

// Rules lists every rule, in the order reports list them.
func Rules() []Rule { return append([]Rule(nil), rules...) }

// RuleOf is the rule id names, and whether there is one.
func RuleOf(id RuleID) (Rule, bool) {
	for _, r := range rules {
		if r.ID == id {
			return r, true
		}
	}
	return Rule{}, false
}

// Thresholds are the limits the rules apply.
type Thresholds struct {
	// MinPollInterval is the least wait after a pending answer.
	MinPollInterval time.Duration `json:"minPollInterval"`
	// BackoffRetries is how many retries through failures no-backoff
	// looks at before judging their waits.
	BackoffRetries int `json:"backoffRetries"`
	// BackoffGrowth is how many times the first wait the last of those
	// retries must wait at least.
	BackoffGrowth float64 `json:"backoffGrowth"`
	// MaxAuthAttempts is how many enquiries of a transaction with the same
	// refused credentials are tolerated, the refused one included.
	MaxAuthAttempts int `json:"maxAuthAttempts"`
	// GiveUpAfter is how long after a pending answer, with no enquiry
	// since, a transaction counts as abandoned.
	GiveUpAfter time.Duration `json:"giveUpAfter"`
}

// The default thresholds: the notes' 30 minutes, the rest the sandbox's.
const (
	DefaultMinPollInterval = 30 * time.Minute
	DefaultBackoffRetries  = 3
	DefaultBackoffGrowth   = 2.0
	DefaultMaxAuthAttempts = 2
	DefaultGiveUpAfter     = 2 * time.Hour
)

// DefaultThresholds are the thresholds when none is given.
func DefaultThresholds() Thresholds {
	return Thresholds{
		MinPollInterval: DefaultMinPollInterval,
		BackoffRetries:  DefaultBackoffRetries,
		BackoffGrowth:   DefaultBackoffGrowth,
		MaxAuthAttempts: DefaultMaxAuthAttempts,
		GiveUpAfter:     DefaultGiveUpAfter,
	}
}

// withDefaults is t with every unset threshold at its default.
func (t Thresholds) withDefaults() Thresholds {
	d := DefaultThresholds()
	if t.MinPollInterval <= 0 {
		t.MinPollInterval = d.MinPollInterval
	}
	if t.BackoffRetries <= 0 {
		t.BackoffRetries = d.BackoffRetries
	}
	if t.BackoffGrowth <= 0 {
		t.BackoffGrowth = d.BackoffGrowth
	}
	if t.MaxAuthAttempts <= 0 {
		t.MaxAuthAttempts = d.MaxAuthAttempts
	}
	if t.GiveUpAfter <= 0 {
		t.GiveUpAfter = d.GiveUpAfter
	}
	return t
}
