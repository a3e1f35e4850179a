package faults

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"net/http"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
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
	// headerRNG draws latency ranges of X-Mock-Fault headers.
	headerRNG *rand.Rand
	// save commits the rules before a change is acknowledged.
	save func(ctx context.Context, data []byte) error
}

// NewSet holds rules drawn from seed. save, when not nil, commits every
// change (as Restore reads it) before the change is acknowledged.
func NewSet(seed int64, save func(ctx context.Context, data []byte) error) *Set {
	return &Set{
		seed:      seed,
		headerRNG: rand.New(rand.NewPCG(uint64(seed), 0x686561646572)),
		save:      save,
	}
}

func (s *Set) live(r admin.FaultRule) *liveRule {
	h := fnv.New64a()
	h.Write([]byte(r.ID))
	if r.Count > 0 && r.Remaining == nil {
		n := r.Count
		r.Remaining = &n
	}
	return &liveRule{FaultRule: r, rng: rand.New(rand.NewPCG(uint64(s.seed), h.Sum64()))}
}

// persisted is how the rules are saved.
type persisted struct {
	Rules  []admin.FaultRule `json:"rules"`
	NextID int               `json:"nextId"`
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

// commit saves rules as the new set and, once saved, puts them in force.
// The caller holds s.mu.
func (s *Set) commit(ctx context.Context, rules []*liveRule, nextID int) error {
	data, err := json.Marshal(persisted{Rules: snapshot(rules), NextID: nextID})
	if err != nil {
		return err
	}
	if s.save != nil {
		if err := s.save(ctx, data); err != nil {
			return fmt.Errorf("save faults: %w", err)
		}
	}
	s.rules, s.nextID = rules, nextID
	return nil
}

// Restore puts saved rules back in force.
func (s *Set) Restore(data []byte) error {
	var p persisted
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("saved faults: %w", err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	rules := make([]*liveRule, 0, len(p.Rules))
	for _, r := range p.Rules {
		rules = append(rules, s.live(r))
	}
	s.rules, s.nextID = rules, p.NextID
	return nil
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
		live = append(live, s.live(p))
	}
	if err := s.commit(ctx, live, nextID); err != nil {
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
	l := s.live(p)
	rules := append(slices.Clip(s.rules), l)
	if err := s.commit(ctx, rules, nextID); err != nil {
		return admin.FaultRule{}, err
	}
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
	return s.commit(ctx, slices.Delete(slices.Clone(s.rules), i, i+1), s.nextID)
}

// Clear removes every rule.
func (s *Set) Clear(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.commit(ctx, nil, s.nextID)
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
		l.Injected++
		picked := Picked{Rule: l.FaultRule, Source: "rule " + l.ID, Delay: drawDelay(&l.FaultRule, l.rng)}
		if l.Remaining == nil {
			return picked, true, nil
		}
		left := *l.Remaining - 1
		l.Remaining = &left
		rules := s.rules
		if left <= 0 {
			rules = slices.Delete(slices.Clone(s.rules), i, i+1)
		}
		// A counted rule's remaining count is state worth keeping: a
		// restart must not hand out the faults again. Should the store fail,
		// the count still holds for as long as the process runs.
		if err := s.commit(ctx, rules, s.nextID); err != nil {
			s.rules = rules
			return picked, true, err
		}
		return picked, true, nil
	}
	return Picked{}, false, nil
}

// FromHeader picks the fault an X-Mock-Fault header asks for.
func (s *Set) FromHeader(rule admin.FaultRule) Picked {
	s.mu.Lock()
	defer s.mu.Unlock()
	return Picked{Rule: rule, Source: "header", Delay: drawDelay(&rule, s.headerRNG)}
}
