package recharge

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync/atomic"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Registration is a partner known to the provider.
type Registration struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Key, when set, is the HS256 key of the partner's Token header; a
	// registration with a key must send a valid token with every enquiry.
	Key string `json:"-"`
	// PartnerID is the token's partnerId claim; the registration ID when empty.
	PartnerID string `json:"partnerId,omitempty"`
	// Disabled answers "service is disabled" to every enquiry.
	Disabled bool `json:"disabled,omitempty"`
	// Scenarios are the pattern rules that choose the scenario of this
	// partner's unknown referenceids, its own before the fixtures' rules
	// for all, the first that matches winning.
	Scenarios []transaction.ScenarioPattern `json:"-"`
}

// PartnerIDOrID is the partnerId a token of this registration must carry.
func (r Registration) PartnerIDOrID() string {
	if r.PartnerID != "" {
		return r.PartnerID
	}
	return r.ID
}

// UnknownPolicy says what an enquiry of an unknown referenceid does.
type UnknownPolicy string

const (
	// UnknownCreate makes the transaction on first enquiry, of the
	// scenario Service.Enquire chooses.
	UnknownCreate UnknownPolicy = "create"
	// UnknownNotFound answers "No Transaction found".
	UnknownNotFound UnknownPolicy = "notfound"
)

// ParseUnknownPolicy reads a policy name.
func ParseUnknownPolicy(s string) (UnknownPolicy, error) {
	switch p := UnknownPolicy(s); p {
	case UnknownCreate, UnknownNotFound:
		return p, nil
	}
	return "", fmt.Errorf("unknown policy %q, want create or notfound", s)
}

// DefaultResolveRule resolves a pending transaction once it has answered
// pending three times.
var DefaultResolveRule = transaction.Rule{AfterEnquiries: 3}

// Service answers status enquiries and keeps transactions moving through
// their lifecycle.
type Service struct {
	Store     Store
	Clock     Clock
	Generator Generator
	Unknown   UnknownPolicy
	// DefaultRule is when pending transactions made by convention resolve,
	// and failed ones meant to be refunded are refunded; its To is ignored.
	DefaultRule transaction.Rule
	Tokens      *TokenVerifier
	// MaxAutoCreated bounds the transactions made on first enquiry: beyond
	// it the least recently enquired of them are deleted. Zero keeps them all.
	MaxAutoCreated int

	registrations atomic.Pointer[map[string]Registration]
	auto          autoCreated
}

// NewService wires a service with the given store and clock and the defaults.
func NewService(store Store, clock Clock, seed int64) *Service {
	s := &Service{
		Store:       store,
		Clock:       clock,
		Generator:   Generator{Seed: seed},
		Unknown:     UnknownCreate,
		DefaultRule: DefaultResolveRule,
		Tokens:      &TokenVerifier{Clock: clock},

		MaxAutoCreated: DefaultMaxAutoCreated,
	}
	s.SetRegistrations(nil)
	return s
}

// SetRegistrations replaces the known partners.
func (s *Service) SetRegistrations(regs []Registration) {
	m := make(map[string]Registration, len(regs))
	for _, r := range regs {
		m[r.ID] = r
	}
	s.registrations.Store(&m)
}

// Registration looks a partner up.
func (s *Service) Registration(id string) (Registration, bool) {
	r, ok := (*s.registrations.Load())[id]
	return r, ok
}

// Registrations lists the known partners by ID.
func (s *Service) Registrations() []Registration {
	m := *s.registrations.Load()
	out := make([]Registration, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// Enquiry is one status enquiry as a partner sends it.
type Enquiry struct {
	RegistrationID string
	ReferenceID    string
	// Token is the partner's Token header, if any.
	Token string
	// Scenario, when set, is the scenario the enquiry asks for should its
	// referenceid be unknown (the X-Mock-Scenario header).
	Scenario *transaction.ChosenScenario
}

// Result is the answer to an enquiry that passed authentication.
type Result struct {
	// Found is false when the provider answers "No Transaction found".
	Found       bool
	Transaction Transaction
	// Scenario names what was answered, for logs and metrics.
	Scenario string
}

// Authenticate checks that the partner may enquire: a known, enabled
// registration, with a valid token when it has a key.
func (s *Service) Authenticate(ctx context.Context, q Enquiry) (Registration, error) {
	reg, ok := s.Registration(q.RegistrationID)
	if !ok {
		return Registration{}, authError(rechargestatus.MessageAuthenticationFailed, "unknown RegistrationID")
	}
	if reg.Disabled {
		return Registration{}, transaction.Errorf(transaction.EDISABLED, "service is disabled")
	}
	if reg.Key != "" {
		// Verifying a Token spends its reqid, so an enquiry that could be
		// answered again (AssumedVersion) confirms its shared state first.
		if err := AssumedFrom(ctx).Confirm(ctx); errors.Is(err, ErrStale) {
			return Registration{}, err
		}
		if err := s.Tokens.Verify(reg, q.Token); err != nil {
			return Registration{}, err
		}
	}
	return reg, nil
}

// Enquire answers an enquiry: it authenticates the partner, finds (or, by
// policy, makes) the transaction, applies any due transition and counts the
// enquiry, atomically for that transaction. An unknown referenceid is made
// of the scenario chooseScenario picks.
func (s *Service) Enquire(ctx context.Context, q Enquiry) (Result, error) {
	reg, err := s.Authenticate(ctx, q)
	if err != nil {
		return Result{}, err
	}
	key := transaction.Key{RegistrationID: q.RegistrationID, ReferenceID: q.ReferenceID}
	created := false
	update := s.Store.Update
	if c, ok := s.Store.(EnquiryCounter); ok {
		update = c.UpdateEnquiry
	}
	tx, err := update(ctx, key, func(cur Transaction, found bool) (Transaction, error) {
		// Read within the update, so a reset that moves the clock with
		// the store (Replacement.Made) is seen whole.
		now := s.Clock.Now()
		created = !found
		if !found {
			choice, chosen := chooseScenario(reg, q)
			sc := choice.Scenario
			switch {
			case sc.AuthMessage != "":
				return cur, &transaction.Error{Code: transaction.EUNAUTHORIZED, Message: sc.AuthMessage, TokenRejected: sc.TokenRejected}
			case sc.NotFound || (!chosen && s.Unknown == UnknownNotFound):
				return cur, transaction.Errorf(transaction.ENOTFOUND, "No Transaction found")
			}
			cur = s.newTransaction(key, choice, now)
		}
		cur.Enquire(now)
		return cur, nil
	})
	switch transaction.ErrorCode(err) {
	case "":
		if err := s.noteEnquired(ctx, key, created); err != nil {
			return Result{}, err
		}
		return Result{Found: true, Transaction: tx, Scenario: tx.Scenario}, nil
	case transaction.ENOTFOUND:
		return Result{Found: false, Scenario: "not-found"}, nil
	default:
		return Result{}, err
	}
}

// chooseScenario picks the scenario of q's unknown referenceid, in this
// order: the one the enquiry asks for (the X-Mock-Scenario header), the
// first of reg's pattern rules that matches it, the one its prefix names,
// the default. chosen is false for the last two, which --unknown notfound
// overrides.
func chooseScenario(reg Registration, q Enquiry) (choice transaction.ChosenScenario, chosen bool) {
	if q.Scenario != nil {
		return *q.Scenario, true
	}
	if c, ok := transaction.MatchScenario(reg.Scenarios, q.ReferenceID); ok {
		return c, true
	}
	return transaction.ChosenScenario{Scenario: transaction.ScenarioFor(q.ReferenceID)}, false
}

// NewTransaction makes the transaction of scenario sc for key, as an unknown
// referenceid gets on its first enquiry.
func (s *Service) NewTransaction(key transaction.Key, sc transaction.Scenario, now time.Time) Transaction {
	return s.newTransaction(key, transaction.ChosenScenario{Scenario: sc}, now)
}

// newTransaction is NewTransaction of a chosen scenario, whose rule, when
// it names one, replaces the default.
func (s *Service) newTransaction(key transaction.Key, c transaction.ChosenScenario, now time.Time) Transaction {
	sc := c.Scenario
	rule := s.DefaultRule
	if c.Rule != nil {
		rule = *c.Rule
	}
	t := Transaction{Key: key, State: sc.State, Origin: transaction.OriginAuto, Scenario: sc.Name}
	if sc.Resolves() {
		r := rule
		r.To = sc.Resolve
		t.Resolve = &r
	}
	if sc.RefundAfterFailure {
		r := rule
		r.To = transaction.StateRefunded
		t.Refund = &r
	}
	s.Complete(&t, now)
	return t
}

// Complete fills what a partially described transaction lacks: generated
// data for empty fields, refund fields for a refunded one, the time it
// entered its state.
func (s *Service) Complete(t *Transaction, now time.Time) {
	s.Generator.Fill(t, now)
	if t.StateSince.IsZero() {
		t.StateSince = now
	}
	if t.State == transaction.StateRefunded {
		if t.RefundTxnID == "" {
			t.RefundTxnID = "RF" + t.TxnID
		}
		if t.DateRefunded == nil {
			at := now.Truncate(time.Second)
			if at.Before(t.DateAdded) {
				at = t.DateAdded
			}
			t.DateRefunded = &at
		}
	}
}

// Transition forces a transaction into state to, as the provider's back
// office would. An impossible transition is an transaction.ECONFLICT error saying why.
func (s *Service) Transition(ctx context.Context, key transaction.Key, to transaction.State) (Transaction, error) {
	now := s.Clock.Now()
	return s.Store.Update(ctx, key, func(cur Transaction, found bool) (Transaction, error) {
		if !found {
			return cur, transaction.Errorf(transaction.ENOTFOUND, "no transaction %s", key)
		}
		cur.Settle(now)
		if err := cur.TransitionTo(to, now); err != nil {
			return cur, err
		}
		return cur, nil
	})
}

// Reset puts the store back to the fixtures' registrations and
// transactions, completed at the clock's time, in one Store.Replace.
func (s *Service) Reset(ctx context.Context, regs []Registration, txs []Transaction) error {
	return s.ResetWith(ctx, regs, txs, s.Clock.Now(), Replacement{})
}

// ResetWith is Reset with the fixtures completed at now and the records,
// settings and Made of also replaced with the transactions, at once: a
// reader sees the store before or after, never a fixture missing or made
// afresh from its referenceid by an enquiry racing the reset.
func (s *Service) ResetWith(ctx context.Context, regs []Registration, txs []Transaction, now time.Time, also Replacement) error {
	put, err := s.fixtureTransactions(txs, now)
	if err != nil {
		return err
	}
	also.Keep, also.Add = nil, put
	// Forgotten first: a transaction made between here and the replacement
	// is tracked but gone, which errs towards evicting early.
	s.auto.reset()
	if err := s.Store.Replace(ctx, also); err != nil {
		if all, lerr := s.Store.List(ctx, Filter{}); lerr == nil {
			err = errors.Join(err, s.trackStored(ctx, all))
		}
		return err
	}
	s.SetRegistrations(regs)
	return nil
}

// Reload applies edited fixtures without losing runtime state, in one
// Store.Replace: registrations are replaced; a transaction already in the
// store is kept as it is (runtime state wins over the file); new fixture
// transactions are added; fixture transactions no longer in the file are
// removed.
func (s *Service) Reload(ctx context.Context, regs []Registration, txs []Transaction) error {
	put, err := s.fixtureTransactions(txs, s.Clock.Now())
	if err != nil {
		return err
	}
	inFile := make(map[transaction.Key]bool, len(txs))
	for _, t := range txs {
		inFile[t.Key] = true
	}
	err = s.Store.Replace(ctx, Replacement{
		Keep: func(t Transaction) bool { return t.Origin != transaction.OriginFixture || inFile[t.Key] },
		Add:  put,
	})
	if err != nil {
		return err
	}
	s.SetRegistrations(regs)
	all, err := s.Store.List(ctx, Filter{})
	if err != nil {
		return err
	}
	return s.trackStored(ctx, all)
}

// fixtureTransactions completes and validates the fixtures' transactions.
func (s *Service) fixtureTransactions(txs []Transaction, now time.Time) ([]Transaction, error) {
	out := make([]Transaction, 0, len(txs))
	for _, t := range txs {
		t.Origin = transaction.OriginFixture
		s.Complete(&t, now)
		if err := t.Validate(); err != nil {
			return nil, fmt.Errorf("fixture %s: %w", t.Key, err)
		}
		out = append(out, t)
	}
	return out, nil
}
