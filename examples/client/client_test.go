package client_test

import (
	"context"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/examples/client"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// mockIn starts the sandbox's mock answering in the dialect spec, for the
// test's duration, and a client of its partner AOP-554.
func mockIn(t *testing.T, spec string) (*client.Client, dialect.Dialect) {
	t.Helper()
	d, err := dialect.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	mock := mocktest.New(t, mocktest.WithDialect(d))
	return &client.Client{BaseURL: mock.URL, RegistrationID: "AOP-554", HTTP: &http.Client{Timeout: 10 * time.Second}}, d
}

// TestTolerantClientReadsEveryDialect: the client that reads both spellings
// gets every scenario of the mock right in every dialect, the upstream's
// guesses included.
func TestTolerantClientReadsEveryDialect(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{dialect.Page, dialect.Upstream, "upstream;auth-failure-body=code5;error-code-key=responsecode", "upstream;jwt-failure=code7"} {
		t.Run(spec, func(t *testing.T) {
			t.Parallel()
			c, d := mockIn(t, spec)
			ctx := context.Background()
			for ref, state := range map[string]string{"ORDER-1": "success", "PENDING-1": "pending", "FAILED-1": "failed", "REFUND-1": "refunded"} {
				got, err := c.Status(ctx, ref)
				if err != nil || !got.Found || got.Transaction.State() != state || got.Transaction.RefID != ref {
					t.Errorf("Status(%s) = %+v, %v; want found, %s", ref, got, err, state)
				}
			}
			if got, err := c.Status(ctx, "NOTFOUND-1"); err != nil || got.Found {
				t.Errorf("Status(NOTFOUND-1) = %+v, %v; want not found", got, err)
			}
			for ref, failure := range map[string]dialect.Failure{"AUTHFAIL-1": dialect.Authentication, "BADSIG-1": dialect.TokenRejected} {
				_, err := c.Status(ctx, ref)
				status, want := d.ErrorAnswer(failure, "", "")
				var apiErr *client.APIError
				if !errors.As(err, &apiErr) || apiErr.HTTPStatus != status || apiErr.Code != want.ResponseCode || apiErr.Message == "" {
					t.Errorf("Status(%s) error %v, want an APIError with HTTP %d and code %d read", ref, err, status, want.ResponseCode)
				}
			}
		})
	}
}

// TestNaiveClientMisreadsTheUpstream: the client that reads only
// response_code gets the page right, and reports a transaction the upstream
// dialect answers as a success as not found.
func TestNaiveClientMisreadsTheUpstream(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	page, _ := mockIn(t, dialect.Page)
	if got, err := page.NaiveStatus(ctx, "ORDER-1"); err != nil || !got.Found || got.Transaction.State() != "success" {
		t.Fatalf("page: NaiveStatus = %+v, %v; want a success", got, err)
	}

	upstream, _ := mockIn(t, dialect.Upstream)
	truth, err := upstream.Status(ctx, "ORDER-1")
	if err != nil || !truth.Found {
		t.Fatalf("upstream: Status = %+v, %v; want found", truth, err)
	}
	got, err := upstream.NaiveStatus(ctx, "ORDER-1")
	if err != nil {
		t.Fatalf("upstream: NaiveStatus failed loudly (%v); it is the silent misreading this test shows", err)
	}
	if got.Found {
		t.Fatalf("upstream: NaiveStatus read %+v: it reads responsecode after all", got)
	}
	// The upstream's captured 401 with code 25 keeps response_code: the
	// naive client's trouble is the spelling, not the code.
	_, err = upstream.NaiveStatus(ctx, "AUTHFAIL-1")
	var apiErr *client.APIError
	if !errors.As(err, &apiErr) || apiErr.Code != 25 {
		t.Fatalf("upstream: NaiveStatus(AUTHFAIL-1) error %v, want code 25", err)
	}
}
