package audit

import (
	"encoding/json"
	"fmt"
	"time"
)

// Query narrows an audit; empty fields match everything.
type Query struct {
	RegistrationID string
	ReferenceID    string
	// Since and Until bound the exchanges audited by when they were
	// answered, on the sandbox clock: Since included, Until excluded.
	Since, Until time.Time
	// Thresholds of the rules; each one unset takes its default.
	Thresholds Thresholds
}

// Report is the answer of an audit.
type Report struct {
	// Now is the sandbox clock when the audit ran.
	Now time.Time `json:"now"`
	// Thresholds are the ones applied.
	Thresholds Thresholds `json:"thresholds"`
	// Rules are every rule checked.
	Rules []Rule `json:"rules"`
	// Exchanges and Transactions count what was audited.
	Exchanges    int `json:"exchanges"`
	Transactions int `json:"transactions"`
	// Findings are ordered by their first evidence.
	Findings []Finding `json:"findings"`
}

// Finding is one rule broken by the client on one transaction.
type Finding struct {
	Rule           RuleID   `json:"rule"`
	Severity       Severity `json:"severity"`
	RegistrationID string   `json:"registrationId"`
	ReferenceID    string   `json:"referenceId"`
	// Message says what the client did, in one line.
	Message string `json:"message"`
	// Advice says what it should do instead, in one line.
	Advice string `json:"advice"`
	// Occurrences counts the times the rule was broken on the transaction;
	// Evidence holds the journal entries of the first ones.
	Occurrences int        `json:"occurrences"`
	Evidence    []Evidence `json:"evidence"`
}

// MaxEvidence bounds the journal entries a finding shows.
const MaxEvidence = 12

// Evidence is a journal entry a finding rests on: read it whole with GET
// /__admin/requests?after=<id - 1>&limit=1.
type Evidence struct {
	ID uint64 `json:"id"`
	// Started and Time are when the request came and was answered, on the
	// sandbox clock.
	Started time.Time `json:"started"`
	Time    time.Time `json:"time"`
	Status  int       `json:"status"`
	Answer  Answer    `json:"answer"`
	// Note says what the entry shows.
	Note string `json:"note"`
}

// String is the finding in one line.
func (f Finding) String() string {
	return fmt.Sprintf("%s %s %s/%s: %s", f.Severity, f.Rule, f.RegistrationID, f.ReferenceID, f.Message)
}

// Waiver lets a rule's findings pass: on every transaction, or on one
// registration or referenceid when they are set.
type Waiver struct {
	Rule           RuleID
	RegistrationID string
	ReferenceID    string
}

// Waive waives rule on every transaction.
func Waive(rule RuleID) Waiver { return Waiver{Rule: rule} }

// waives reports whether w lets f pass.
func (w Waiver) waives(f *Finding) bool {
	return w.Rule == f.Rule &&
		(w.RegistrationID == "" || w.RegistrationID == f.RegistrationID) &&
		(w.ReferenceID == "" || w.ReferenceID == f.ReferenceID)
}

// Failing lists the findings at least as severe as min that no waiver
// lets pass.
func (r Report) Failing(min Severity, waivers ...Waiver) []Finding {
	var out []Finding
next:
	for _, f := range r.Findings {
		if !f.Severity.AtLeast(min) {
			continue
		}
		for _, w := range waivers {
			if w.waives(&f) {
				continue next
			}
		}
		out = append(out, f)
	}
	return out
}

// thresholdsJSON is Thresholds with durations spelt as Go writes them,
// such as "30m0s".
type thresholdsJSON struct {
	MinPollInterval string  `json:"minPollInterval"`
	BackoffRetries  int     `json:"backoffRetries"`
	BackoffGrowth   float64 `json:"backoffGrowth"`
	MaxAuthAttempts int     `json:"maxAuthAttempts"`
	GiveUpAfter     string  `json:"giveUpAfter"`
}

// MarshalJSON spells the durations as Go writes them.
func (t Thresholds) MarshalJSON() ([]byte, error) {
	return json.Marshal(thresholdsJSON{
		MinPollInterval: t.MinPollInterval.String(), BackoffRetries: t.BackoffRetries,
		BackoffGrowth: t.BackoffGrowth, MaxAuthAttempts: t.MaxAuthAttempts, GiveUpAfter: t.GiveUpAfter.String(),
	})
}

// UnmarshalJSON reads what MarshalJSON writes.
func (t *Thresholds) UnmarshalJSON(b []byte) error {
	var v thresholdsJSON
	if err := json.Unmarshal(b, &v); err != nil {
		return err
	}
	poll, err := time.ParseDuration(v.MinPollInterval)
	if err != nil {
		return fmt.Errorf("minPollInterval: %w", err)
	}
	giveUp, err := time.ParseDuration(v.GiveUpAfter)
	if err != nil {
		return fmt.Errorf("giveUpAfter: %w", err)
	}
	*t = Thresholds{MinPollInterval: poll, BackoffRetries: v.BackoffRetries, BackoffGrowth: v.BackoffGrowth,
		MaxAuthAttempts: v.MaxAuthAttempts, GiveUpAfter: giveUp}
	return nil
}
