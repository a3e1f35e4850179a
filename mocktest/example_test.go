package mocktest_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// enquire posts the enquiry of registrationID and referenceID to the mock,
// as the code under test would, and returns the answer.
func enquire(mock *mocktest.Mock, registrationID, referenceID string) string {
	body := fmt.Sprintf(`{"referenceid":%q,"RegistrationID":%q}`, referenceID, registrationID)
	res, err := http.Post(mock.EnquiryURL(), "application/json", strings.NewReader(body))
	if err != nil {
		return err.Error()
	}
	defer res.Body.Close()
	answer, _ := io.ReadAll(res.Body)
	return fmt.Sprintf("%d %s", res.StatusCode, answer)
}

// A test starts the mock with mocktest.New(t), which closes it when the
// test ends; outside a test, Start and Close do the same. The built-in
// fixtures answer the provider page's example.
func Example() {
	mock, err := mocktest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()
	fmt.Println(enquire(mock, "AOP-554", "12345678"))
	// Output:
	// 200 {"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}
}

// A transaction arranged through the admin API stays pending for two
// enquiries, then succeeds.
func Example_pendingThenSuccess() {
	mock, err := mocktest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-7"}
	_, _, err = mock.Admin.PutTransaction(context.Background(), key, transaction.Description{
		State:   transaction.StatePending,
		Amount:  "250.00",
		Resolve: &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 2},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	for range 3 {
		answer := enquire(mock, key.RegistrationID, key.ReferenceID)
		status := answer[strings.Index(answer, `"status":"`)+10:][:1]
		fmt.Println("data.status", status)
	}
	// Output:
	// data.status 2
	// data.status 2
	// data.status 1
}

// Time on the sandbox clock moves a transaction on: the clock starts frozen
// here, and the admin API moves it.
func Example_clock() {
	mock, err := mocktest.Start(mocktest.WithClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()
	ctx := context.Background()
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-8"}
	if _, _, err := mock.Admin.PutTransaction(ctx, key, transaction.Description{
		State:   transaction.StatePending,
		Resolve: &transaction.Rule{To: transaction.StateFailed, After: transaction.Duration(30 * time.Minute)},
	}); err != nil {
		fmt.Println(err)
		return
	}
	clock, _ := mock.Admin.MoveClock(ctx, admin.Advance(30*time.Minute))
	view, _ := mock.Admin.GetTransaction(ctx, key)
	fmt.Println(clock.Now.Format(time.RFC3339), view.State)
	// Output:
	// 2026-03-05T12:30:00Z failed
}

// A fault rule makes the next enquiry fail the way the provider can: here
// one 503, then answers as usual.
func Example_faults() {
	mock, err := mocktest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()
	if _, err := mock.Admin.AddFault(context.Background(), admin.FaultRule{Kind: admin.FaultStatus, Status: 503, Count: 1}); err != nil {
		fmt.Println(err)
		return
	}
	for range 2 {
		fmt.Println(enquire(mock, "AOP-554", "FAILED-1001")[:3])
	}
	// Output:
	// 503
	// 200
}

// The audit judges the code under test by what it sent: here it polled a
// pending transaction again at once, where the provider's notes say
// "re-query after 30 min". In a test, mock.Audit(t) fails it with this.
func Example_audit() {
	mock, err := mocktest.Start(mocktest.WithClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()
	enquire(mock, "AOP-554", "STUCK-7")
	enquire(mock, "AOP-554", "STUCK-7")
	report, err := mock.Admin.Audit(context.Background(), audit.Query{})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, f := range report.Findings {
		fmt.Printf("%s %s: %s\n", f.Rule, f.ReferenceID, f.Advice)
	}
	// Output:
	// poll-too-fast STUCK-7: After a pending answer, wait the minimum interval before enquiring again.
}

// printer stands for the test in these examples: it prints what would fail
// it. A test passes its *testing.T instead.
type printer struct{}

func (printer) Helper() {}

func (printer) Fatalf(format string, args ...any) { fmt.Printf("FAIL "+format+"\n", args...) }

// The Mock's helpers take the test and fail it with a clear message rather
// than return an error: a transaction put, the clock advanced by a plain
// time.Duration, a transition forced.
func ExampleMock_Put() {
	mock, err := mocktest.Start(mocktest.WithClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)))
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()
	t := printer{} // a test's t
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-8"}
	mock.Put(t, key, transaction.Description{
		State:   transaction.StatePending,
		Resolve: transaction.ResolveAfter(transaction.StateSuccess, 30*time.Minute),
	})
	clock := mock.Advance(t, 30*time.Minute)
	fmt.Println(clock.Now.Format(time.RFC3339), mock.Get(t, key).State)
	mock.Transition(t, key, transaction.StateRefunded)
	// Output:
	// 2026-03-05T12:30:00Z success
	// FAIL mocktest: transition AOP-554/ORDER-8 to refunded: admin API: HTTP 409 conflict: only a failed transaction can be refunded; this one is success
}

// Verify counts the journaled requests a matcher matches; when the count is
// not the one expected, it fails the test listing the near misses and the
// fields each missed.
func ExampleMock_Verify() {
	mock, err := mocktest.Start()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer mock.Close()
	t := printer{} // a test's t
	for range 3 {
		enquire(mock, "AOP-554", "ORDER-9")
	}
	orderNine := admin.RequestMatcher{
		Method:      "POST",
		ReferenceID: "ORDER-9",
		BodyFields:  map[string]any{"/RegistrationID": "AOP-554"},
	}
	mock.Verify(t, admin.Exactly(3), orderNine)
	mock.Verify(t, admin.Never(), admin.RequestMatcher{ReferenceID: "ORDER-10"})
	orderNine.Status = 503
	mock.Verify(t, admin.AtLeast(1), orderNine)
	// Output:
	// FAIL mocktest: verify: expected at least 1 matching {"method":"POST","status":503,"referenceId":"ORDER-9","bodyFields":{"/RegistrationID":"AOP-554"}}, got 0
	//   near miss #3 POST /api/AOP/RechargeStatus:
	//     status: want 503, got 200
	//   near miss #2 POST /api/AOP/RechargeStatus:
	//     status: want 503, got 200
	//   near miss #1 POST /api/AOP/RechargeStatus:
	//     status: want 503, got 200
}
