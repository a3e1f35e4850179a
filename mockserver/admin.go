package mockserver

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"sync"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"

	"github.com/gorilla/mux"

	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// controlPlane is the sandbox's state beside the transactions: fault rules,
// metrics, the fixtures a reset goes back to.
type controlPlane struct {
	faults  *faultSet
	metrics *metrics
	// settings keeps the clock and the fault rules; nil when the store
	// keeps no settings, and they then last as long as the process.
	settings recharge.Settings
	// mu makes reset, reload and clock moves happen one at a time.
	mu       sync.Mutex
	fixtures fixtures.Set
	stopping chan struct{}
	stopOnce sync.Once
}

const clockSetting = "clock"

// initControlPlane restores the clock and the fault rules a persistent store
// kept, and sets up metrics. It runs before the fixtures are loaded, so that
// they are completed on the restored clock.
func (s *Server) initControlPlane(set fixtures.Set) error {
	c := &controlPlane{fixtures: set, stopping: make(chan struct{})}
	c.settings, _ = s.store.(recharge.Settings)
	c.faults = newFaultSet(s.cfg.Seed, func(ctx context.Context, data []byte) error {
		if c.settings == nil {
			return nil
		}
		return c.settings.SaveSetting(ctx, faultsSetting, data)
	})
	if c.settings != nil {
		ctx := context.Background()
		if data, found, err := c.settings.LoadSetting(ctx, clockSetting); err != nil {
			return fmt.Errorf("load clock: %w", err)
		} else if found {
			var st recharge.ClockState
			if err := json.Unmarshal(data, &st); err != nil {
				return fmt.Errorf("saved clock: %w", err)
			}
			s.clock.Restore(st)
		}
		if data, found, err := c.settings.LoadSetting(ctx, faultsSetting); err != nil {
			return fmt.Errorf("load faults: %w", err)
		} else if found {
			if err := c.faults.restore(data); err != nil {
				return err
			}
		}
	}
	m, err := newMetrics(s.cfg.Metrics, s.store)
	if err != nil {
		return err
	}
	c.metrics = m
	s.control = c
	s.afterRequest = s.recordRequest
	return nil
}

// Stop ends the waits of faults in progress (hangs, delays, trickles), so
// that a graceful shutdown need not wait for them.
func (s *Server) Stop() { s.control.stopOnce.Do(func() { close(s.control.stopping) }) }

// Faults lists the fault rules in force.
func (s *Server) Faults() []FaultRule { return s.control.faults.List() }

// AdminTransaction is a transaction as the admin API shows it.
type AdminTransaction struct {
	RegistrationID string              `json:"registrationId"`
	ReferenceID    string              `json:"referenceId"`
	State          recharge.State      `json:"state"`
	Data           rechargestatus.Data `json:"data"`
	Resolve        *recharge.Rule      `json:"resolve,omitempty"`
	Refund         *recharge.Rule      `json:"refund,omitempty"`
	Enquiries      int                 `json:"enquiries"`
	StateEnquiries int                 `json:"stateEnquiries"`
	StateSince     time.Time           `json:"stateSince"`
	Origin         recharge.Origin     `json:"origin"`
	Scenario       string              `json:"scenario,omitempty"`
}

// view shows t as the next enquiry would find it: transitions already due
// are applied, without storing them (the enquiry will).
func (s *Server) view(t recharge.Transaction, now time.Time) AdminTransaction {
	t.Settle(now)
	v := AdminTransaction{
		RegistrationID: t.RegistrationID,
		ReferenceID:    t.ReferenceID,
		State:          t.State,
		Data:           t.Data(s.statusCodes),
		Resolve:        t.Resolve,
		Enquiries:      t.Enquiries,
		StateEnquiries: t.StateEnquiries,
		StateSince:     t.StateSince.UTC(),
		Origin:         t.Origin,
		Scenario:       t.Scenario,
	}
	if t.Refund != nil {
		// A refund always goes to refunded; saying so adds nothing.
		r := *t.Refund
		r.To = ""
		v.Refund = &r
	}
	return v
}

func keyOf(r *http.Request) recharge.Key {
	return recharge.Key{RegistrationID: pathVar(r, "registrationId"), ReferenceID: pathVar(r, "referenceId")}
}

// pathVar is a route variable, unescaped: the router matches encoded paths.
func pathVar(r *http.Request, name string) string {
	raw := mux.Vars(r)[name]
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}

func (s *Server) handleListTransactions(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := recharge.State(q.Get("state"))
	if state != "" && !state.Valid() {
		writeAdminError(w, http.StatusBadRequest, AdminInvalid, fmt.Sprintf("state %q is not one of pending, success, failed, refunded", state))
		return
	}
	txs, err := s.store.List(r.Context(), recharge.Filter{RegistrationID: q.Get("registrationId")})
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	now := s.clock.Now()
	out := []AdminTransaction{}
	for _, t := range txs {
		v := s.view(t, now)
		if state == "" || v.State == state {
			out = append(out, v)
		}
	}
	writeJSON(w, http.StatusOK, map[string][]AdminTransaction{"transactions": out})
}

func (s *Server) handleGetTransaction(w http.ResponseWriter, r *http.Request) {
	t, err := s.store.Get(r.Context(), keyOf(r))
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(t, s.clock.Now()))
}

func (s *Server) handleDeleteTransaction(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Delete(r.Context(), keyOf(r)); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// transactionPut is the body of PUT /__admin/transactions/{reg}/{ref}.
type transactionPut struct {
	State        recharge.State `json:"state"`
	TxnID        string         `json:"txnid"`
	OperatorName string         `json:"operatorname"`
	CANumber     string         `json:"canumber"`
	Amount       string         `json:"amount"`
	Comm         string         `json:"comm"`
	TDS          string         `json:"tds"`
	OperatorID   string         `json:"operatorid"`
	DateAdded    string         `json:"dateadded"`
	RefundTxnID  string         `json:"refundtxnid"`
	DateRefunded string         `json:"daterefunded"`
	Resolve      *ruleBody      `json:"resolve"`
	Refund       *ruleBody      `json:"refund"`
}

type ruleBody struct {
	To             recharge.State `json:"to"`
	AfterEnquiries int            `json:"afterEnquiries"`
	After          string         `json:"after"`
}

func (b *ruleBody) rule(name string, to recharge.State) (*recharge.Rule, error) {
	if b == nil {
		return nil, nil
	}
	// A refund rule always leads from failed to refunded; a resolve rule
	// leads from pending to where it says.
	from := recharge.StateFailed
	if to == "" {
		from, to = recharge.StatePending, b.To
	}
	return recharge.ParseRule(name, from, to, b.AfterEnquiries, b.After)
}

// transaction builds the transaction the body describes for key.
func (b transactionPut) transaction(key recharge.Key) (recharge.Transaction, error) {
	if !b.State.Valid() {
		return recharge.Transaction{}, invalidf("state %q is not one of pending, success, failed, refunded", b.State)
	}
	t := recharge.Transaction{
		Key:          key,
		State:        b.State,
		TxnID:        b.TxnID,
		OperatorName: b.OperatorName,
		CANumber:     b.CANumber,
		Amount:       b.Amount,
		Comm:         b.Comm,
		TDS:          b.TDS,
		OperatorID:   b.OperatorID,
		RefundTxnID:  b.RefundTxnID,
		Origin:       recharge.OriginAdmin,
		Scenario:     "admin-" + string(b.State),
	}
	var err error
	if b.DateAdded != "" {
		if t.DateAdded, err = recharge.ParseProviderTimeField("dateadded", b.DateAdded); err != nil {
			return t, err
		}
	}
	if b.DateRefunded != "" {
		at, err := recharge.ParseProviderTimeField("daterefunded", b.DateRefunded)
		if err != nil {
			return t, err
		}
		t.DateRefunded = &at
	}
	if (b.RefundTxnID != "" || b.DateRefunded != "") && b.State != recharge.StateRefunded {
		return t, invalidf("refundtxnid and daterefunded apply only to state refunded; this one is %s", b.State)
	}
	if b.Resolve != nil && b.State != recharge.StatePending {
		return t, invalidf("resolve applies only to a pending transaction; this one is %s", b.State)
	}
	if b.Refund != nil && b.State != recharge.StatePending && b.State != recharge.StateFailed {
		return t, invalidf("refund applies only to a pending or failed transaction; this one is %s", b.State)
	}
	if t.Resolve, err = b.Resolve.rule("resolve", ""); err != nil {
		return t, err
	}
	if t.Refund, err = b.Refund.rule("refund", recharge.StateRefunded); err != nil {
		return t, err
	}
	return t, nil
}

func (s *Server) handlePutTransaction(w http.ResponseWriter, r *http.Request) {
	key := keyOf(r)
	var body transactionPut
	if err := decodeAdminBody(r, &body); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	if _, ok := s.service.Registration(key.RegistrationID); !ok {
		writeAdminError(w, http.StatusNotFound, AdminNotFound, fmt.Sprintf("no registration %q; registrations come from the fixtures", key.RegistrationID))
		return
	}
	t, err := body.transaction(key)
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	now := s.clock.Now()
	s.service.Complete(&t, now)
	if err := t.Validate(); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	created := false
	stored, err := s.store.Update(r.Context(), key, func(_ recharge.Transaction, found bool) (recharge.Transaction, error) {
		created = !found
		return t, nil
	})
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	status := http.StatusOK
	if created {
		status = http.StatusCreated
		w.Header().Set("Location", "/__admin/transactions/"+url.PathEscape(key.RegistrationID)+"/"+url.PathEscape(key.ReferenceID))
	}
	writeJSON(w, status, s.view(stored, now))
}

func (s *Server) handleTransition(w http.ResponseWriter, r *http.Request) {
	var body struct {
		To recharge.State `json:"to"`
	}
	if err := decodeAdminBody(r, &body); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	t, err := s.service.Transition(r.Context(), keyOf(r), body.To)
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.view(t, s.clock.Now()))
}

// journalFilter reads the journal query parameters.
func journalFilter(q url.Values) (JournalFilter, error) {
	f := JournalFilter{ReferenceID: q.Get("referenceId"), RegistrationID: q.Get("registrationId")}
	for name, dst := range map[string]*time.Time{"since": &f.Since, "until": &f.Until} {
		if v := q.Get(name); v != "" {
			t, err := time.Parse(time.RFC3339Nano, v)
			if err != nil {
				return f, invalidf("%s %q is not an RFC 3339 time such as 2026-03-05T12:00:00Z", name, v)
			}
			*dst = t
		}
	}
	return f, nil
}

func (s *Server) handleListRequests(w http.ResponseWriter, r *http.Request) {
	f, err := journalFilter(r.URL.Query())
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	entries := s.journal.Entries(f)
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			writeAdminError(w, http.StatusBadRequest, AdminInvalid, fmt.Sprintf("limit %q must be a positive integer", v))
			return
		}
		if len(entries) > n {
			entries = entries[len(entries)-n:]
		}
	}
	writeJSON(w, http.StatusOK, map[string][]JournalEntry{"requests": entries})
}

func (s *Server) handleCountRequests(w http.ResponseWriter, r *http.Request) {
	f, err := journalFilter(r.URL.Query())
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"count": s.journal.Count(f)})
}

func (s *Server) handleClearRequests(w http.ResponseWriter, _ *http.Request) {
	s.journal.Clear()
	w.WriteHeader(http.StatusNoContent)
}

// Reset puts the transactions back to the fixtures last loaded and clears the
// fault rules and the journal. It reports how many transactions there are.
func (s *Server) Reset(ctx context.Context) (int, error) {
	s.control.mu.Lock()
	defer s.control.mu.Unlock()
	set := s.control.fixtures
	if err := s.service.Reset(ctx, set.Registrations, set.Transactions); err != nil {
		return 0, err
	}
	if err := s.control.faults.Clear(ctx); err != nil {
		return 0, err
	}
	s.journal.Clear()
	return s.store.Count(ctx)
}

func (s *Server) handleReset(w http.ResponseWriter, r *http.Request) {
	n, err := s.Reset(r.Context())
	if err != nil {
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"transactions": n})
}

// ReloadResult is what reloaded fixtures hold.
type ReloadResult struct {
	Registrations int `json:"registrations"`
	Transactions  int `json:"transactions"`
}

// ReloadFixtures rereads the fixtures and applies them as
// recharge.Service.Reload documents: runtime state wins over the file.
func (s *Server) ReloadFixtures(ctx context.Context) (ReloadResult, error) {
	var set fixtures.Set
	var err error
	switch {
	case s.cfg.FixturesPath != "":
		set, err = fixtures.Load(s.cfg.FixturesPath)
	case s.cfg.Fixtures != nil:
		set = *s.cfg.Fixtures
	default:
		set, err = fixtures.Default()
	}
	if err != nil {
		return ReloadResult{}, recharge.Errorf(recharge.EINVALID, "%s", err.Error())
	}
	s.control.mu.Lock()
	defer s.control.mu.Unlock()
	if err := s.service.Reload(ctx, set.Registrations, set.Transactions); err != nil {
		return ReloadResult{}, err
	}
	s.control.fixtures = set
	return ReloadResult{Registrations: len(set.Registrations), Transactions: len(set.Transactions)}, nil
}

func (s *Server) handleReloadFixtures(w http.ResponseWriter, r *http.Request) {
	res, err := s.ReloadFixtures(r.Context())
	if err != nil {
		if recharge.ErrorCode(err) == recharge.EINVALID {
			writeAdminError(w, http.StatusUnprocessableEntity, AdminInvalid, recharge.ErrorMessage(err))
			return
		}
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, res)
}

// ClockView is the sandbox clock as the admin API shows it.
type ClockView struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
	Frozen bool      `json:"frozen"`
}

func (s *Server) clockView() ClockView {
	st := s.clock.State()
	now := s.clock.Now()
	offset := st.Offset
	if st.Frozen != nil {
		offset = now.Sub(time.Now()).Round(time.Second)
	}
	return ClockView{Now: now.UTC(), Offset: offset.String(), Frozen: st.Frozen != nil}
}

func (s *Server) handleGetClock(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.clockView())
}

// clockMove is the body of POST /__admin/clock: exactly one member.
type clockMove struct {
	Advance *string         `json:"advance"`
	Set     *time.Time      `json:"set"`
	Freeze  json.RawMessage `json:"freeze"`
	Resume  *bool           `json:"resume"`
}

// The sandbox clock stays within these years, so that its offset from the
// system clock always fits a time.Duration (about ±292 years).
var (
	earliestClock = time.Date(1970, 1, 1, 0, 0, 0, 0, time.UTC)
	latestClock   = time.Date(2200, 1, 1, 0, 0, 0, 0, time.UTC)
)

func checkClockRange(t time.Time) error {
	if t.Before(earliestClock) || !t.Before(latestClock) {
		return invalidf("the sandbox clock stays between %d and %d; %s is outside", earliestClock.Year(), latestClock.Year(), t.UTC().Format(time.RFC3339))
	}
	return nil
}

// apply moves the clock as m says.
func (m clockMove) apply(c *recharge.VirtualClock) error {
	switch {
	case m.Advance != nil:
		d, err := time.ParseDuration(*m.Advance)
		if err != nil || d <= 0 {
			return invalidf("advance %q must be a positive duration such as 30m; use set to move the clock back", *m.Advance)
		}
		if err := checkClockRange(c.Now().Add(d)); err != nil {
			return err
		}
		c.Advance(d)
	case m.Set != nil:
		if err := checkClockRange(*m.Set); err != nil {
			return err
		}
		c.Set(*m.Set)
	case m.Freeze != nil:
		var at time.Time
		var now bool
		switch {
		case json.Unmarshal(m.Freeze, &now) == nil && now:
			at = c.Now()
		case json.Unmarshal(m.Freeze, &at) == nil:
		default:
			return invalidf("freeze must be true or an RFC 3339 time")
		}
		if err := checkClockRange(at); err != nil {
			return err
		}
		c.Freeze(at)
	case m.Resume != nil && *m.Resume:
		if st := c.State(); st.Frozen != nil {
			c.Set(*st.Frozen)
		}
	default:
		return invalidf("request body needs exactly one of advance, set, freeze, resume")
	}
	return nil
}

func (s *Server) handleMoveClock(w http.ResponseWriter, r *http.Request) {
	var m clockMove
	if err := decodeAdminBody(r, &m); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	if err := s.moveClock(r.Context(), m); err != nil {
		writeAdminDomainError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, s.clockView())
}

// moveClock moves the clock and commits its new state before returning; on
// a failed commit the clock is put back.
func (s *Server) moveClock(ctx context.Context, m clockMove) error {
	s.control.mu.Lock()
	defer s.control.mu.Unlock()
	before := s.clock.State()
	if err := m.apply(s.clock); err != nil {
		return err
	}
	if s.control.settings == nil {
		return nil
	}
	data, err := json.Marshal(s.clock.State())
	if err == nil {
		err = s.control.settings.SaveSetting(ctx, clockSetting, data)
	}
	if err != nil {
		s.clock.Restore(before)
		return errors.New("save clock: " + err.Error())
	}
	return nil
}
