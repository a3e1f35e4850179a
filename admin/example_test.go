package admin_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// A Client arranges a sandbox for a test: here a failed transaction that is
// refunded after one enquiry, and what the sandbox refuses.
func ExampleClient() {
	mock, err := mocktest.Start(mocktest.WithClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()

	c := admin.NewClient(mock.URL) // admin.WithToken(...) for a sandbox with --admin-token
	ctx := context.Background()
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-9"}
	view, created, err := c.PutTransaction(ctx, key, transaction.Description{
		State:  transaction.StateFailed,
		Amount: "99.00",
		Refund: &transaction.Rule{AfterEnquiries: 1},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(created, view.State, view.Data.Status, view.Data.Amount, view.Data.Refunded)

	_, err = c.Transition(ctx, key, transaction.StateSuccess)
	var refused *admin.Error
	if errors.As(err, &refused) {
		fmt.Println(refused.Status, refused.Code, refused.Message)
	}
	_, err = c.GetTransaction(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "NEVER-MADE"})
	fmt.Println(admin.ErrorCode(err), errors.As(err, &refused) && refused.Status == http.StatusNotFound)
	// Output:
	// true failed 0 99.00 0
	// 409 conflict a failed transaction is final and cannot become success
	// not_found true
}
