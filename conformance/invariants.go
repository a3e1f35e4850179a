// Package conformance judges requests and answers of RechargeStatus against
// its contract: the schema of openapi.yaml, checked with kin-openapi's
// openapi3filter, and the rules the schema cannot express (invariants.go):
// that the HTTP status, `status` and `response_code` tell the same story,
// that a found transaction is the one asked for, that its money, dates and
// refund fields mean what the spec says, that a final transaction stays as it
// was (History). It judges any endpoint, so the mock, the contract suite and
// the proxy share one definition; it knows nothing of the sandbox's mock.
package conformance

import (
	"bytes"
	"encoding/json"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Names of the rules, as a Violation reports them.
const (
	RuleContentType = "content-type" // every answer is JSON
	RuleJSON        = "json"         // the body is one JSON object
	RuleEnvelope    = "envelope"     // status, response_code and message are there, typed
	RuleAgreement   = "agreement"    // HTTP status, status and response_code agree
	RuleErrorCode   = "error-code"   // an error's response_code means what its HTTP status means
	RuleMessage     = "message"      // the message goes with the response_code
	RuleData        = "data"         // data comes with a found transaction, and only then
	RuleRefID       = "refid"        // a found transaction is the one asked for
	RuleDecimal     = "decimal"      // money is a decimal string
	RuleDate        = "date"         // dates are real YYYY-MM-DD HH:MM:SS moments
	RuleDataStatus  = "data-status"  // data.status and refunded mean what the spec says
	RuleRefund      = "refund"       // refunded, refundtxnid and daterefunded are set together
	RuleFinalStable = "final-stable" // a final transaction answers the same data again
)

// Check judges one answer to the enquiry q and lists every rule it breaks;
// none means the answer is consistent.
func Check(q rechargestatus.Enquiry, status int, header http.Header, body []byte) []Violation {
	var out violations
	if len(bytes.TrimSpace(body)) == 0 {
		out.add(RuleJSON, "", "the body is empty; every answer is a JSON envelope")
		return out
	}
	checkAnswerContentType(&out, header.Get("Content-Type"))
	envelope, ok := decodeObject(&out, body)
	if !ok {
		return out
	}
	a := readEnvelope(&out, envelope)
	switch {
	case status == http.StatusOK:
		checkProcessed(&out, q, a)
	case status >= 400:
		checkError(&out, status, a)
	default:
		out.add(RuleAgreement, "", fmt.Sprintf("HTTP %d is neither 200 (the enquiry was processed) nor an error status", status))
	}
	return out
}

// checkProcessed judges an HTTP 200 answer: found with data, or not found
// without.
func checkProcessed(out *violations, q rechargestatus.Enquiry, a envelopeFields) {
	if !a.codeOK {
		return
	}
	switch a.code {
	case rechargestatus.CodeFound:
		if a.flagOK && !a.flag {
			out.add(RuleAgreement, "/status", "response_code 1 (transaction found) comes with status true, got false")
		}
		if a.messageOK && a.message != rechargestatus.MessageFound {
			out.add(RuleMessage, "/message", fmt.Sprintf("response_code 1 comes with message %q, got %q", rechargestatus.MessageFound, a.message))
		}
		if a.data == nil {
			out.add(RuleData, "/data", "response_code 1 (transaction found) comes with data, which is missing")
			return
		}
		checkData(out, q, a.data)
	case rechargestatus.CodeNotFound:
		if a.flagOK && a.flag {
			out.add(RuleAgreement, "/status", "response_code 2 (no transaction found) comes with status false, got true")
		}
		if a.messageOK && a.message != rechargestatus.MessageNotFound {
			out.add(RuleMessage, "/message", fmt.Sprintf("response_code 2 comes with message %q, got %q", rechargestatus.MessageNotFound, a.message))
		}
		if a.data != nil {
			out.add(RuleData, "/data", "response_code 2 (no transaction found) comes without data, got some")
		}
	default:
		out.add(RuleAgreement, "/response_code", fmt.Sprintf("HTTP 200 answers response_code 1 (found) or 2 (not found), got %d", a.code))
	}
}

// checkError judges an error answer: the error envelope, status false, a
// code that means what the HTTP status means.
func checkError(out *violations, status int, a envelopeFields) {
	if a.flagOK && a.flag {
		out.add(RuleAgreement, "/status", fmt.Sprintf("an error answer (HTTP %d) has status false, got true", status))
	}
	if a.data != nil {
		out.add(RuleData, "/data", fmt.Sprintf("an error answer (HTTP %d) carries no transaction data, got some", status))
	}
	if a.messageOK && strings.TrimSpace(a.message) == "" {
		out.add(RuleMessage, "/message", fmt.Sprintf("an error answer (HTTP %d) says what went wrong, the message is empty", status))
	}
	if !a.codeOK {
		return
	}
	if a.code == rechargestatus.CodeFound || a.code == rechargestatus.CodeNotFound {
		out.add(RuleAgreement, "/response_code", fmt.Sprintf("response_code %d belongs to an HTTP 200 answer, not to HTTP %d", a.code, status))
		return
	}
	if want, ok := rechargestatus.DeclaredErrorCodes[status]; ok && !slices.Contains(want, a.code) {
		out.add(RuleErrorCode, "/response_code", fmt.Sprintf("HTTP %d means response_code %s, got %d", status, joinInts(want), a.code))
	}
}

// checkData judges the transaction of a found answer.
func checkData(out *violations, q rechargestatus.Enquiry, raw json.RawMessage) {
	var data map[string]json.RawMessage
	if err := json.Unmarshal(raw, &data); err != nil {
		out.add(RuleData, "/data", "data is not a JSON object")
		return
	}
	field := func(name string) (string, bool) {
		v, present := data[name]
		if !present {
			return "", false
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	}

	if txnid, ok := field("txnid"); ok && strings.TrimSpace(txnid) == "" {
		out.add(RuleData, "/data/txnid", "a found transaction has a txnid, got an empty one")
	}
	if refid, ok := field("refid"); ok && q.ReferenceID != "" && refid != q.ReferenceID {
		out.add(RuleRefID, "/data/refid", fmt.Sprintf("data.refid echoes the referenceid asked, %q, got %q", q.ReferenceID, refid))
	}
	for _, name := range []string{"amount", "comm", "tds"} {
		if v, ok := field(name); ok && !rechargestatus.IsDecimalString(v) {
			out.add(RuleDecimal, "/data/"+name, fmt.Sprintf("%s is a decimal string such as \"1\" or \"0.00\", got %q", name, v))
		}
	}
	added, addedOK := time.Time{}, false
	if v, ok := field("dateadded"); ok {
		t, err := time.Parse(rechargestatus.TimeLayout, v)
		if err != nil {
			out.add(RuleDate, "/data/dateadded", fmt.Sprintf("dateadded is a moment written YYYY-MM-DD HH:MM:SS, got %q", v))
		} else {
			added, addedOK = t, true
		}
	}

	state, stateOK := field("status")
	if stateOK && strings.TrimSpace(state) == "" {
		out.add(RuleDataStatus, "/data/status", `data.status is "1" (success), "0" (failed) or a pending value, got an empty string`)
	}
	refunded, refundedOK := field("refunded")
	if refundedOK && refunded != "0" && refunded != "1" {
		out.add(RuleDataStatus, "/data/refunded", fmt.Sprintf(`refunded is "0" or "1", got %q`, refunded))
		refundedOK = false
	}
	if refundedOK && stateOK && refunded == "1" && state != "0" {
		out.add(RuleDataStatus, "/data/refunded", fmt.Sprintf(`only a failed transaction (data.status "0") is refunded, this one has data.status %q`, state))
	}

	refundTxnID, _ := field("refundtxnid")
	dateRefunded, _ := field("daterefunded") // "" when null
	dateRefundedSet := dateRefunded != ""
	if refundedOK {
		switch refunded {
		case "1":
			if refundTxnID == "" {
				out.add(RuleRefund, "/data/refundtxnid", `refunded is "1", so refundtxnid is set, got an empty one`)
			}
			if !dateRefundedSet {
				out.add(RuleRefund, "/data/daterefunded", `refunded is "1", so daterefunded is set, got none`)
			}
		case "0":
			if refundTxnID != "" {
				out.add(RuleRefund, "/data/refundtxnid", fmt.Sprintf(`refunded is "0", so refundtxnid is empty, got %q`, refundTxnID))
			}
			if dateRefundedSet {
				out.add(RuleRefund, "/data/daterefunded", fmt.Sprintf(`refunded is "0", so daterefunded is null, got %q`, dateRefunded))
			}
		}
	}
	if dateRefundedSet {
		t, err := time.Parse(rechargestatus.TimeLayout, dateRefunded)
		switch {
		case err != nil:
			out.add(RuleDate, "/data/daterefunded", fmt.Sprintf("daterefunded is a moment written YYYY-MM-DD HH:MM:SS, got %q", dateRefunded))
		case addedOK && t.Before(added):
			out.add(RuleDate, "/data/daterefunded", fmt.Sprintf("the refund (%s) cannot precede the transaction (%s)", dateRefunded, added.Format(rechargestatus.TimeLayout)))
		}
	}
}

func checkAnswerContentType(out *violations, contentType string) {
	mediaType, _, err := mime.ParseMediaType(contentType)
	if err == nil && (mediaType == "application/json" || strings.HasSuffix(mediaType, "+json")) {
		return
	}
	got := contentType
	if got == "" {
		got = "none"
	}
	out.add(RuleContentType, "", fmt.Sprintf("Content-Type is application/json, got %s", got))
}

func decodeObject(out *violations, body []byte) (map[string]json.RawMessage, bool) {
	var envelope map[string]json.RawMessage
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&envelope); err != nil {
		out.add(RuleJSON, "", fmt.Sprintf("the body is not a JSON object: %v", err))
		return nil, false
	}
	if envelope == nil {
		out.add(RuleJSON, "", "the body is null, not a JSON object")
		return nil, false
	}
	if dec.More() {
		out.add(RuleJSON, "", "the body holds more than one JSON value")
	}
	return envelope, true
}

// envelopeFields are the envelope's members, each with whether it was
// present with the right type.
type envelopeFields struct {
	flag, flagOK bool
	code         int
	codeOK       bool
	message      string
	messageOK    bool
	data         json.RawMessage // nil when absent or null
}

func readEnvelope(out *violations, envelope map[string]json.RawMessage) envelopeFields {
	var a envelopeFields
	a.flag, a.flagOK = envelopeBool(out, envelope, "status")
	a.code, a.codeOK = envelopeInt(out, envelope, "response_code")
	a.message, a.messageOK = envelopeString(out, envelope, "message")
	if data, ok := envelope["data"]; ok && string(data) != "null" {
		a.data = data
	}
	return a
}

func envelopeBool(out *violations, envelope map[string]json.RawMessage, name string) (bool, bool) {
	raw, ok := envelope[name]
	if !ok {
		out.add(RuleEnvelope, "/"+name, name+" is missing")
		return false, false
	}
	var v bool
	if err := json.Unmarshal(raw, &v); err != nil || string(raw) == "null" {
		out.add(RuleEnvelope, "/"+name, fmt.Sprintf("%s is a boolean, got %s", name, clip(raw)))
		return false, false
	}
	return v, true
}

func envelopeInt(out *violations, envelope map[string]json.RawMessage, name string) (int, bool) {
	raw, ok := envelope[name]
	if !ok {
		out.add(RuleEnvelope, "/"+name, name+" is missing")
		return 0, false
	}
	var v int
	if err := json.Unmarshal(raw, &v); err != nil || string(raw) == "null" {
		out.add(RuleEnvelope, "/"+name, fmt.Sprintf("%s is an integer, got %s", name, clip(raw)))
		return 0, false
	}
	return v, true
}

func envelopeString(out *violations, envelope map[string]json.RawMessage, name string) (string, bool) {
	raw, ok := envelope[name]
	if !ok {
		out.add(RuleEnvelope, "/"+name, name+" is missing")
		return "", false
	}
	var v string
	if err := json.Unmarshal(raw, &v); err != nil || string(raw) == "null" {
		out.add(RuleEnvelope, "/"+name, fmt.Sprintf("%s is a string, got %s", name, clip(raw)))
		return "", false
	}
	return v, true
}

type violations []Violation

func (vs *violations) add(rule, pointer, message string) {
	*vs = append(*vs, Violation{Rule: rule, Pointer: pointer, Message: message})
}

func joinInts(xs []int) string {
	parts := make([]string, len(xs))
	for i, x := range xs {
		parts[i] = fmt.Sprint(x)
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return strings.Join(parts[:len(parts)-1], ", ") + " or " + parts[len(parts)-1]
}

func clip(raw json.RawMessage) string {
	const limit = 80
	if len(raw) > limit {
		return string(raw[:limit]) + "…"
	}
	return string(raw)
}
