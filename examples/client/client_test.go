package client_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/examples/client"
)

// serve answers enquiries in dialect d, by a prefix of the referenceid as
// the sandbox's conventions do.
func serve(t *testing.T, d dialect.Dialect) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		q, err := d.ReadEnquiry(body, r.Header.Get(rechargestatus.TokenHeader))
		if err != nil {
			status, e := d.ErrorAnswer(dialect.Validation, err.Error(), "")
			w.WriteHeader(status)
			_, _ = w.Write(d.AppendError(nil, e))
			return
		}
		status, answer := answerFor(d, q.ReferenceID)
		w.WriteHeader(status)
		_, _ = w.Write(answer)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func answerFor(d dialect.Dialect, ref string) (int, []byte) {
	prefix, _, _ := strings.Cut(ref, "-")
	data := &rechargestatus.Data{TxnID: "1739594884", OperatorName: "Dish TV", CANumber: "7067018549", Amount: "10",
		Comm: "0.00", TDS: "0.00", Status: rechargestatus.StatusSuccess, RefID: ref, OperatorID: "DUMMYOPERATOR ID",
		DateAdded: "2026-03-05 17:09:59", Refunded: "0"}
	switch prefix {
	case "PENDING":
		data.Status = d.Knobs().PendingStatus
	case "FAILED":
		data.Status = rechargestatus.StatusFailed
	case "REFUND":
		at := "2026-03-05 18:02:37"
		data.Status, data.Refunded, data.RefundTxnID, data.DateRefunded = rechargestatus.StatusFailed, "1", "RF1739594884", &at
	case "NOTFOUND":
		return http.StatusOK, d.AppendAnswer(nil, rechargestatus.Answer{ResponseCode: rechargestatus.CodeNotFound, Message: rechargestatus.MessageNotFound})
	case "AUTHFAIL":
		status, e := d.ErrorAnswer(dialect.Authentication, rechargestatus.MessageAuthenticationFailed, "unknown RegistrationID")
		return status, d.AppendError(nil, e)
	case "BADSIG":
		status, e := d.ErrorAnswer(dialect.TokenRejected, rechargestatus.MessageInvalidSignatureEncoding, "")
		return status, d.AppendError(nil, e)
	}
	return http.StatusOK, d.AppendAnswer(nil, rechargestatus.Answer{ResponseCode: rechargestatus.CodeFound, Status: true, Data: data, Message: rechargestatus.MessageFound})
}

func dialects(t *testing.T) []dialect.Dialect {
	t.Helper()
	var out []dialect.Dialect
	for _, spec := range []string{"page", "upstream", "upstream;auth-failure-body=code5;error-code-key=responsecode", "upstream;jwt-failure=code7"} {
		d, err := dialect.Parse(spec)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, d)
	}
	return out
}

// TestTolerantClientReadsEveryDialect: the client that reads both spellings
// gets every scenario right in every dialect.
func TestTolerantClientReadsEveryDialect(t *testing.T) {
	for _, d := range dialects(t) {
		c := &client.Client{BaseURL: serve(t, d), RegistrationID: "AOP-554"}
		for ref, state := range map[string]string{"SUCCESS-1": "success", "PENDING-1": "pending", "FAILED-1": "failed", "REFUND-1": "refunded"} {
			got, err := c.Status(context.Background(), ref)
			if err != nil || !got.Found || got.Transaction.State() != state || got.Transaction.RefID != ref {
				t.Errorf("%s: Status(%s) = %+v, %v; want found, %s", d, ref, got, err, state)
			}
		}
		if got, err := c.Status(context.Background(), "NOTFOUND-1"); err != nil || got.Found {
			t.Errorf("%s: Status(NOTFOUND-1) = %+v, %v; want not found", d, got, err)
		}
		for _, ref := range []string{"AUTHFAIL-1", "BADSIG-1"} {
			_, err := c.Status(context.Background(), ref)
			var apiErr *client.APIError
			if !errors.As(err, &apiErr) || apiErr.Code == 0 || apiErr.HTTPStatus < 400 || apiErr.Message == "" {
				t.Errorf("%s: Status(%s) error %v, want an APIError with the code read", d, ref, err)
			}
		}
	}
}

// TestNaiveClientMisreadsTheUpstream: the client that reads only
// response_code gets the page right and reports the upstream's successful
// transaction as not found.
func TestNaiveClientMisreadsTheUpstream(t *testing.T) {
	page, _ := dialect.Lookup(dialect.Page)
	c := &client.Client{BaseURL: serve(t, page), RegistrationID: "AOP-554"}
	if got, err := c.NaiveStatus(context.Background(), "SUCCESS-1"); err != nil || !got.Found || got.Transaction.State() != "success" {
		t.Fatalf("page: NaiveStatus = %+v, %v; want a success", got, err)
	}

	upstream, _ := dialect.Lookup(dialect.Upstream)
	c = &client.Client{BaseURL: serve(t, upstream), RegistrationID: "AOP-554"}
	truth, err := c.Status(context.Background(), "SUCCESS-1")
	if err != nil || !truth.Found {
		t.Fatalf("upstream: Status = %+v, %v; want found", truth, err)
	}
	got, err := c.NaiveStatus(context.Background(), "SUCCESS-1")
	if err != nil {
		t.Fatalf("upstream: NaiveStatus failed loudly (%v); it is the silent misreading this test shows", err)
	}
	if got.Found {
		t.Fatalf("upstream: NaiveStatus read %+v: it reads responsecode after all", got)
	}
	// The upstream's 401 with code 25 is read as its code by both: the
	// naive client's trouble is the spelling, not the code.
	_, err = c.NaiveStatus(context.Background(), "AUTHFAIL-1")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 25 {
		t.Fatalf("upstream: NaiveStatus(AUTHFAIL-1) error %v", err)
	}
}
