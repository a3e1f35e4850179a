package faults

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Picked is a fault chosen for one request.
type Picked struct {
	Rule admin.FaultRule
	// Source is "header" or "rule <id>".
	Source string
	// Delay is the drawn latency: the delay before the fault, the spread of
	// a trickle, the bound of a hang.
	Delay time.Duration
}

// Describe says what the fault is and who asked for it, for the journal.
func (p Picked) Describe() string { return p.Source + ": " + Describe(p.Rule) }

// liveRule is a rule in force with the state of its draws.
type liveRule struct {
	admin.FaultRule
	rng *rand.Rand
	// seq orders the rule among those kept, and names its record.
	seq uint64
}

// Set holds the rules in force. Draws come from one generator per rule,
// seeded by the sandbox seed and the rule's id, so the Nth enquiry a rule sees
// gets the same outcome in every run with the same seed. It is safe for
// concurrent use.
type Set struct {
	mu     sync.Mutex
	seed   int64
	rules  []*liveRule
	nextID int
	// nextSeq is the seq of the next rule added.
	nextSeq uint64
	// headerRNG draws latency ranges of X-Mock-Fault headers.
	headerRNG *rand.Rand
	// keep commits every change before it is acknowledged; nil keeps
	// nothing beyond the process.
	keep recharge.Records
}

// NewSet holds rules drawn from seed. keep, when not nil, keeps the rules
// (as Load reads them), each in a record of its own, so that a counted
// rule's new count is written alone.
func NewSet(seed int64, keep recharge.Records) *Set {
	return &Set{
		seed:      seed,
		nextSeq:   1,
		headerRNG: rand.New(rand.NewPCG(uint64(seed), 0x686561646572)),
		keep:      keep,
	}
}

func (s *Set) live(r admin.FaultRule, seq uint64) *liveRule {
	h := fnv.New64a()
	h.Write([]byte(r.ID))
	if r.Count > 0 && r.Remaining == nil {
		n := r.Count
		r.Remaining = &n
	}
	return &liveRule{FaultRule: r, rng: rand.New(rand.NewPCG(uint64(s.seed), h.Sum64())), seq: seq}
}

func snapshot(rules []*liveRule) []admin.FaultRule {
	out := make([]admin.FaultRule, len(rules))
	for i, r := range rules {
		out[i] = r.FaultRule
		if r.Remaining != nil {
			n := *r.Remaining
			out[i].Remaining = &n
		}
		if r.Probability != nil {
			p := *r.Probability
			out[i].Probability = &p
		}
	}
	return out
}

// Collection is the recharge.Records collection the rules are kept in: a
// record per rule, keyed by its place in the order, and one of the set's
// own counters.
const Collection = "faults"

// stateKey names the record of the set's counters; it sorts before every
// rule's.
const stateKey = "0-state"

// setState is what the set keeps beside its rules.
type setState struct {
	// NextID numbers the ids the set gives, so that a restart never gives
	// a deleted rule's id again.
	NextID  int    `json:"nextId"`
	NextSeq uint64 `json:"nextSeq"`
}

func stateRecord(nextID int, nextSeq uint64) (recharge.Record, error) {
	data, err := json.Marshal(setState{NextID: nextID, NextSeq: nextSeq})
	return recharge.Record{Key: stateKey, Value: data}, err
}

// ruleKey is the record key of the rule with seq: fixed-width hex, so that
// key order is rule order.
func ruleKey(seq uint64) string { return fmt.Sprintf("rule-%016x", seq) }

func seqOf(key string) (uint64, bool) {
	hex, ok := strings.CutPrefix(key, "rule-")
	if !ok || len(hex) != 16 {
		return 0, false
	}
	seq, err := strconv.ParseUint(hex, 16, 64)
	return seq, err == nil
}

// record is the rule as it is kept.
func (l *liveRule) record() (recharge.Record, error) {
	data, err := json.Marshal(snapshot([]*liveRule{l})[0])
	return recharge.Record{Key: ruleKey(l.seq), Value: data}, err
}

// write commits changes to the kept rules; with replace, in place of every
// rule kept. The caller holds s.mu.
func (s *Set) write(ctx context.Context, replace bool, changes ...recharge.Record) error {
	if s.keep == nil {
		return nil
	}
	if err := s.keep.WriteRecords(ctx, Collection, replace, changes); err != nil {
		return fmt.Errorf("save faults: %w", err)
	}
	return nil
}

// replace keeps rules, numbered from 1, in place of every rule, then puts
// them in force. The caller holds s.mu.
func (s *Set) replace(ctx context.Context, rules []*liveRule, nextID int) error {
	changes := make([]recharge.Record, 0, len(rules)+1)
	for i, l := range rules {
		l.seq = uint64(i) + 1
		rec, err := l.record()
		if err != nil {
			return err
		}
		changes = append(changes, rec)
	}
	nextSeq := uint64(len(rules)) + 1
	state, err := stateRecord(nextID, nextSeq)
	if err != nil {
		return err
	}
	if err := s.write(ctx, true, append(changes, state)...); err != nil {
		return err
	}
	s.rules, s.nextID, s.nextSeq = rules, nextID, nextSeq
	return nil
}

// Load puts back the rules kept, and reports whether a set was kept at all
// (an empty one included).
func (s *Set) Load(ctx context.Context) (bool, error) {
	if s.keep == nil {
		return false, nil
	}
	records, err := s.keep.LoadRecords(ctx, Collection)
	if err != nil {
		return false, fmt.Errorf("load faults: %w", err)
	}
	var st setState
	found := false
	rules := make([]*liveRule, 0, len(records))
	for _, r := range records {
		if r.Key == stateKey {
			if err := json.Unmarshal(r.Value, &st); err != nil {
				return false, fmt.Errorf("saved faults: %w", err)
			}
			found = true
			continue
		}
		seq, ok := seqOf(r.Key)
		if !ok {
			return false, fmt.Errorf("saved faults: record %q is not a rule", r.Key)
		}
		var rule admin.FaultRule
		if err := json.Unmarshal(r.Value, &rule); err != nil {
			return false, fmt.Errorf("saved fault %s: %w", r.Key, err)
		}
		rules = append(rules, s.live(rule, seq))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.rules, s.nextID, s.nextSeq = rules, st.NextID, max(st.NextSeq, 1)
	for _, l := range rules {
		s.nextSeq = max(s.nextSeq, l.seq+1)
	}
	return found, nil
}

// Adopt puts in force, and keeps as Load reads them, the rules of data as
// earlier releases kept them: one document holding every rule.
func (s *Set) Adopt(ctx context.Context, data []byte) error {
	var p struct {
		Rules  []admin.FaultRule `json:"rules"`
		NextID int               `json:"nextId"`
	}
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("saved faults: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rules := make([]*liveRule, 0, len(p.Rules))
	for _, r := range p.Rules {
		rules = append(rules, s.live(r, 0))
	}
	return s.replace(ctx, rules, p.NextID)
}

// List is the rules in force, in the order they are tried.
func (s *Set) List() []admin.FaultRule {
	s.mu.Lock()
	defer s.mu.Unlock()
	return snapshot(s.rules)
}

// prepare validates a new rule and gives it an id unless it has one.
func prepare(r admin.FaultRule, taken map[string]bool, nextID *int) (admin.FaultRule, error) {
	r.Remaining, r.Injected = nil, 0
	if err := Validate(r); err != nil {
		return r, err
	}
	if r.ID == "" {
		for {
			*nextID++
			r.ID = "f" + strconv.Itoa(*nextID)
			if !taken[r.ID] {
				break
			}
		}
	} else if taken[r.ID] {
		return r, admin.Errorf(http.StatusConflict, admin.CodeConflict, "a fault rule with id %q already exists", r.ID)
	}
	taken[r.ID] = true
	return r, nil
}

// Replace puts rules in force instead of the current ones.
func (s *Set) Replace(ctx context.Context, rules []admin.FaultRule) ([]admin.FaultRule, error) {
	if len(rules) > admin.MaxFaultRules {
		return nil, invalidf("faults: %d rules, more than the %d the sandbox keeps", len(rules), admin.MaxFaultRules)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	taken := make(map[string]bool, len(rules))
	for _, r := range rules {
		if r.ID != "" {
			if taken[r.ID] {
				return nil, invalidf("faults: id %q is used twice", r.ID)
			}
			taken[r.ID] = true
		}
	}
	nextID := s.nextID
	live := make([]*liveRule, 0, len(rules))
	for i, r := range rules {
		if r.ID != "" {
			delete(taken, r.ID)
		}
		p, err := prepare(r, taken, &nextID)
		if err != nil {
			return nil, invalidf("faults[%d].%s", i, messageOf(err))
		}
		live = append(live, s.live(p, 0))
	}
	if err := s.replace(ctx, live, nextID); err != nil {
		return nil, err
	}
	return snapshot(s.rules), nil
}

// Add appends a rule, tried after the others.
func (s *Set) Add(ctx context.Context, r admin.FaultRule) (admin.FaultRule, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	taken := make(map[string]bool, len(s.rules))
	for _, l := range s.rules {
		taken[l.ID] = true
	}
	nextID := s.nextID
	p, err := prepare(r, taken, &nextID)
	if err != nil {
		return admin.FaultRule{}, err
	}
	if len(s.rules) >= admin.MaxFaultRules {
		return admin.FaultRule{}, admin.Errorf(http.StatusConflict, admin.CodeConflict,
			"the sandbox holds %d fault rules, the most it keeps: delete one, or replace them all with PUT", len(s.rules))
	}
	l := s.live(p, s.nextSeq)
	rec, err := l.record()
	if err != nil {
		return admin.FaultRule{}, err
	}
	state, err := stateRecord(nextID, s.nextSeq+1)
	if err != nil {
		return admin.FaultRule{}, err
	}
	if err := s.write(ctx, false, rec, state); err != nil {
		return admin.FaultRule{}, err
	}
	s.rules = append(slices.Clip(s.rules), l)
	s.nextID, s.nextSeq = nextID, s.nextSeq+1
	return snapshot([]*liveRule{l})[0], nil
}

// Delete removes the rule with id.
func (s *Set) Delete(ctx context.Context, id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	i := slices.IndexFunc(s.rules, func(l *liveRule) bool { return l.ID == id })
	if i < 0 {
		return admin.Errorf(http.StatusNotFound, admin.CodeNotFound, "no fault rule with id %q", id)
	}
	if err := s.write(ctx, false, recharge.Record{Key: ruleKey(s.rules[i].seq)}); err != nil {
		return err
	}
	s.rules = slices.Delete(slices.Clone(s.rules), i, i+1)
	return nil
}

// Clear removes every rule.
func (s *Set) Clear(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.replace(ctx, nil, s.nextID)
}

// ClearWith removes every rule as one part of a larger change: commit is
// given the records the collection holds once no rule is left (the set's
// counters, so an id is never given twice) and must keep them in place of
// every record of Collection, with the rest of its change; only when it
// succeeds are the rules cleared. No rule is added or removed meanwhile.
func (s *Set) ClearWith(commit func(records []recharge.Record) error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	state, err := stateRecord(s.nextID, 1)
	if err != nil {
		return err
	}
	if err := commit([]recharge.Record{state}); err != nil {
		return err
	}
	s.rules, s.nextSeq = nil, 1
	return nil
}

// Pick chooses the fault of an enquiry, if any: the first rule whose scope
// matches and whose draw succeeds. A counted rule that runs out expires.
// An error says the new count could not be saved; the fault is picked all
// the same.
func (s *Set) Pick(ctx context.Context, registrationID, referenceID string) (Picked, bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, l := range s.rules {
		if !matches(&l.FaultRule, registrationID, referenceID) {
			continue
		}
		if l.Probability != nil && l.rng.Float64() >= *l.Probability {
			continue
		}
		// A rule is about to fire: the rules must be the shared store's
		// of now, when the enquiry assumed them (recharge.AssumedVersion).
		if err := recharge.AssumedFrom(ctx).Confirm(ctx); errors.Is(err, recharge.ErrStale) {
			return Picked{}, false, err
		}
		if l.Remaining != nil {
			if upd, ok := s.keep.(recharge.RecordUpdater); ok {
				taken, err := s.takeShared(ctx, upd, i, l)
				if err != nil {
					return Picked{}, false, err
				}
				if !taken {
					// Another process used the rule up: it is gone here too.
					return s.pickAfter(ctx, registrationID, referenceID)
				}
				l.Injected++
				return Picked{Rule: l.FaultRule, Source: "rule " + l.ID, Delay: drawDelay(&l.FaultRule, l.rng)}, true, nil
			}
		}
		l.Injected++
		picked := Picked{Rule: l.FaultRule, Source: "rule " + l.ID, Delay: drawDelay(&l.FaultRule, l.rng)}
		if l.Remaining == nil {
			return picked, true, nil
		}
		left := *l.Remaining - 1
		l.Remaining = &left
		// A counted rule's remaining count is state worth keeping: a
		// restart must not hand out the faults again. Only this rule's
		// record is written. Should the store fail, the count still holds
		// for as long as the process runs.
		change, err := l.record()
		if left <= 0 {
			s.rules = slices.Delete(slices.Clone(s.rules), i, i+1)
			change, err = recharge.Record{Key: ruleKey(l.seq)}, nil
		}
		if err == nil {
			err = s.write(ctx, false, change)
		}
		return picked, true, err
	}
	return Picked{}, false, nil
}

// pickAfter picks again once a rule is gone; the caller holds s.mu.
func (s *Set) pickAfter(ctx context.Context, registrationID, referenceID string) (Picked, bool, error) {
	s.mu.Unlock()
	defer s.mu.Lock()
	return s.Pick(ctx, registrationID, referenceID)
}

// takeShared counts the counted rule l (at i) down in a store that other
// processes share, atomically with them, so that a rule with a count of N
// fires N times in all. It reports whether this process took one; the
// caller holds s.mu.
func (s *Set) takeShared(ctx context.Context, upd recharge.RecordUpdater, i int, l *liveRule) (bool, error) {
	var left int
	taken := false
	err := upd.UpdateRecord(ctx, Collection, ruleKey(l.seq), func(cur []byte) ([]byte, error) {
		taken = false
		if cur == nil {
			return nil, nil
		}
		var r admin.FaultRule
		if err := json.Unmarshal(cur, &r); err != nil {
			return nil, fmt.Errorf("saved fault %s: %w", ruleKey(l.seq), err)
		}
		if r.Remaining == nil || *r.Remaining <= 0 {
			return nil, nil
		}
		left, taken = *r.Remaining-1, true
		if left == 0 {
			return nil, nil
		}
		r.Remaining = &left
		return json.Marshal(r)
	})
	if err != nil {
		return false, fmt.Errorf("save faults: %w", err)
	}
	if !taken || left == 0 {
		s.rules = slices.Delete(slices.Clone(s.rules), i, i+1)
	} else {
		l.Remaining = &left
	}
	return taken, nil
}

// FromHeader picks the fault an X-Mock-Fault header asks for.
func (s *Set) FromHeader(rule admin.FaultRule) Picked {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Picked{Rule: rule, Source: "header", Delay: drawDelay(&rule, s.headerRNG)}
}
