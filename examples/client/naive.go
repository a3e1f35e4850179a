package client

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
)

// NaiveStatus is the client written from the provider's page alone: it
// reads `response_code` and nothing else, and takes any code but 1 for "no
// such transaction". Against an answer that spells the code `responsecode`,
// as the upstream aggregator does, it reads code 0 and reports a transaction
// that succeeded as not found: the client retries, or refunds a customer
// who was served. Do not copy it; it is here to be shown failing.
func (c *Client) NaiveStatus(ctx context.Context, referenceID string) (Result, error) {
	status, _, body, err := c.post(ctx, referenceID)
	if err != nil {
		return Result{}, err
	}
	var a struct {
		ResponseCode int          `json:"response_code"`
		Message      string       `json:"message"`
		Data         *Transaction `json:"data"`
	}
	if err := json.Unmarshal(body, &a); err != nil {
		return Result{}, fmt.Errorf("RechargeStatus: HTTP %d, the answer is not JSON: %w", status, err)
	}
	if status != http.StatusOK {
		return Result{}, &APIError{HTTPStatus: status, Code: a.ResponseCode, Message: a.Message}
	}
	if a.ResponseCode != 1 || a.Data == nil {
		return Result{Found: false}, nil
	}
	return Result{Found: true, Transaction: *a.Data}, nil
}
