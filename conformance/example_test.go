package conformance_test

import (
	"fmt"
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

func ExampleCheck() {
	q := rechargestatus.Enquiry{ReferenceID: "12345678", RegistrationID: "AOP-554"}
	header := http.Header{"Content-Type": {"application/json"}}
	body := []byte(`{"response_code":2,"status":true,"message":"No Transaction found"}`)
	for _, v := range conformance.Check(q, http.StatusOK, header, body) {
		fmt.Println(v)
	}
	// Output:
	// /status [agreement]: response_code 2 (no transaction found) comes with status false, got true
}

func ExampleHistory() {
	q := rechargestatus.Enquiry{ReferenceID: "12345678", RegistrationID: "AOP-554"}
	h := conformance.NewHistory(0)
	first := []byte(`{"response_code":1,"status":true,"data":{"txnid":"6469","status":"1","refunded":"0"},"message":"Transaction Enquiry Successful"}`)
	again := []byte(`{"response_code":1,"status":true,"data":{"txnid":"6470","status":"1","refunded":"0"},"message":"Transaction Enquiry Successful"}`)
	h.Observe(q, http.StatusOK, first)
	for _, v := range h.Observe(q, http.StatusOK, again) {
		fmt.Println(v)
	}
	// Output:
	// /data/txnid [final-stable]: txnid was "6469" when the transaction was already success, now "6470"
}
