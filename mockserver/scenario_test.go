package mockserver

import (
	"bytes"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// scenarioAnswer is what an enquiry answered, as a scenario test compares it.
type scenarioAnswer struct {
	status   int
	code     float64
	state    string // data.status, "" without data
	refunded string // data.refunded, "" without data
	message  string
}

func (a scenarioAnswer) String() string {
	return fmt.Sprintf("HTTP %d code %v data.status %q refunded %q %q", a.status, a.code, a.state, a.refunded, a.message)
}

// enquireScenario posts an enquiry with the X-Mock-Scenario header value
// (none when empty) and reads its answer.
func (sb *sandbox) enquireScenario(registrationID, referenceID, value string) scenarioAnswer {
	sb.t.Helper()
	header := http.Header{}
	if value != "" {
		header.Set(admin.ScenarioHeader, value)
	}
	e, parsed := sb.enquireValid(registrationID, referenceID, header)
	code, _ := parsed["response_code"].(float64)
	message, _ := parsed["message"].(string)
	data, _ := parsed["data"].(map[string]any)
	refunded, _ := data["refunded"].(string)
	return scenarioAnswer{status: e.status, code: code, state: dataStatus(parsed), refunded: refunded, message: message}
}

// journaled is the n-th journal entry of the transaction, once it is there.
func (sb *sandbox) journaled(registrationID, referenceID string, n int) admin.JournalEntry {
	sb.t.Helper()
	var entries []admin.JournalEntry
	err := testutil.Poll(5*time.Second, func() (bool, error) {
		entries = sb.srv.journal.Entries(admin.JournalQuery{RegistrationID: registrationID, ReferenceID: referenceID})
		return len(entries) >= n, nil
	})
	if err != nil {
		sb.t.Fatalf("the journal holds %d entries of %s after 5s, want %d", len(entries), referenceID, n)
	}
	return entries[n-1]
}

var (
	answerSuccess  = scenarioAnswer{status: 200, code: 1, state: "1", refunded: "0", message: "Transaction Enquiry Successful"}
	answerPending  = scenarioAnswer{status: 200, code: 1, state: "2", refunded: "0", message: "Transaction Enquiry Successful"}
	answerFailed   = scenarioAnswer{status: 200, code: 1, state: "0", refunded: "0", message: "Transaction Enquiry Successful"}
	answerRefunded = scenarioAnswer{status: 200, code: 1, state: "0", refunded: "1", message: "Transaction Enquiry Successful"}
	answerNotFound = scenarioAnswer{status: 200, code: 2, message: "No Transaction found"}
)

func TestScenarioHeaderChoosesEachScenario(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	tests := []struct {
		value    string
		want     scenarioAnswer
		scenario string
	}{
		{value: "success", want: answerSuccess, scenario: "success"},
		{value: "pending", want: answerPending, scenario: "pending-success"},
		{value: "pendfail", want: answerPending, scenario: "pending-failed"},
		{value: "pendrefund", want: answerPending, scenario: "pending-failed-refunded"},
		{value: "stuck", want: answerPending, scenario: "pending-forever"},
		{value: "failed", want: answerFailed, scenario: "failed"},
		{value: "refunded", want: answerRefunded, scenario: "refunded"},
		{value: "notfound", want: answerNotFound, scenario: "not-found"},
		{value: "authfail", want: scenarioAnswer{status: 401, code: 7, message: "Authentication failed"}, scenario: "error:unauthorized"},
		{value: "badsig", want: scenarioAnswer{status: 401, code: 7, message: "Invalid signature encoding"}, scenario: "error:unauthorized"},
		{value: "PENDING", want: answerPending, scenario: "pending-success"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			sb := *sb
			sb.t = t
			// A UUID, whose spelling chooses nothing.
			ref := fmt.Sprintf("6f1c%04x-2b7e-4c1a-9d3e-4f5a6b7c8d9e", len(tt.value)*31+int(tt.value[0]))
			if got := sb.enquireScenario("AOP-554", ref, tt.value); got != tt.want {
				t.Fatalf("got %s, want %s", got, tt.want)
			}
			if got := sb.journaled("AOP-554", ref, 1).Scenario; got != tt.scenario {
				t.Fatalf("journal scenario %q, want %q", got, tt.scenario)
			}
			made := sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/"+ref, nil).status
			if wantMade := tt.want.code == 1; (made == http.StatusOK) != wantMade {
				t.Fatalf("GET the transaction: %d, want one made: %v", made, wantMade)
			}
		})
	}
	t.Run("over the prefix", func(t *testing.T) {
		sb := *sb
		sb.t = t
		if got := sb.enquireScenario("AOP-554", "PENDING-HEADER-1", "failed"); got != answerFailed {
			t.Fatalf("got %s, want %s", got, answerFailed)
		}
	})
}

func TestScenarioHeaderResolveRule(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	t.Run("after enquiries", func(t *testing.T) {
		sb := *sb
		sb.t = t
		ref := "a3b1c2d4-0000-4000-8000-000000000002"
		want := []scenarioAnswer{answerPending, answerPending, answerFailed, answerFailed}
		for i, w := range want {
			// The header comes with the first enquiry only: what follows
			// is the transaction's own rule.
			value := ""
			if i == 0 {
				value = "pendfail; resolve=2"
			}
			if got := sb.enquireScenario("AOP-554", ref, value); got != w {
				t.Fatalf("enquiry %d: got %s, want %s", i+1, got, w)
			}
		}
		var view admin.TransactionView
		sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/"+ref, nil).decode(t, &view)
		if view.Scenario != "pending-failed" {
			t.Fatalf("transaction scenario %q, want pending-failed", view.Scenario)
		}
	})
	t.Run("on the sandbox clock", func(t *testing.T) {
		sb := *sb
		sb.t = t
		ref := "a3b1c2d4-0000-4000-8000-000000000030"
		steps := []struct {
			advance string
			want    scenarioAnswer
		}{
			{want: answerPending},
			{want: answerPending},
			{want: answerPending},
			{want: answerPending}, // past the default three enquiries, still pending
			{advance: "29m", want: answerPending},
			{advance: "1m", want: answerSuccess},
		}
		for i, st := range steps {
			if st.advance != "" {
				if a := sb.admin(http.MethodPost, "/__admin/clock", map[string]string{"advance": st.advance}); a.status != http.StatusOK {
					t.Fatalf("advance %s: %d %s", st.advance, a.status, a.body)
				}
			}
			value := ""
			if i == 0 {
				value = "pending; resolve=30m"
			}
			if got := sb.enquireScenario("AOP-554", ref, value); got != st.want {
				t.Fatalf("step %d: got %s, want %s", i+1, got, st.want)
			}
		}
	})
	t.Run("pendrefund refunds by the same rule", func(t *testing.T) {
		sb := *sb
		sb.t = t
		ref := "a3b1c2d4-0000-4000-8000-000000000001"
		want := []scenarioAnswer{answerPending, answerFailed, answerRefunded}
		for i, w := range want {
			if got := sb.enquireScenario("AOP-554", ref, "pendrefund; resolve=1"); got != w {
				t.Fatalf("enquiry %d: got %s, want %s", i+1, got, w)
			}
		}
	})
}

func TestScenarioHeaderNeverChangesATransaction(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	page := sb.enquire(sb.client, "AOP-554", "12345678", nil)
	for _, value := range []string{"failed", "notfound", "authfail", "pending; resolve=1"} {
		e := sb.enquire(sb.client, "AOP-554", "12345678", http.Header{admin.ScenarioHeader: {value}})
		if e.status != page.status || !bytes.Equal(e.body, page.body) {
			t.Fatalf("%s: the fixture answered %d %s, want %d %s", value, e.status, e.body, page.status, page.body)
		}
	}
	const made = "ORDER-MADE-1"
	if got := sb.enquireScenario("AOP-554", made, "stuck"); got != answerPending {
		t.Fatalf("first enquiry: %s", got)
	}
	for i := range 5 {
		if got := sb.enquireScenario("AOP-554", made, "success"); got != answerPending {
			t.Fatalf("enquiry %d with another scenario: got %s, want the transaction's pending", i+2, got)
		}
	}
	if got := sb.journaled("AOP-554", made, 6).Scenario; got != "pending-forever" {
		t.Fatalf("journal scenario %q, want the transaction's pending-forever", got)
	}
}

func TestScenarioHeaderMalformed(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	tests := []struct{ name, value, want string }{
		{"unknown scenario", "pendng", `X-Mock-Scenario: unknown scenario \"pendng\", want one of success, pendrefund, pendfail`},
		{"unknown parameter", "pending; after=2", `X-Mock-Scenario: unknown parameter \"after\" (resolve)`},
		{"bad resolve", "pending; resolve=soon", `X-Mock-Scenario: resolve \"soon\": want a number of enquiries (3) or a positive duration (10m)`},
		{"parameter given twice", "pending; resolve=2; resolve=3", "X-Mock-Scenario: parameter resolve is given twice"},
		{"empty parameter", "pending;;", "X-Mock-Scenario: parameter 1 after the scenario is empty"},
		{"resolve on a final scenario", "failed; resolve=2", "X-Mock-Scenario: resolve applies to the scenarios that leave pending by a rule"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := *sb
			sb.t = t
			ref := fmt.Sprintf("ORDER-BAD-%d", i)
			// The refusal comes before any fault the request asks for.
			for _, extra := range []http.Header{{}, {admin.FaultHeader: {"status=503"}}} {
				header := http.Header{admin.ScenarioHeader: {tt.value}}
				for k, v := range extra {
					header[k] = v
				}
				e, _ := sb.enquireValid("AOP-554", ref, header)
				want := `"message":"Validations Error: ` + tt.want
				if e.status != http.StatusBadRequest || !strings.Contains(string(e.body), `"response_code":4`) || !strings.Contains(string(e.body), want) {
					t.Fatalf("got %d %s, want 400, response_code 4 and %s", e.status, e.body, want)
				}
			}
			if got := sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/"+ref, nil).status; got != http.StatusNotFound {
				t.Fatalf("a refused enquiry made its transaction: GET answered %d", got)
			}
		})
	}
}

func TestScenarioHeaderSwitchedOff(t *testing.T) {
	t.Parallel()
	off := newSandbox(t, Config{DisableScenarioHeader: true})
	on := newSandbox(t, Config{})
	for _, value := range []string{"failed", "pendng", "pending; resolve=2; resolve=3"} {
		if got := off.enquireScenario("AOP-554", "ORDER-OFF-1", value); got != answerSuccess {
			t.Fatalf("%q with the header off: got %s, want the referenceid's success", value, got)
		}
	}
	if got := off.enquireScenario("AOP-554", "PENDING-OFF-1", "failed"); got != answerPending {
		t.Fatalf("with the header off the prefix decides: got %s", got)
	}
	// Without the header, the answers do not depend on whether it is
	// honoured: the same bytes, generated data included.
	for _, ref := range []string{"12345678", "ORDER-SAME-1", "PENDING-SAME-1", "REFUND-SAME-1", "NOTFOUND-SAME-1", "AUTHFAIL-SAME-1"} {
		for i := range 2 {
			a := on.enquire(on.client, "AOP-554", ref, nil)
			b := off.enquire(off.client, "AOP-554", ref, nil)
			if a.err != nil || b.err != nil || a.status != b.status || !bytes.Equal(a.body, b.body) {
				t.Fatalf("%s enquiry %d: on %d %s (%v), off %d %s (%v)", ref, i+1, a.status, a.body, a.err, b.status, b.body, b.err)
			}
		}
	}
}

func TestScenarioPatternRules(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{FixturesPath: filepath.Join("..", "fixtures", "testdata", "scenarios.yaml")})
	const (
		pendFail = "00000002-1111-4000-8000-000000000001"
		failed   = "00000004-1111-4000-8000-000000000001"
		gone     = "ffffffff-1111-4000-8000-000000000001"
		other    = "5F0C1E2D-1111-4000-8000-000000000001"
	)
	tests := []struct {
		name, registration, ref, header string
		want                            []scenarioAnswer
		scenario                        string
	}{
		{name: "a rule for all", registration: "AOP-554", ref: pendFail, want: []scenarioAnswer{answerPending, answerPending, answerFailed}, scenario: "pending-failed"},
		{name: "the first rule that matches wins", registration: "AOP-554", ref: failed, want: []scenarioAnswer{answerFailed}, scenario: "failed"},
		{name: "a later rule, on the clock", registration: "AOP-554", ref: other, want: []scenarioAnswer{answerPending, answerPending, answerPending, answerPending}, scenario: "pending-success"},
		{name: "another registration's rule does not apply", registration: "AOP-554", ref: gone, want: []scenarioAnswer{answerPending}, scenario: "pending-success"},
		{name: "a registration's own rule", registration: "AOP-UUID", ref: gone, want: []scenarioAnswer{answerNotFound}, scenario: "not-found"},
		{name: "a registration's own rule before the rules for all", registration: "AOP-UUID", ref: failed, want: []scenarioAnswer{answerRefunded}, scenario: "refunded"},
		{name: "the rules for all after a registration's own", registration: "AOP-UUID", ref: pendFail, want: []scenarioAnswer{answerPending, answerPending, answerFailed}, scenario: "pending-failed"},
		{name: "a transaction that exists wins", registration: "AOP-554", ref: "00000002-0000-4000-8000-000000000001", want: []scenarioAnswer{answerSuccess}},
		{name: "the header wins over the rules", registration: "AOP-554", ref: "00000004-2222-4000-8000-000000000001", header: "stuck", want: []scenarioAnswer{answerPending}, scenario: "pending-forever"},
		{name: "the prefix where no rule matches", registration: "AOP-554", ref: "REFUND-77", want: []scenarioAnswer{answerRefunded}, scenario: "refunded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sb := *sb
			sb.t = t
			for i, w := range tt.want {
				if got := sb.enquireScenario(tt.registration, tt.ref, tt.header); got != w {
					t.Fatalf("enquiry %d: got %s, want %s", i+1, got, w)
				}
			}
			if tt.scenario != "" {
				if got := sb.journaled(tt.registration, tt.ref, len(tt.want)).Scenario; got != tt.scenario {
					t.Fatalf("journal scenario %q, want %q", got, tt.scenario)
				}
			}
		})
	}
}

func TestScenarioPatternRulesOverThePrefixAndTheUnknownPolicy(t *testing.T) {
	t.Parallel()
	set := fixtures.Set{
		Registrations: []fixtures.Registration{{ID: "P-1", Scenarios: []fixtures.ScenarioRule{{Match: "^FAILED-", Scenario: "success"}}}},
		Scenarios:     []fixtures.ScenarioRule{{Match: "^ORDER-", Scenario: "pending"}},
	}
	sb := newSandbox(t, Config{Fixtures: &set, Unknown: "notfound"})
	for _, tt := range []struct {
		ref, header string
		want        scenarioAnswer
	}{
		{ref: "FAILED-1", want: answerSuccess},
		{ref: "ORDER-1", want: answerPending},
		{ref: "PENDING-1", want: answerNotFound},
		{ref: "OTHER-1", header: "failed", want: answerFailed},
		{ref: "OTHER-2", want: answerNotFound},
		{ref: "AUTHFAIL-1", want: scenarioAnswer{status: 401, code: 7, message: "Authentication failed"}},
	} {
		if got := sb.enquireScenario("P-1", tt.ref, tt.header); got != tt.want {
			t.Errorf("%s (header %q): got %s, want %s", tt.ref, tt.header, got, tt.want)
		}
	}
}
