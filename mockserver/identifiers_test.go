package mockserver

import (
	"context"
	"encoding/json"
	"net/http"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func TestIdentifiersAreReadAsSent(t *testing.T) {
	t.Parallel()
	s := enquiryTestServer(t, Config{})
	refused := []struct {
		name, body, field, want string
	}{
		{"invalid UTF-8 FF FE", "{\"referenceid\":\"\xff\xfeABC\",\"RegistrationID\":\"AOP-554\"}", "referenceid", "must be valid UTF-8"},
		{"overlong C0 AF", "{\"referenceid\":\"\xc0\xafABC\",\"RegistrationID\":\"AOP-554\"}", "referenceid", "must be valid UTF-8"},
		{"invalid UTF-8 in RegistrationID", "{\"referenceid\":\"ABC\",\"RegistrationID\":\"AOP-554\xff\"}", "RegistrationID", "must be valid UTF-8"},
		{"lone surrogate escape", `{"referenceid":"\ud800ABC","RegistrationID":"AOP-554"}`, "referenceid", "must be valid UTF-8"},
		{"only NBSP", `{"referenceid":"\u00a0\u00a0","RegistrationID":"AOP-554"}`, "referenceid", "must have a visible character and no control characters"},
		{"only ZWSP", `{"referenceid":"\u200b","RegistrationID":"AOP-554"}`, "referenceid", "must have a visible character and no control characters"},
		{"only BOM and word joiner", `{"referenceid":"\ufeff\u2060","RegistrationID":"AOP-554"}`, "referenceid", "must have a visible character and no control characters"},
		{"only ideographic space", `{"referenceid":"1","RegistrationID":"\u3000"}`, "RegistrationID", "must have a visible character and no control characters"},
		{"NEL", `{"referenceid":"A\u0085B","RegistrationID":"AOP-554"}`, "referenceid", "must have a visible character and no control characters"},
		{"C1 control", `{"referenceid":"A\u009bB","RegistrationID":"AOP-554"}`, "referenceid", "must have a visible character and no control characters"},
		{"only a tag character beyond U+FFFF", `{"referenceid":"\udb40\udc41","RegistrationID":"AOP-554"}`, "referenceid", "must have a visible character and no control characters"},
	}
	for _, tt := range refused {
		a := sendToMock(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", tt.body, nil)
		msg, _ := a.field("message").(string)
		want := rechargestatus.MessageValidation + ": " + tt.field + " " + tt.want
		if a.status != http.StatusBadRequest || a.field("status") != false || a.field("response_code") != float64(rechargestatus.CodeValidation) || msg != want {
			t.Errorf("%s: answered %d %s, want 400 with message %q", tt.name, a.status, a.body, want)
		}
	}
	// Neither invalid spelling made the transaction their bytes decode to.
	aliased := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "\ufffd\ufffdABC"}
	if _, err := s.control.Store().Get(context.Background(), aliased); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Fatalf("a refused referenceid made %s: %v", aliased, err)
	}

	accepted := []struct{ name, body, refid string }{
		{"U+FFFD as sent", `{"referenceid":"\ufffd\ufffdABC","RegistrationID":"AOP-554"}`, "\ufffd\ufffdABC"},
		{"NBSP between visible characters", `{"referenceid":"A\u00a0B","RegistrationID":"AOP-554"}`, "A\u00a0B"},
		{"a surrogate pair", `{"referenceid":"\ud83d\ude00-1","RegistrationID":"AOP-554"}`, "😀-1"},
	}
	for _, tt := range accepted {
		a := sendToMock(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", tt.body, nil)
		if a.status != http.StatusOK || a.field("data", "refid") != tt.refid {
			t.Errorf("%s: answered %d %s, want 200 echoing refid %q", tt.name, a.status, a.body, tt.refid)
		}
	}
}

// TestTheRequestCheckRefusesWhatTheRuleRefuses holds the mock to refuse a
// referenceid of one character exactly when rechargestatus.CheckIdentifier
// does, for characters on either side of the rule.
func TestTheRequestCheckRefusesWhatTheRuleRefuses(t *testing.T) {
	t.Parallel()
	s := enquiryTestServer(t, Config{})
	for _, r := range []rune{'A', ' ', 0x7f, 0x85, 0xa0, 0xad, 0x061c, 0x1680, 0x180e, 0x200b, 0x202f, 0x2060, 0x3000, 0xfeff, 0xfff9, 0x3164, 0xe000} {
		id := string(r)
		lit, _ := json.Marshal(id)
		body := `{"referenceid":` + string(lit) + `,"RegistrationID":"AOP-554"}`
		a := sendToMock(t, s, http.MethodPost, rechargestatus.EnquiryPath, "application/json", body, nil)
		refused := rechargestatus.CheckIdentifier("referenceid", id) != nil
		if got := a.status == http.StatusBadRequest; got != refused {
			t.Errorf("U+%04X: answered %d %s; the rule refuses it: %v", r, a.status, a.body, refused)
		}
	}
}
