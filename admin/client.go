package admin

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"iter"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Client calls a sandbox's admin API over HTTP. It is safe for concurrent use.
type Client struct {
	base  string
	http  *http.Client
	token string
}

var _ Admin = (*Client)(nil)

// ClientOption configures a Client.
type ClientOption func(*Client)

// WithHTTPClient sends the calls with c instead of a client of the Client's
// own with a 30-second timeout.
func WithHTTPClient(c *http.Client) ClientOption { return func(cl *Client) { cl.http = c } }

// WithToken sends the sandbox's admin token (aopay-mock --admin-token) with
// every call.
func WithToken(token string) ClientOption { return func(cl *Client) { cl.token = token } }

// NewClient calls the sandbox at baseURL, such as http://127.0.0.1:8080.
func NewClient(baseURL string, opts ...ClientOption) *Client {
	c := &Client{base: strings.TrimSuffix(baseURL, "/"), http: &http.Client{Timeout: 30 * time.Second}}
	for _, o := range opts {
		o(c)
	}
	return c
}

// maxErrorBytes bounds what is read of an error answer.
const maxErrorBytes = 64 << 10

// send sends op with its path values, query and JSON body (none when nil).
func (c *Client) send(ctx context.Context, op Operation, values []string, query url.Values, body any) (*http.Response, error) {
	route := RouteOf(op)
	target := c.base + route.Path(values...)
	if len(query) > 0 {
		target += "?" + query.Encode()
	}
	var payload io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return nil, fmt.Errorf("admin API %s: %w", op, err)
		}
		payload = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, route.Method, target, payload)
	if err != nil {
		return nil, fmt.Errorf("admin API %s: %w", op, err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return nil, fmt.Errorf("admin API %s: %w", op, err)
	}
	return res, nil
}

// call sends op and decodes a successful answer into out (ignored when
// nil). It returns the answer's status; any answer but a 2xx is an *Error.
func (c *Client) call(ctx context.Context, op Operation, values []string, query url.Values, body, out any) (int, error) {
	res, err := c.send(ctx, op, values, query, body)
	if err != nil {
		return 0, err
	}
	defer res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		return res.StatusCode, errorOf(res)
	}
	if out == nil || res.StatusCode == http.StatusNoContent {
		_, _ = io.Copy(io.Discard, res.Body)
		return res.StatusCode, nil
	}
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return res.StatusCode, fmt.Errorf("admin API %s: answer %d: %w", op, res.StatusCode, err)
	}
	return res.StatusCode, nil
}

// errorOf reads an error answer: the admin envelope, or whatever else came
// (a proxy's page in front of the sandbox) as the message.
func errorOf(res *http.Response) *Error {
	data, _ := io.ReadAll(io.LimitReader(res.Body, maxErrorBytes))
	var env ErrorEnvelope
	if json.Unmarshal(data, &env) == nil && env.Error.Code != "" {
		return &Error{Status: res.StatusCode, ErrorDetail: env.Error}
	}
	return &Error{Status: res.StatusCode, ErrorDetail: ErrorDetail{Message: strings.TrimSpace(string(data))}}
}

func keyValues(k transaction.Key) []string { return []string{k.RegistrationID, k.ReferenceID} }

func (c *Client) PutTransaction(ctx context.Context, key transaction.Key, t transaction.Description) (TransactionView, bool, error) {
	var v TransactionView
	status, err := c.call(ctx, OpPutTransaction, keyValues(key), nil, t, &v)
	return v, status == http.StatusCreated, err
}

func (c *Client) GetTransaction(ctx context.Context, key transaction.Key) (TransactionView, error) {
	var v TransactionView
	_, err := c.call(ctx, OpGetTransaction, keyValues(key), nil, nil, &v)
	return v, err
}

func (c *Client) DeleteTransaction(ctx context.Context, key transaction.Key) error {
	_, err := c.call(ctx, OpDeleteTransaction, keyValues(key), nil, nil, nil)
	return err
}

// ListTransactions reads every page of the transactions f selects.
func (c *Client) ListTransactions(ctx context.Context, f TransactionFilter) ([]TransactionView, error) {
	return collect(c.Transactions(ctx, f, PageQuery{}))
}

// Transactions walks the transactions f selects page by page from p.After,
// in their order, reading a page only when the one before is used up.
func (c *Client) Transactions(ctx context.Context, f TransactionFilter, p PageQuery) iter.Seq2[TransactionView, error] {
	return pages(p, func(p PageQuery) ([]TransactionView, string, error) {
		list, err := c.ListTransactionPage(ctx, f, p)
		return list.Transactions, list.Next, err
	})
}

func (c *Client) ListTransactionPage(ctx context.Context, f TransactionFilter, p PageQuery) (TransactionList, error) {
	q := url.Values{}
	setQuery(q, "registrationId", f.RegistrationID)
	setQuery(q, "state", string(f.State))
	p.values(q)
	var list TransactionList
	_, err := c.call(ctx, OpListTransactions, nil, q, nil, &list)
	return list, err
}

func (c *Client) Transition(ctx context.Context, key transaction.Key, to transaction.State) (TransactionView, error) {
	var v TransactionView
	_, err := c.call(ctx, OpTransition, keyValues(key), nil, Transition{To: to}, &v)
	return v, err
}

func journalQuery(q JournalQuery, withLimit bool) url.Values {
	v := url.Values{}
	setQuery(v, "registrationId", q.RegistrationID)
	setQuery(v, "referenceId", q.ReferenceID)
	if !q.Since.IsZero() {
		v.Set("since", q.Since.Format(time.RFC3339Nano))
	}
	if !q.Until.IsZero() {
		v.Set("until", q.Until.Format(time.RFC3339Nano))
	}
	if q.After != nil {
		v.Set("after", strconv.FormatUint(*q.After, 10))
	}
	if withLimit && q.Limit != 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	return v
}

// ListRequests reads the one page of the last q.Limit entries when that
// fits a page, and otherwise every page from q.After (or the journal's
// start), keeping the last q.Limit entries when it is positive.
func (c *Client) ListRequests(ctx context.Context, q JournalQuery) ([]JournalEntry, error) {
	if q.Limit < 0 {
		// The sandbox says why, in its words.
		_, err := c.ListRequestPage(ctx, q)
		return nil, err
	}
	if q.After == nil && q.Limit > 0 && q.Limit <= MaxJournalPage {
		page, err := c.ListRequestPage(ctx, q)
		return page.Requests, err
	}
	limit := q.Limit
	q.Limit = MaxJournalPage
	if q.After == nil {
		q.After = AfterID(0)
	}
	all := []JournalEntry{}
	for {
		page, err := c.ListRequestPage(ctx, q)
		if err != nil {
			return nil, err
		}
		all = append(all, page.Requests...)
		if limit > 0 && len(all) > limit {
			all = append(all[:0], all[len(all)-limit:]...)
		}
		if !page.HasMore || len(page.Requests) == 0 {
			return all, nil
		}
		q.After = AfterID(page.NextAfter)
	}
}

func (c *Client) ListRequestPage(ctx context.Context, q JournalQuery) (JournalList, error) {
	var list JournalList
	_, err := c.call(ctx, OpListRequests, nil, journalQuery(q, true), nil, &list)
	return list, err
}

func (c *Client) CountRequests(ctx context.Context, q JournalQuery) (int, error) {
	var n Count
	_, err := c.call(ctx, OpCountRequests, nil, journalQuery(q, false), nil, &n)
	return n.Count, err
}

func (c *Client) FindRequests(ctx context.Context, m RequestMatcher) (FoundRequests, error) {
	var found FoundRequests
	_, err := c.call(ctx, OpFindRequests, nil, nil, m, &found)
	return found, err
}

func (c *Client) CountMatching(ctx context.Context, m RequestMatcher) (int, error) {
	var n Count
	_, err := c.call(ctx, OpCountMatching, nil, nil, m, &n)
	return n.Count, err
}

func (c *Client) NearMisses(ctx context.Context, m RequestMatcher) ([]NearMiss, error) {
	var list NearMissList
	_, err := c.call(ctx, OpNearMisses, nil, nil, m, &list)
	return list.NearMisses, err
}

func (c *Client) ClearRequests(ctx context.Context) error {
	_, err := c.call(ctx, OpClearRequests, nil, nil, nil, nil)
	return err
}

func (c *Client) Reset(ctx context.Context) (ResetResult, error) {
	var r ResetResult
	_, err := c.call(ctx, OpReset, nil, nil, nil, &r)
	return r, err
}

func (c *Client) ReloadFixtures(ctx context.Context) (ReloadResult, error) {
	var r ReloadResult
	_, err := c.call(ctx, OpReloadFixtures, nil, nil, nil, &r)
	return r, err
}

// Health reads the sandbox's health. A sandbox whose store cannot be read
// answers 503 with its Health, returned with a CodeUnavailable *Error.
func (c *Client) Health(ctx context.Context) (Health, error) {
	res, err := c.send(ctx, OpHealth, nil, nil, nil)
	if err != nil {
		return Health{}, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK && res.StatusCode != http.StatusServiceUnavailable {
		return Health{}, errorOf(res)
	}
	var h Health
	if err := json.NewDecoder(io.LimitReader(res.Body, maxErrorBytes)).Decode(&h); err != nil {
		return h, fmt.Errorf("admin API %s: answer %d: %w", OpHealth, res.StatusCode, err)
	}
	if res.StatusCode != http.StatusOK {
		return h, &Error{Status: res.StatusCode, ErrorDetail: ErrorDetail{Code: CodeUnavailable, Message: h.Error}}
	}
	return h, nil
}

func (c *Client) Clock(ctx context.Context) (Clock, error) {
	var v Clock
	_, err := c.call(ctx, OpGetClock, nil, nil, nil, &v)
	return v, err
}

func (c *Client) MoveClock(ctx context.Context, m ClockMove) (Clock, error) {
	var v Clock
	_, err := c.call(ctx, OpSetClock, nil, nil, m, &v)
	return v, err
}

// ListFaults reads every page of the rules.
func (c *Client) ListFaults(ctx context.Context) ([]FaultRule, error) {
	return collect(pages(PageQuery{}, func(p PageQuery) ([]FaultRule, string, error) {
		list, err := c.ListFaultPage(ctx, p)
		return list.Faults, list.Next, err
	}))
}

func (c *Client) ListFaultPage(ctx context.Context, p PageQuery) (FaultList, error) {
	q := url.Values{}
	p.values(q)
	var list FaultList
	_, err := c.call(ctx, OpListFaults, nil, q, nil, &list)
	return list, err
}

func (c *Client) ReplaceFaults(ctx context.Context, rules []FaultRule) ([]FaultRule, error) {
	if rules == nil {
		rules = []FaultRule{}
	}
	var list FaultList
	_, err := c.call(ctx, OpReplaceFaults, nil, nil, FaultList{Faults: rules}, &list)
	return list.Faults, err
}

func (c *Client) AddFault(ctx context.Context, rule FaultRule) (FaultRule, error) {
	var added FaultRule
	_, err := c.call(ctx, OpAddFault, nil, nil, rule, &added)
	return added, err
}

func (c *Client) DeleteFault(ctx context.Context, id string) error {
	_, err := c.call(ctx, OpDeleteFault, []string{id}, nil, nil, nil)
	return err
}

func (c *Client) ClearFaults(ctx context.Context) error {
	_, err := c.call(ctx, OpClearFaults, nil, nil, nil, nil)
	return err
}

// Violations reads every page of the violations q selects from q.After;
// Total is the last page's.
func (c *Client) Violations(ctx context.Context, q ViolationQuery) (ViolationList, error) {
	var total uint64
	all, err := collect(pages(q.PageQuery, func(p PageQuery) ([]Violation, string, error) {
		q.PageQuery = p
		list, err := c.ListViolationPage(ctx, q)
		total = list.Total
		return list.Violations, list.Next, err
	}))
	if err != nil {
		return ViolationList{}, err
	}
	return ViolationList{Violations: all, Total: total}, nil
}

func (c *Client) ListViolationPage(ctx context.Context, q ViolationQuery) (ViolationList, error) {
	v := url.Values{}
	setQuery(v, "registrationId", q.RegistrationID)
	setQuery(v, "referenceId", q.ReferenceID)
	setQuery(v, "rule", q.Rule)
	q.PageQuery.values(v)
	var list ViolationList
	_, err := c.call(ctx, OpListViolations, nil, v, nil, &list)
	return list, err
}

func (c *Client) ClearViolations(ctx context.Context) error {
	_, err := c.call(ctx, OpClearViolations, nil, nil, nil, nil)
	return err
}

// Audit asks the sandbox to judge its client by the journal.
func (c *Client) Audit(ctx context.Context, q audit.Query) (audit.Report, error) {
	var r audit.Report
	_, err := c.call(ctx, OpAudit, nil, q.Values(), nil, &r)
	return r, err
}

// Metrics reads the sandbox's Prometheus metrics, in the text exposition
// format.
func (c *Client) Metrics(ctx context.Context) ([]byte, error) {
	res, err := c.send(ctx, OpMetrics, nil, nil, nil)
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return nil, errorOf(res)
	}
	return io.ReadAll(res.Body)
}

func setQuery(q url.Values, name, value string) {
	if value != "" {
		q.Set(name, value)
	}
}
