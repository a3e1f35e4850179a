package contract

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Admin calls the sandbox mock's /__admin/ API, through the same client as
// the enquiries so that its exchanges are dumped and judged alike.
type Admin struct {
	client *Client
	token  string
}

// NewAdmin prepares an admin client; token is the mock's --admin-token, empty
// when it has none.
func NewAdmin(client *Client, token string) *Admin { return &Admin{client: client, token: token} }

// TransactionSpec is the body of PUT /__admin/transactions/{reg}/{ref}:
// a state and any provider field; the mock generates the rest.
type TransactionSpec struct {
	State        string    `json:"state"`
	TxnID        string    `json:"txnid,omitempty"`
	OperatorName string    `json:"operatorname,omitempty"`
	CANumber     string    `json:"canumber,omitempty"`
	Amount       string    `json:"amount,omitempty"`
	Comm         string    `json:"comm,omitempty"`
	TDS          string    `json:"tds,omitempty"`
	OperatorID   string    `json:"operatorid,omitempty"`
	DateAdded    string    `json:"dateadded,omitempty"`
	RefundTxnID  string    `json:"refundtxnid,omitempty"`
	DateRefunded string    `json:"daterefunded,omitempty"`
	Resolve      *RuleSpec `json:"resolve,omitempty"`
	Refund       *RuleSpec `json:"refund,omitempty"`
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
	RegistrationID string `json:"registrationId"`
	ReferenceID    string `json:"referenceId"`
	State          string `json:"state"`
	Data           Data   `json:"data"`
	Enquiries      int    `json:"enquiries"`
	StateEnquiries int    `json:"stateEnquiries"`
	Origin         string `json:"origin"`
	Scenario       string `json:"scenario"`
}

// FaultRule is a fault the mock injects into matching enquiries.
type FaultRule struct {
	ID             string   `json:"id,omitempty"`
	Kind           string   `json:"kind"`
	Status         int      `json:"status,omitempty"`
	Latency        string   `json:"latency,omitempty"`
	RetryAfter     string   `json:"retryAfter,omitempty"`
	ReferenceID    string   `json:"referenceId,omitempty"`
	RegistrationID string   `json:"registrationId,omitempty"`
	Probability    *float64 `json:"probability,omitempty"`
	Count          int      `json:"count,omitempty"`
	Remaining      *int     `json:"remaining,omitempty"`
}

// FaultList is the body of GET and PUT /__admin/faults.
type FaultList struct {
	Faults []FaultRule `json:"faults"`
}

// ClockView is the sandbox clock.
type ClockView struct {
	Now    time.Time `json:"now"`
	Offset string    `json:"offset"`
	Frozen bool      `json:"frozen"`
}

// JournalEntry is a request the mock remembers.
type JournalEntry struct {
	Method         string `json:"method"`
	Path           string `json:"path"`
	RegistrationID string `json:"registrationId"`
	ReferenceID    string `json:"referenceId"`
	Status         int    `json:"status"`
	RequestBody    string `json:"requestBody"`
	ResponseBody   string `json:"responseBody"`
	Fault          string `json:"fault"`
}

// Journal is the body of GET /__admin/requests.
type Journal struct {
	Requests []JournalEntry `json:"requests"`
}

// AdminError is the admin API's error body.
type AdminError struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

func transactionPath(registrationID, referenceID string) string {
	return "/__admin/transactions/" + url.PathEscape(registrationID) + "/" + url.PathEscape(referenceID)
}

// PutTransaction creates or replaces a transaction.
func (a *Admin) PutTransaction(ctx context.Context, registrationID, referenceID string, spec TransactionSpec) *Exchange {
	return a.call(ctx, http.MethodPut, transactionPath(registrationID, referenceID), spec)
}

// Transaction reads a transaction.
func (a *Admin) Transaction(ctx context.Context, registrationID, referenceID string) *Exchange {
	return a.call(ctx, http.MethodGet, transactionPath(registrationID, referenceID), nil)
}

// DeleteTransaction forgets a transaction.
func (a *Admin) DeleteTransaction(ctx context.Context, registrationID, referenceID string) *Exchange {
	return a.call(ctx, http.MethodDelete, transactionPath(registrationID, referenceID), nil)
}

// Transactions lists the transactions matching filter (registrationId,
// state).
func (a *Admin) Transactions(ctx context.Context, filter url.Values) *Exchange {
	return a.call(ctx, http.MethodGet, "/__admin/transactions?"+filter.Encode(), nil)
}

// TransactionList is the body of GET /__admin/transactions.
type TransactionList struct {
	Transactions []AdminTransaction `json:"transactions"`
}

// Transition moves a transaction to state to.
func (a *Admin) Transition(ctx context.Context, registrationID, referenceID, to string) *Exchange {
	return a.call(ctx, http.MethodPost, transactionPath(registrationID, referenceID)+"/transition", map[string]string{"to": to})
}

// Requests lists the journal's requests matching filter (referenceId,
// registrationId, since, until, limit).
func (a *Admin) Requests(ctx context.Context, filter url.Values) *Exchange {
	return a.call(ctx, http.MethodGet, "/__admin/requests?"+filter.Encode(), nil)
}

// RequestCount counts the journal's requests matching filter.
func (a *Admin) RequestCount(ctx context.Context, filter url.Values) *Exchange {
	return a.call(ctx, http.MethodGet, "/__admin/requests/count?"+filter.Encode(), nil)
}

// Clock reads the sandbox clock.
func (a *Admin) Clock(ctx context.Context) *Exchange {
	return a.call(ctx, http.MethodGet, "/__admin/clock", nil)
}

// MoveClock sends one of {"advance":"30m"}, {"set":RFC3339},
// {"freeze":RFC3339 or true}, {"resume":true}.
func (a *Admin) MoveClock(ctx context.Context, move map[string]any) *Exchange {
	return a.call(ctx, http.MethodPost, "/__admin/clock", move)
}

// Faults lists the fault rules.
func (a *Admin) Faults(ctx context.Context) *Exchange {
	return a.call(ctx, http.MethodGet, "/__admin/faults", nil)
}

// PutFaults replaces every fault rule.
func (a *Admin) PutFaults(ctx context.Context, rules []FaultRule) *Exchange {
	if rules == nil {
		rules = []FaultRule{}
	}
	return a.call(ctx, http.MethodPut, "/__admin/faults", FaultList{Faults: rules})
}

// AddFault adds one fault rule.
func (a *Admin) AddFault(ctx context.Context, rule FaultRule) *Exchange {
	return a.call(ctx, http.MethodPost, "/__admin/faults", rule)
}

// DeleteFault removes one fault rule.
func (a *Admin) DeleteFault(ctx context.Context, id string) *Exchange {
	return a.call(ctx, http.MethodDelete, "/__admin/faults/"+url.PathEscape(id), nil)
}

// Health asks whether the mock is up.
func (a *Admin) Health(ctx context.Context) *Exchange {
	return a.call(ctx, http.MethodGet, "/__admin/health", nil)
}

func (a *Admin) call(ctx context.Context, method, path string, body any) *Exchange {
	header := http.Header{}
	if a.token != "" {
		header.Set("Authorization", "Bearer "+a.token)
	}
	var raw []byte
	if body != nil {
		var err error
		if raw, err = json.Marshal(body); err != nil {
			return &Exchange{Method: method, Path: path, Err: fmt.Errorf("encode the admin request: %w", err)}
		}
		header.Set("Content-Type", "application/json")
	}
	return a.client.Do(ctx, Request{Method: method, Path: path, Header: header, Body: raw})
}

// DecodeJSON reads ex's answer into v.
func DecodeJSON(ex *Exchange, v any) error {
	if err := json.Unmarshal(ex.Body, v); err != nil {
		return fmt.Errorf("decode the answer of %s %s: %w", ex.Method, ex.Path, err)
	}
	return nil
}
