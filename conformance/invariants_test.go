package conformance

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

const pageExample = `{"response_code":1,"status":true,"data":{"txnid":"6469","operatorname":"ICICI Bank","canumber":"DL10CG6228","amount":"1","comm":"0.00","tds":"0.00","status":"1","refid":"12345678","operatorid":"MockLazYafrYZ7","dateadded":"2021-08-20 15:41:08","refunded":"0","refundtxnid":"","daterefunded":null},"message":"Transaction Enquiry Successful"}`

const refundedExample = `{"response_code":1,"status":true,"data":{"txnid":"7310042220","operatorname":"Paytm Payments Bank","canumber":"TN09BX4410","amount":"1000.00","comm":"0.00","tds":"0.00","status":"0","refid":"REFUND-1001","operatorid":"","dateadded":"2026-03-05 17:15:02","refunded":"1","refundtxnid":"RF7310042220","daterefunded":"2026-03-05 18:02:37"},"message":"Transaction Enquiry Successful"}`

var pageEnquiry = rechargestatus.Enquiry{ReferenceID: "12345678", RegistrationID: "AOP-554"}

func jsonHeader() http.Header {
	return http.Header{"Content-Type": {"application/json; charset=utf-8"}}
}

// edit decodes body, lets change alter it, and encodes it again.
func edit(t *testing.T, body string, change func(envelope, data map[string]any)) string {
	t.Helper()
	var envelope map[string]any
	if err := json.Unmarshal([]byte(body), &envelope); err != nil {
		t.Fatal(err)
	}
	data, _ := envelope["data"].(map[string]any)
	change(envelope, data)
	b, err := json.Marshal(envelope)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestCheckAcceptsConsistentAnswers(t *testing.T) {
	cases := []struct {
		name   string
		q      rechargestatus.Enquiry
		status int
		body   string
	}{
		{"page example", pageEnquiry, 200, pageExample},
		{"refunded", rechargestatus.Enquiry{ReferenceID: "REFUND-1001", RegistrationID: "AOP-554"}, 200, refundedExample},
		{"not found", pageEnquiry, 200, `{"response_code":2,"status":false,"message":"No Transaction found"}`},
		{"not found with null data", pageEnquiry, 200, `{"response_code":2,"status":false,"data":null,"message":"No Transaction found"}`},
		{"page's 401", pageEnquiry, 401, `{"status":false,"response_code":7,"message":"Invalid signature encoding"}`},
		{"upstream's 401 processing error", pageEnquiry, 401, `{"status":false,"response_code":5,"message":"Authentication failed"}`},
		{"validation error", pageEnquiry, 400, `{"status":false,"response_code":4,"message":"Validations Error: referenceid is required"}`},
		{"disabled", pageEnquiry, 404, `{"status":false,"response_code":3,"message":"service is disabled"}`},
		{"injected 503", pageEnquiry, 503, `{"status":false,"response_code":5,"message":"Service Unavailable"}`},
		{"undeclared error status", pageEnquiry, 418, `{"status":false,"response_code":9,"message":"I'm a teapot","remarks":"x"}`},
		{"pending", rechargestatus.Enquiry{ReferenceID: "P-1"}, 200, edit(t, pageExample, func(_, d map[string]any) { d["status"] = "2"; d["refid"] = "P-1"; d["operatorid"] = "" })},
		{"negative amount", pageEnquiry, 200, edit(t, pageExample, func(_, d map[string]any) { d["amount"] = "-1.50" })},
		{"no referenceid asked", rechargestatus.Enquiry{}, 200, pageExample},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := Check(tc.q, tc.status, jsonHeader(), []byte(tc.body)); len(got) != 0 {
				t.Errorf("want no violation, got %v", got)
			}
		})
	}
}

func TestCheckCatchesInconsistentAnswers(t *testing.T) {
	cases := []struct {
		name    string
		status  int
		header  http.Header
		body    string
		rule    string
		pointer string
	}{
		{"text/html", 200, http.Header{"Content-Type": {"text/html"}}, pageExample, RuleContentType, ""},
		{"no content type", 200, http.Header{}, pageExample, RuleContentType, ""},
		{"empty body", 200, nil, "", RuleJSON, ""},
		{"not JSON", 200, nil, `{"response_code":1,"status":tru`, RuleJSON, ""},
		{"JSON array", 200, nil, `[]`, RuleJSON, ""},
		{"JSON null", 200, nil, `null`, RuleJSON, ""},
		{"two JSON values", 200, nil, pageExample + pageExample, RuleJSON, ""},
		{"wrapped envelope", 200, nil, `{"result":` + pageExample + `}`, RuleEnvelope, "/status"},
		{"status a string", 200, nil, edit(t, pageExample, func(e, _ map[string]any) { e["status"] = "true" }), RuleEnvelope, "/status"},
		{"response_code a string", 200, nil, edit(t, pageExample, func(e, _ map[string]any) { e["response_code"] = "1" }), RuleEnvelope, "/response_code"},
		{"message missing", 200, nil, edit(t, pageExample, func(e, _ map[string]any) { delete(e, "message") }), RuleEnvelope, "/message"},
		{"found with status false", 200, nil, edit(t, pageExample, func(e, _ map[string]any) { e["status"] = false }), RuleAgreement, "/status"},
		{"found without data", 200, nil, edit(t, pageExample, func(e, _ map[string]any) { delete(e, "data") }), RuleData, "/data"},
		{"found with another message", 200, nil, edit(t, pageExample, func(e, _ map[string]any) { e["message"] = "OK" }), RuleMessage, "/message"},
		{"not found with status true", 200, nil, `{"response_code":2,"status":true,"message":"No Transaction found"}`, RuleAgreement, "/status"},
		{"not found with data", 200, nil, edit(t, pageExample, func(e, _ map[string]any) {
			e["response_code"] = 2
			e["status"] = false
			e["message"] = "No Transaction found"
		}), RuleData, "/data"},
		{"not found with another message", 200, nil, `{"response_code":2,"status":false,"message":"Not found"}`, RuleMessage, "/message"},
		{"HTTP 200 with an error code", 200, nil, `{"response_code":4,"status":false,"message":"Validations Error"}`, RuleAgreement, "/response_code"},
		{"HTTP 201", 201, nil, pageExample, RuleAgreement, ""},
		{"error with status true", 400, nil, `{"status":true,"response_code":4,"message":"Validations Error"}`, RuleAgreement, "/status"},
		{"error with response_code 1", 500, nil, `{"status":false,"response_code":1,"message":"Unable to process request"}`, RuleAgreement, "/response_code"},
		{"error with data", 401, nil, edit(t, pageExample, func(e, _ map[string]any) { e["status"] = false; e["response_code"] = 7 }), RuleData, "/data"},
		{"error with an empty message", 400, nil, `{"status":false,"response_code":4,"message":" "}`, RuleMessage, "/message"},
		{"400 with an auth code", 400, nil, `{"status":false,"response_code":7,"message":"Authentication failed"}`, RuleErrorCode, "/response_code"},
		{"500 with a validation code", 500, nil, `{"status":false,"response_code":4,"message":"Validations Error"}`, RuleErrorCode, "/response_code"},
		{"refid not echoed", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["refid"] = "87654321" }), RuleRefID, "/data/refid"},
		{"empty txnid", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["txnid"] = "" }), RuleData, "/data/txnid"},
		{"amount with a comma", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["amount"] = "1,000.00" }), RuleDecimal, "/data/amount"},
		{"comm with a currency", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["comm"] = "₹0.00" }), RuleDecimal, "/data/comm"},
		{"tds empty", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["tds"] = "" }), RuleDecimal, "/data/tds"},
		{"dateadded in RFC 3339", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["dateadded"] = "2021-08-20T15:41:08Z" }), RuleDate, "/data/dateadded"},
		{"dateadded impossible", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["dateadded"] = "2021-13-45 25:61:08" }), RuleDate, "/data/dateadded"},
		{"status empty", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["status"] = "" }), RuleDataStatus, "/data/status"},
		{"refunded neither 0 nor 1", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["refunded"] = "yes" }), RuleDataStatus, "/data/refunded"},
		{"success refunded", 200, nil, edit(t, refundedExample, func(_, d map[string]any) { d["status"] = "1"; d["refid"] = "12345678" }), RuleDataStatus, "/data/refunded"},
		{"refunded without refundtxnid", 200, nil, edit(t, refundedExample, func(_, d map[string]any) { d["refundtxnid"] = ""; d["refid"] = "12345678" }), RuleRefund, "/data/refundtxnid"},
		{"refunded without daterefunded", 200, nil, edit(t, refundedExample, func(_, d map[string]any) { d["daterefunded"] = nil; d["refid"] = "12345678" }), RuleRefund, "/data/daterefunded"},
		{"not refunded with refundtxnid", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["refundtxnid"] = "RF6469" }), RuleRefund, "/data/refundtxnid"},
		{"not refunded with daterefunded", 200, nil, edit(t, pageExample, func(_, d map[string]any) { d["daterefunded"] = "2021-08-21 10:00:00" }), RuleRefund, "/data/daterefunded"},
		{"daterefunded impossible", 200, nil, edit(t, refundedExample, func(_, d map[string]any) { d["daterefunded"] = "2026-02-30 18:02:37"; d["refid"] = "12345678" }), RuleDate, "/data/daterefunded"},
		{"refund before the transaction", 200, nil, edit(t, refundedExample, func(_, d map[string]any) { d["daterefunded"] = "2026-03-05 17:00:00"; d["refid"] = "12345678" }), RuleDate, "/data/daterefunded"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			header := tc.header
			if header == nil {
				header = jsonHeader()
			}
			got := Check(pageEnquiry, tc.status, header, []byte(tc.body))
			for _, v := range got {
				if v.Rule == tc.rule && v.Pointer == tc.pointer {
					if v.Message == "" || !strings.Contains(v.String(), tc.rule) {
						t.Errorf("violation %v says nothing", v)
					}
					return
				}
			}
			t.Errorf("want a %s violation at %q, got %v", tc.rule, tc.pointer, got)
		})
	}
}

func TestPhaseOf(t *testing.T) {
	cases := []struct {
		status, refunded string
		want             Phase
	}{
		{"1", "0", PhaseSuccess},
		{"0", "0", PhaseFailed},
		{"0", "1", PhaseRefunded},
		{"2", "0", PhasePending},
		{"3", "0", PhasePending},
	}
	for _, tc := range cases {
		t.Run(tc.status+"/"+tc.refunded, func(t *testing.T) {
			if got := PhaseOf(tc.status, tc.refunded); got != tc.want {
				t.Errorf("PhaseOf(%q, %q) = %s, want %s", tc.status, tc.refunded, got, tc.want)
			}
		})
	}
}

func TestHistory(t *testing.T) {
	failed := edit(t, refundedExample, func(_, d map[string]any) { d["refunded"] = "0"; d["refundtxnid"] = ""; d["daterefunded"] = nil })
	pending := edit(t, failed, func(_, d map[string]any) { d["status"] = "2" })
	notFound := `{"response_code":2,"status":false,"message":"No Transaction found"}`
	q := rechargestatus.Enquiry{ReferenceID: "REFUND-1001", RegistrationID: "AOP-554"}
	cases := []struct {
		name    string
		answers []string
		pointer string // of the violation the last answer must cause; "" for none
	}{
		{"success twice", []string{pageExample, pageExample}, ""},
		{"pending then failed then refunded", []string{pending, pending, failed, failed, refundedExample, refundedExample}, ""},
		{"not found then found", []string{notFound, pageExample}, ""},
		{"success whose txnid changes", []string{pageExample, edit(t, pageExample, func(_, d map[string]any) { d["txnid"] = "6470" })}, "/data/txnid"},
		{"success that gains a field", []string{pageExample, edit(t, pageExample, func(_, d map[string]any) { d["extra"] = "x" })}, "/data/extra"},
		{"success that becomes failed", []string{pageExample, edit(t, pageExample, func(_, d map[string]any) { d["status"] = "0" })}, "/data/status"},
		{"success that becomes pending", []string{pageExample, edit(t, pageExample, func(_, d map[string]any) { d["status"] = "2" })}, "/data/status"},
		{"failed whose amount changes on refund", []string{failed, edit(t, refundedExample, func(_, d map[string]any) { d["amount"] = "999.00" })}, "/data/amount"},
		{"refunded that is unrefunded", []string{refundedExample, failed}, "/data/refunded"},
		{"refunded whose refund changes", []string{refundedExample, edit(t, refundedExample, func(_, d map[string]any) { d["refundtxnid"] = "RF2" })}, "/data/refundtxnid"},
		{"success then not found", []string{pageExample, notFound}, "/response_code"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := NewHistory(0)
			var got []Violation
			for i, body := range tc.answers {
				got = h.Observe(q, 200, []byte(body))
				if i < len(tc.answers)-1 && len(got) != 0 {
					t.Fatalf("answer %d: want no violation, got %v", i+1, got)
				}
			}
			if tc.pointer == "" {
				if len(got) != 0 {
					t.Errorf("want no violation, got %v", got)
				}
				return
			}
			for _, v := range got {
				if v.Rule == RuleFinalStable && v.Pointer == tc.pointer {
					return
				}
			}
			t.Errorf("want a %s violation at %s, got %v", RuleFinalStable, tc.pointer, got)
		})
	}
}

func TestHistoryIgnoresOtherTransactionsAndErrors(t *testing.T) {
	h := NewHistory(0)
	h.Observe(pageEnquiry, 200, []byte(pageExample))
	other := rechargestatus.Enquiry{ReferenceID: "12345678", RegistrationID: "AOP-OTHER"}
	changed := edit(t, pageExample, func(_, d map[string]any) { d["txnid"] = "1" })
	if got := h.Observe(other, 200, []byte(changed)); len(got) != 0 {
		t.Errorf("another registration's transaction: want no violation, got %v", got)
	}
	if got := h.Observe(pageEnquiry, 503, []byte(`{"status":false,"response_code":5,"message":"Service Unavailable"}`)); len(got) != 0 {
		t.Errorf("an error answer: want no violation, got %v", got)
	}
	h.Forget(pageEnquiry)
	if got := h.Observe(pageEnquiry, 200, []byte(changed)); len(got) != 0 {
		t.Errorf("after Forget: want no violation, got %v", got)
	}
}

func TestHistoryForgetsTheOldestBeyondItsBound(t *testing.T) {
	answer := func(refid, txnid string) []byte {
		return fmt.Appendf(nil, `{"response_code":1,"status":true,"data":{"txnid":%q,"status":"1","refid":%q,"refunded":"0"},"message":"Transaction Enquiry Successful"}`, txnid, refid)
	}
	h := NewHistory(2)
	q := func(ref string) rechargestatus.Enquiry {
		return rechargestatus.Enquiry{RegistrationID: "AOP-554", ReferenceID: ref}
	}
	for _, ref := range []string{"A", "B", "C"} {
		if v := h.Observe(q(ref), 200, answer(ref, "1")); len(v) != 0 {
			t.Fatalf("first answer of %s flagged: %v", ref, v)
		}
	}
	if v := h.Observe(q("A"), 200, answer("A", "2")); len(v) != 0 {
		t.Fatalf("A was forgotten to make room, yet its change was flagged: %v", v)
	}
	if v := h.Observe(q("C"), 200, answer("C", "2")); len(v) != 1 || v[0].Rule != RuleFinalStable {
		t.Fatalf("C's txnid changed: %v", v)
	}
}
