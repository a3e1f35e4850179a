package transaction

import (
	"strings"
	"testing"
	"time"
)

func TestScenarioFor(t *testing.T) {
	tests := map[string]string{
		"12345678":     "success",
		"PENDING-1":    "pending-success",
		"pending-1":    "pending-success",
		"PENDFAIL-9":   "pending-failed",
		"PENDREFUND-9": "pending-failed-refunded",
		"STUCK-1":      "pending-forever",
		"FAILED-2":     "failed",
		"REFUND-3":     "refunded",
		"NOTFOUND-4":   "not-found",
		"AUTHFAIL-5":   "auth-failed",
		"BADSIG-6":     "invalid-signature",
		"PEND":         "success",
		"XPENDING-1":   "success",
	}
	for ref, want := range tests {
		if got := ScenarioFor(ref).Name; got != want {
			t.Errorf("ScenarioFor(%q) = %s, want %s", ref, got, want)
		}
	}
}

// TestEveryPrefixHasAKeyword holds the one list: each scenario a prefix
// picks can be named, and by one keyword only.
func TestEveryPrefixHasAKeyword(t *testing.T) {
	seen := map[string]bool{}
	for _, kw := range ScenarioKeywords() {
		if kw == "" || seen[kw] {
			t.Fatalf("keyword %q empty or repeated in %v", kw, ScenarioKeywords())
		}
		seen[kw] = true
		c, err := ParseScenario(kw)
		if err != nil || c.Scenario.Keyword != kw {
			t.Fatalf("ParseScenario(%q) = %+v, %v", kw, c, err)
		}
	}
	if len(seen) != len(Scenarios)+1 {
		t.Fatalf("%d keywords for %d scenarios and the default", len(seen), len(Scenarios))
	}
}

func TestParseScenario(t *testing.T) {
	tests := []struct {
		value      string
		want       string
		enquiries  int
		after      time.Duration
		wantRefuse string
	}{
		{value: "pending", want: "pending-success"},
		{value: " PendFail ", want: "pending-failed"},
		{value: "pending-failed-refunded", want: "pending-failed-refunded"},
		{value: "pending; resolve=2", want: "pending-success", enquiries: 2},
		{value: "pendrefund ; RESOLVE = 30m", want: "pending-failed-refunded", after: 30 * time.Minute},
		{value: "badsig", want: "invalid-signature"},
		{value: "pendng", wantRefuse: `unknown scenario "pendng", want one of success, pendrefund, pendfail, pending, stuck, failed, refunded, notfound, authfail, badsig`},
		{value: "", wantRefuse: `unknown scenario ""`},
		{value: "pending;", wantRefuse: "parameter 1 after the scenario is empty"},
		{value: "pending; resolve", wantRefuse: `parameter "resolve" must be name=value`},
		{value: "pending; resolve=", wantRefuse: "parameter resolve has no value"},
		{value: "pending; =2", wantRefuse: "a parameter has a value but no name"},
		{value: "pending; after=2", wantRefuse: `unknown parameter "after" (resolve)`},
		{value: "pending; resolve=2; resolve=3", wantRefuse: "parameter resolve is given twice"},
		{value: "pending; resolve=0", wantRefuse: `resolve "0": the number of enquiries must be positive`},
		{value: "pending; resolve=soon", wantRefuse: `resolve "soon": want a number of enquiries (3) or a positive duration (10m)`},
		{value: "pending; resolve=-5m", wantRefuse: `resolve "-5m"`},
		{value: "stuck; resolve=2", wantRefuse: "resolve applies to the scenarios that leave pending by a rule (pending, pendfail, pendrefund), not stuck"},
		{value: "success; resolve=2", wantRefuse: "not success"},
	}
	for _, tt := range tests {
		t.Run(tt.value, func(t *testing.T) {
			c, err := ParseScenario(tt.value)
			if tt.wantRefuse != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantRefuse) {
					t.Fatalf("got %+v, %v; want an error with %q", c, err, tt.wantRefuse)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if c.Scenario.Name != tt.want {
				t.Fatalf("scenario %s, want %s", c.Scenario.Name, tt.want)
			}
			switch {
			case tt.enquiries == 0 && tt.after == 0 && c.Rule != nil:
				t.Fatalf("rule %+v, want the default", *c.Rule)
			case (tt.enquiries != 0 || tt.after != 0) && (c.Rule == nil || c.Rule.AfterEnquiries != tt.enquiries || time.Duration(c.Rule.After) != tt.after):
				t.Fatalf("rule %+v, want %d enquiries or %s", c.Rule, tt.enquiries, tt.after)
			}
			again, err := ParseScenario(c.String())
			if err != nil || again.Scenario.Name != c.Scenario.Name || (again.Rule == nil) != (c.Rule == nil) || (c.Rule != nil && *again.Rule != *c.Rule) {
				t.Fatalf("%q read back as %+v, %v", c.String(), again, err)
			}
		})
	}
}

func TestMatchScenarioFirstMatchWins(t *testing.T) {
	var patterns []ScenarioPattern
	for _, r := range [][2]string{{"^ORDER-9", "failed"}, {"^ORDER-", "pending"}, {"", ""}} {
		if r[0] == "" {
			if _, err := CompileScenarioPattern(r[0], r[1]); err == nil {
				t.Fatal("a rule without match compiled")
			}
			continue
		}
		p, err := CompileScenarioPattern(r[0], r[1])
		if err != nil {
			t.Fatal(err)
		}
		patterns = append(patterns, p)
	}
	for ref, want := range map[string]string{"ORDER-91": "failed", "ORDER-19": "pending", "order-1": ""} {
		got, ok := MatchScenario(patterns, ref)
		if ok != (want != "") || got.Scenario.Keyword != want {
			t.Errorf("%s: got %q (%v), want %q", ref, got.Scenario.Keyword, ok, want)
		}
	}
}
