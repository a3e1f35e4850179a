// Package client is an example of the RechargeStatus client an integrator
// writes: Status reads an answer however the provider spells it, the
// page's `response_code` or the upstream aggregator's `responsecode`, and
// turns every error answer into an *APIError whatever its code. Poller
// polls a recharge until it is final, waiting as the provider's notes and
// Retry-After ask, and passes the sandbox's audit. NaiveStatus
// is the client written from the page alone, kept to show what it misreads.
//
// The package stands alone, as an integrator's code would: copy it and
// change what you need.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Path is where the provider serves RechargeStatus.
const Path = "/api/AOP/RechargeStatus"

// maxAnswer bounds how much of an answer the client reads.
const maxAnswer = 1 << 20

// Client enquires the status of recharges for one registration.
type Client struct {
	// BaseURL is the provider's, such as https://api.aopay.co.in, or the sandbox's.
	BaseURL string
	// RegistrationID is the partner's registration with the provider.
	RegistrationID string
	// HTTP sends the requests; http.DefaultClient when nil. Give it a timeout.
	HTTP *http.Client
}

// Transaction is a found transaction, every field a string as the provider
// writes it.
type Transaction struct {
	TxnID        string  `json:"txnid"`
	OperatorName string  `json:"operatorname"`
	CANumber     string  `json:"canumber"`
	Amount       string  `json:"amount"`
	Comm         string  `json:"comm"`
	TDS          string  `json:"tds"`
	Status       string  `json:"status"`
	RefID        string  `json:"refid"`
	OperatorID   string  `json:"operatorid"`
	DateAdded    string  `json:"dateadded"`
	Refunded     string  `json:"refunded"`
	RefundTxnID  string  `json:"refundtxnid"`
	DateRefunded *string `json:"daterefunded"`
}

// State is where a transaction is: "success", "failed", "refunded" or
// "pending" (any data.status but "1" and "0").
func (t Transaction) State() string {
	switch {
	case t.Status == "1":
		return "success"
	case t.Status == "0" && t.Refunded == "1":
		return "refunded"
	case t.Status == "0":
		return "failed"
	}
	return "pending"
}

// Result is the answer to an enquiry the provider processed.
type Result struct {
	// Found is false when the provider knows no such transaction.
	Found       bool
	Transaction Transaction
}

// APIError is an answer that is not a processed enquiry: a validation
// error, a failed authentication, a rejected Token, an outage.
type APIError struct {
	HTTPStatus int
	Code       int
	Message    string
	Remarks    string
	// RetryAfter is the wait a 429 or 503 asked for in its Retry-After
	// header; 0 when it gave none.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	s := fmt.Sprintf("RechargeStatus: HTTP %d, code %d: %s", e.HTTPStatus, e.Code, e.Message)
	if e.Remarks != "" && e.Remarks != e.Message {
		s += " (" + e.Remarks + ")"
	}
	return s
}

// envelope is every answer's envelope, with the code under both spellings
// the provider is known to use.
type envelope struct {
	ResponseCode         *int         `json:"response_code"`
	UpstreamResponseCode *int         `json:"responsecode"`
	Status               bool         `json:"status"`
	Message              string       `json:"message"`
	Remarks              string       `json:"remarks"`
	Data                 *Transaction `json:"data"`
}

// code is the response code however it is spelt.
func (e envelope) code() (int, bool) {
	switch {
	case e.ResponseCode != nil:
		return *e.ResponseCode, true
	case e.UpstreamResponseCode != nil:
		return *e.UpstreamResponseCode, true
	}
	return 0, false
}

// Status enquires the transaction referenceID.
func (c *Client) Status(ctx context.Context, referenceID string) (Result, error) {
	status, header, body, err := c.post(ctx, referenceID)
	if err != nil {
		return Result{}, err
	}
	var e envelope
	if err := json.Unmarshal(body, &e); err != nil {
		return Result{}, fmt.Errorf("RechargeStatus: HTTP %d, the answer is not JSON: %w", status, err)
	}
	code, ok := e.code()
	if !ok {
		return Result{}, fmt.Errorf("RechargeStatus: HTTP %d, the answer carries no response_code or responsecode", status)
	}
	if status != http.StatusOK {
		return Result{}, &APIError{HTTPStatus: status, Code: code, Message: e.Message, Remarks: e.Remarks, RetryAfter: retryAfter(header)}
	}
	switch {
	case code == 1 && e.Data != nil:
		return Result{Found: true, Transaction: *e.Data}, nil
	case code == 2:
		return Result{Found: false}, nil
	}
	return Result{}, fmt.Errorf("RechargeStatus: HTTP 200 with code %d (data given: %t) is neither found nor not found", code, e.Data != nil)
}

func (c *Client) post(ctx context.Context, referenceID string) (int, http.Header, []byte, error) {
	payload, err := json.Marshal(map[string]string{"referenceid": referenceID, "RegistrationID": c.RegistrationID})
	if err != nil {
		return 0, nil, nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.BaseURL+Path, bytes.NewReader(payload))
	if err != nil {
		return 0, nil, nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	httpClient := c.HTTP
	if httpClient == nil {
		httpClient = http.DefaultClient
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer+1))
	switch {
	case err != nil:
		return 0, nil, nil, fmt.Errorf("RechargeStatus: HTTP %d, the answer broke off: %w", resp.StatusCode, err)
	case len(body) > maxAnswer:
		return 0, nil, nil, errors.New("RechargeStatus: the answer is larger than 1 MiB")
	}
	return resp.StatusCode, resp.Header, body, nil
}

// retryAfter reads Retry-After: seconds or an HTTP date.
func retryAfter(h http.Header) time.Duration {
	v := h.Get("Retry-After")
	if secs, err := strconv.Atoi(v); err == nil && secs > 0 {
		return time.Duration(secs) * time.Second
	}
	if at, err := http.ParseTime(v); err == nil {
		return max(time.Until(at), 0)
	}
	return 0
}
