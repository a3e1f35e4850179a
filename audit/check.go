package audit

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Check applies every rule to the exchanges of one transaction, oldest
// (lowest ID) first; now is the sandbox clock, which gave-up-pending
// measures from. It is a pure function: the same exchanges give the same
// findings.
func Check(xs []Exchange, th Thresholds, now time.Time) []Finding {
	th = th.withDefaults()
	return append(apply(nil, xs, th, now, timeless), apply(nil, xs, th, now, timed)...)
}

// apply appends to out the findings of the rules checks on xs.
func apply(out []Finding, xs []Exchange, th Thresholds, now time.Time, checks []ruleCheck) []Finding {
	if len(xs) == 0 {
		return out
	}
	for _, rule := range checks {
		var f Finding
		rule.check(&f, xs, th, now)
		if f.Occurrences > 0 {
			r, _ := RuleOf(rule.id)
			f.Rule, f.Severity, f.Advice = r.ID, r.Severity, r.Advice
			f.RegistrationID, f.ReferenceID = xs[0].RegistrationID, xs[0].ReferenceID
			out = append(out, f)
		}
	}
	return out
}

// ruleCheck is a rule's function: it counts in f the times xs break the
// rule, and cites the evidence.
type ruleCheck struct {
	id    RuleID
	check func(f *Finding, xs []Exchange, th Thresholds, now time.Time)
}

// timeless are the rules that judge the exchanges alone: their findings
// change only with the exchanges. timed judges them against the clock.
var (
	timeless = []ruleCheck{
		{PollTooFast, pollTooFast},
		{PollAfterFinal, pollAfterFinal},
		{IgnoresRetryAfter, ignoresRetryAfter},
		{NoBackoff, noBackoff},
		{RetriesAuthFailure, retriesAuthFailure},
		{ConcurrentDuplicate, concurrentDuplicate},
	}
	timed = []ruleCheck{{GaveUpPending, gaveUpPending}}
)

// cite adds x to f's evidence, once, within MaxEvidence; note is worded
// only then.
func cite(f *Finding, x *Exchange, note func() string) {
	if len(f.Evidence) >= MaxEvidence {
		return
	}
	for _, e := range f.Evidence {
		if e.ID == x.ID {
			return
		}
	}
	f.Evidence = append(f.Evidence, Evidence{ID: x.ID, Started: x.Started, Time: x.Answered, Status: x.Status, Answer: x.Answer, Note: note()})
}

// says is a note already worded.
func says(note string) func() string { return func() string { return note } }

// wait words a duration for a message, to the millisecond.
func wait(d time.Duration) string { return d.Round(time.Millisecond).String() }

func pollTooFast(f *Finding, xs []Exchange, th Thresholds, _ time.Time) {
	var pending *Exchange
	shortest := time.Duration(-1)
	for i := range xs {
		x := &xs[i]
		if pending != nil && sentAfter(pending, x) {
			if w := waited(pending, x); w < th.MinPollInterval {
				f.Occurrences++
				if shortest < 0 || w < shortest {
					shortest = w
				}
				cite(f, pending, says("answered pending"))
				cite(f, x, func() string {
					return "sent " + wait(w) + " after #" + strconv.FormatUint(pending.ID, 10) + " answered pending"
				})
			}
		}
		switch {
		case x.Answer == AnswerPending:
			pending = x
		case x.Answer.state():
			pending = nil
		}
	}
	if f.Occurrences > 0 {
		f.Message = fmt.Sprintf("enquired %d time(s) sooner than %s after a pending answer; the shortest wait %s",
			f.Occurrences, th.MinPollInterval, wait(shortest))
	}
}

func pollAfterFinal(f *Finding, xs []Exchange, _ Thresholds, _ time.Time) {
	var final *Exchange
	for i := range xs {
		x := &xs[i]
		if final != nil && sentAfter(final, x) {
			f.Occurrences++
			cite(f, final, func() string { return "answered " + string(final.Answer) + ", which never changes" })
			cite(f, x, func() string { return fmt.Sprintf("sent after #%d answered %s", final.ID, final.Answer) })
			continue
		}
		if final == nil && x.Answer.final() {
			final = x
		}
	}
	if f.Occurrences > 0 {
		f.Message = fmt.Sprintf("enquired %d time(s) after #%d answered %s", f.Occurrences, final.ID, final.Answer)
	}
}

func ignoresRetryAfter(f *Finding, xs []Exchange, _ Thresholds, _ time.Time) {
	var firstSeen string
	for i := range xs {
		limited := &xs[i]
		if limited.Answer != AnswerRateLimited || limited.RetryAfter <= 0 {
			continue
		}
		next := nextSentAfter(xs[i+1:], limited)
		if next == nil {
			continue
		}
		if w := waited(limited, next); w < limited.RetryAfter {
			f.Occurrences++
			cite(f, limited, func() string {
				return fmt.Sprintf("answered %d with Retry-After %s", limited.Status, limited.RetryAfter)
			})
			cite(f, next, func() string { return fmt.Sprintf("sent %s after #%d", wait(w), limited.ID) })
			if firstSeen == "" {
				firstSeen = fmt.Sprintf("#%d came %s after #%d asked for %s", next.ID, wait(w), limited.ID, limited.RetryAfter)
			}
		}
	}
	if f.Occurrences > 0 {
		f.Message = fmt.Sprintf("retried sooner than Retry-After %d time(s); first: %s", f.Occurrences, firstSeen)
	}
}

// nextSentAfter is the first of xs sent once a had been answered.
func nextSentAfter(xs []Exchange, a *Exchange) *Exchange {
	for i := range xs {
		if sentAfter(a, &xs[i]) {
			return &xs[i]
		}
	}
	return nil
}

// noWait is the wait after a failure that no-backoff counts as none.
const noWait = 100 * time.Millisecond

func noBackoff(f *Finding, xs []Exchange, th Thresholds, _ time.Time) {
	// run holds consecutive failures, each retried by the next exchange;
	// waits[i] is how long the client waited after run[i].
	var run []*Exchange
	var waits []time.Duration
	judge := func(end *Exchange) {
		defer func() { run, waits = run[:0], waits[:0] }()
		if len(waits) < th.BackoffRetries {
			return
		}
		first, last := waits[0], waits[len(waits)-1]
		if last > first && float64(last) >= th.BackoffGrowth*float64(first) {
			return
		}
		f.Occurrences++
		if f.Message == "" {
			words := make([]string, len(waits))
			for i, w := range waits {
				words[i] = wait(w)
			}
			f.Message = fmt.Sprintf("retried %d time(s) through failures, waiting %s: the last wait is not %g times the first",
				len(waits), strings.Join(words, ", "), th.BackoffGrowth)
		}
		for i, x := range run {
			note := describe(x)
			if i < len(waits) {
				note += fmt.Sprintf("; retried %s later", wait(waits[i]))
			}
			cite(f, x, func() string { return note })
		}
		if end != nil {
			cite(f, end, func() string { return "the last retry, answered " + describe(end) })
		}
	}
	for i := range xs {
		x := &xs[i]
		if len(run) > 0 {
			if !sentAfter(run[len(run)-1], x) {
				continue
			}
			w := waited(run[len(run)-1], x)
			if w < noWait {
				// Below it the clocks' noise could pass for growth.
				w = 0
			}
			waits = append(waits, w)
		}
		if x.Answer.failed() {
			run = append(run, x)
			continue
		}
		if len(run) > 0 {
			judge(x)
		}
	}
	if len(run) > 0 {
		judge(nil)
	}
}

// describe words what an exchange was answered.
func describe(x *Exchange) string {
	switch x.Answer {
	case AnswerNone:
		return "no answer"
	case AnswerRateLimited:
		return fmt.Sprintf("%d, Retry-After %s", x.Status, x.RetryAfter)
	}
	if x.Answer.state() || x.Answer == AnswerNotFound {
		return string(x.Answer)
	}
	return fmt.Sprintf("HTTP %d", x.Status)
}

func retriesAuthFailure(f *Finding, xs []Exchange, th Thresholds, _ time.Time) {
	type refusal struct {
		first    *Exchange
		attempts int
	}
	refused := map[string]*refusal{}
	for i := range xs {
		x := &xs[i]
		r := refused[x.TokenDigest]
		switch {
		case r != nil && sentAfter(r.first, x):
			r.attempts++
			if r.attempts > th.MaxAuthAttempts {
				f.Occurrences++
				cite(f, r.first, func() string { return fmt.Sprintf("answered %d: credentials refused", r.first.Status) })
				cite(f, x, func() string {
					return fmt.Sprintf("sent the credentials #%d had refused again (%s), attempt %d", r.first.ID, credentials(x), r.attempts)
				})
			}
		case r == nil && x.Answer == AnswerRefused:
			refused[x.TokenDigest] = &refusal{first: x, attempts: 1}
		}
	}
	if f.Occurrences > 0 {
		f.Message = fmt.Sprintf("sent refused credentials %d time(s) more than the %d attempts tolerated", f.Occurrences, th.MaxAuthAttempts)
	}
}

// credentials words what x authenticated with.
func credentials(x *Exchange) string {
	if x.TokenDigest == "" {
		return "no Token"
	}
	return "the same Token"
}

func concurrentDuplicate(f *Finding, xs []Exchange, _ Thresholds, _ time.Time) {
	for j := range xs {
		b := &xs[j]
		for i := j - 1; i >= 0 && xs[i].ID > b.StartedAfter; i-- {
			a := &xs[i]
			// A request the client gave up on (no answer) may overlap its
			// retry; requests on one HTTP/1 connection never overlap.
			if a.Status == 0 || b.Status == 0 || a.RemoteAddr == b.RemoteAddr {
				continue
			}
			f.Occurrences++
			cite(f, a, says("in flight"))
			cite(f, b, func() string { return fmt.Sprintf("sent while #%d was in flight", a.ID) })
			if f.Message == "" {
				f.Message = fmt.Sprintf("#%d (from %s) was sent while #%d (from %s) was in flight", b.ID, b.RemoteAddr, a.ID, a.RemoteAddr)
			}
		}
	}
	if f.Occurrences > 1 {
		f.Message += fmt.Sprintf(", and %d more pair(s)", f.Occurrences-1)
	}
}

func gaveUpPending(f *Finding, xs []Exchange, th Thresholds, now time.Time) {
	last := &xs[len(xs)-1]
	var told *Exchange
	for i := len(xs) - 1; i >= 0 && told == nil; i-- {
		if xs[i].Answer.state() {
			told = &xs[i]
		}
	}
	if told == nil || told.Answer != AnswerPending {
		return
	}
	if since := now.Sub(last.Answered); since >= th.GiveUpAfter {
		f.Occurrences = 1
		cite(f, told, says("the last state answered: pending"))
		if last != told {
			cite(f, last, func() string { return "the last enquiry, answered " + describe(last) })
		}
		f.Message = fmt.Sprintf("stopped enquiring after #%d answered pending; nothing since for %s", told.ID, wait(since))
	}
}

// sortFindings orders findings by their first evidence, then by rule.
func sortFindings(fs []Finding) {
	order := map[RuleID]int{}
	for i, r := range rules {
		order[r.ID] = i
	}
	first := func(f *Finding) uint64 {
		if len(f.Evidence) == 0 {
			return 0
		}
		return f.Evidence[0].ID
	}
	slices.SortStableFunc(fs, func(a, b Finding) int {
		return cmp.Or(cmp.Compare(first(&a), first(&b)), cmp.Compare(order[a.Rule], order[b.Rule]),
			cmp.Compare(a.RegistrationID, b.RegistrationID), cmp.Compare(a.ReferenceID, b.ReferenceID))
	})
}
