package framework

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Admin calls the sandbox mock's /__admin/ API through the suite's client,
// so that its calls are bounded, paced and counted like the enquiries, and
// returns values and typed errors.
type Admin struct {
	client *Client
	token  string
}

// NewAdmin prepares an admin client; token is the mock's --admin-token, empty
// when it has none.
func NewAdmin(client *Client, token string) *Admin { return &Admin{client: client, token: token} }

// AdminError is an answer of the admin API other than the one asked for.
type AdminError struct {
	Status  int
	Code    string
	Message string
}

func (e *AdminError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("the admin API answered HTTP %d", e.Status)
	}
	return fmt.Sprintf("the admin API answered HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// TransactionSpec is the body of PUT /__admin/transactions/{reg}/{ref}:
// a state and any provider field; the mock generates the rest.
type TransactionSpec struct {
	State        string    `json:"state"`
	OperatorName string    `json:"operatorname,omitempty"`
	CANumber     string    `json:"canumber,omitempty"`
	Amount       string    `json:"amount,omitempty"`
	Resolve      *RuleSpec `json:"resolve,omitempty"`
}

// RuleSpec moves a transaction after a number of enquiries or a duration on
// the sandbox clock, whichever comes first.
type RuleSpec struct {
	To             string `json:"to,omitempty"`
	AfterEnquiries int    `json:"afterEnquiries,omitempty"`
	After          string `json:"after,omitempty"`
}

// AdminTransaction is the mock's view of a transaction.
type AdminTransaction struct {
	RegistrationID string              `json:"registrationId"`
	ReferenceID    string              `json:"referenceId"`
	State          string              `json:"state"`
	Data           rechargestatus.Data `json:"data"`
	Enquiries      int                 `json:"enquiries"`
}

// FaultRule is a fault the mock injects into matching enquiries.
type FaultRule struct {
	ID             string `json:"id,omitempty"`
	Kind           string `json:"kind"`
	Status         int    `json:"status,omitempty"`
	ReferenceID    string `json:"referenceId,omitempty"`
	RegistrationID string `json:"registrationId,omitempty"`
	Count          int    `json:"count,omitempty"`
	Remaining      *int   `json:"remaining,omitempty"`
}

// Clock is the sandbox clock.
type Clock struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
	Frozen bool      `json:"frozen"`
}

// JournalEntry is a request the mock remembers.
type JournalEntry struct {
	RegistrationID string `json:"registrationId"`
	Status         int    `json:"status"`
	RequestBody    string `json:"requestBody"`
	Fault          string `json:"fault"`
}

func transactionPath(registrationID, referenceID string) string {
	return "/__admin/transactions/" + url.PathEscape(registrationID) + "/" + url.PathEscape(referenceID)
}

// PutTransaction creates or replaces a transaction, and reports whether it
// was created.
func (a *Admin) PutTransaction(ctx context.Context, registrationID, referenceID string, spec TransactionSpec) (AdminTransaction, bool, error) {
	var view AdminTransaction
	status, err := a.call(ctx, http.MethodPut, transactionPath(registrationID, referenceID), spec, &view, http.StatusOK, http.StatusCreated)
	return view, status == http.StatusCreated, err
}

// Transaction reads a transaction.
func (a *Admin) Transaction(ctx context.Context, registrationID, referenceID string) (AdminTransaction, error) {
	var view AdminTransaction
	_, err := a.call(ctx, http.MethodGet, transactionPath(registrationID, referenceID), nil, &view, http.StatusOK)
	return view, err
}

// DeleteTransaction forgets a transaction.
func (a *Admin) DeleteTransaction(ctx context.Context, registrationID, referenceID string) error {
	_, err := a.call(ctx, http.MethodDelete, transactionPath(registrationID, referenceID), nil, nil, http.StatusNoContent)
	return err
}

// Transactions lists the transactions of a registration in a state.
func (a *Admin) Transactions(ctx context.Context, registrationID, state string) ([]AdminTransaction, error) {
	var list struct{ Transactions []AdminTransaction }
	q := url.Values{"registrationId": {registrationID}, "state": {state}}
	_, err := a.call(ctx, http.MethodGet, "/__admin/transactions?"+q.Encode(), nil, &list, http.StatusOK)
	return list.Transactions, err
}

// Transition moves a transaction to state to.
func (a *Admin) Transition(ctx context.Context, registrationID, referenceID, to string) error {
	_, err := a.call(ctx, http.MethodPost, transactionPath(registrationID, referenceID)+"/transition", map[string]string{"to": to}, nil, http.StatusOK)
	return err
}

// Requests lists the journal's requests of a referenceid.
func (a *Admin) Requests(ctx context.Context, referenceID string) ([]JournalEntry, error) {
	var journal struct{ Requests []JournalEntry }
	_, err := a.call(ctx, http.MethodGet, "/__admin/requests?"+url.Values{"referenceId": {referenceID}}.Encode(), nil, &journal, http.StatusOK)
	return journal.Requests, err
}

// CountRequests counts the journal's requests of a referenceid.
func (a *Admin) CountRequests(ctx context.Context, referenceID string) (int, error) {
	var count struct{ Count int }
	_, err := a.call(ctx, http.MethodGet, "/__admin/requests/count?"+url.Values{"referenceId": {referenceID}}.Encode(), nil, &count, http.StatusOK)
	return count.Count, err
}

// Reset puts the fixtures back and clears the fault rules and the journal.
func (a *Admin) Reset(ctx context.Context) error {
	_, err := a.call(ctx, http.MethodPost, "/__admin/reset", nil, nil, http.StatusOK)
	return err
}

// Clock reads the sandbox clock.
func (a *Admin) Clock(ctx context.Context) (Clock, error) {
	var c Clock
	_, err := a.call(ctx, http.MethodGet, "/__admin/clock", nil, &c, http.StatusOK)
	return c, err
}

// SetClock lets the sandbox clock run on from t.
func (a *Admin) SetClock(ctx context.Context, t time.Time) (Clock, error) {
	var c Clock
	_, err := a.call(ctx, http.MethodPost, "/__admin/clock", map[string]string{"set": t.Format(time.RFC3339Nano)}, &c, http.StatusOK)
	return c, err
}

// AdvanceClock moves the sandbox clock d ahead.
func (a *Admin) AdvanceClock(ctx context.Context, d time.Duration) (Clock, error) {
	var c Clock
	_, err := a.call(ctx, http.MethodPost, "/__admin/clock", map[string]string{"advance": d.String()}, &c, http.StatusOK)
	return c, err
}

// Faults lists the fault rules.
func (a *Admin) Faults(ctx context.Context) ([]FaultRule, error) {
	var list struct{ Faults []FaultRule }
	_, err := a.call(ctx, http.MethodGet, "/__admin/faults", nil, &list, http.StatusOK)
	return list.Faults, err
}

// PutFaults replaces every fault rule.
func (a *Admin) PutFaults(ctx context.Context, rules []FaultRule) error {
	if rules == nil {
		rules = []FaultRule{}
	}
	_, err := a.call(ctx, http.MethodPut, "/__admin/faults", map[string][]FaultRule{"faults": rules}, nil, http.StatusOK)
	return err
}

// AddFault adds one fault rule and returns it as the mock keeps it.
func (a *Admin) AddFault(ctx context.Context, rule FaultRule) (FaultRule, error) {
	var added FaultRule
	_, err := a.call(ctx, http.MethodPost, "/__admin/faults", rule, &added, http.StatusCreated)
	return added, err
}

// DeleteFault removes one fault rule.
func (a *Admin) DeleteFault(ctx context.Context, id string) error {
	_, err := a.call(ctx, http.MethodDelete, "/__admin/faults/"+url.PathEscape(id), nil, nil, http.StatusNoContent)
	return err
}

// Health reads the mock's health status.
func (a *Admin) Health(ctx context.Context) (string, error) {
	var h struct{ Status string }
	_, err := a.call(ctx, http.MethodGet, "/__admin/health", nil, &h, http.StatusOK)
	return h.Status, err
}

// call sends body as JSON and decodes an answer with one of the statuses
// want into out; any other answer is an *AdminError.
func (a *Admin) call(ctx context.Context, method, path string, body, out any, want ...int) (int, error) {
	header := http.Header{}
	if a.token != "" {
		header.Set("Authorization", "Bearer "+a.token)
	}
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return 0, fmt.Errorf("encode the admin request: %w", err)
		}
		header.Set("Content-Type", "application/json")
	}
	ex := a.client.Do(ctx, Request{Method: method, Path: path, Header: header, Body: raw})
	if err := ex.Failure(); err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if !slices.Contains(want, ex.Status) {
		e := &AdminError{Status: ex.Status}
		var refusal struct {
			Error struct{ Code, Message string }
		}
		if json.Unmarshal(ex.Body, &refusal) == nil {
			e.Code, e.Message = refusal.Error.Code, refusal.Error.Message
		}
		return ex.Status, fmt.Errorf("%s %s: %w", method, path, e)
	}
	if out != nil {
		if err := json.Unmarshal(ex.Body, out); err != nil {
			return ex.Status, fmt.Errorf("%s %s: the answer is not the admin API's JSON: %w", method, path, err)
		}
	}
	return ex.Status, nil
}

// FaultHeader is the request header that picks a fault of the mock for one
// enquiry, `<kind>[;param=value...]`.
const FaultHeader = "X-Mock-Fault"
