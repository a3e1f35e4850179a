package faults

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func TestParseHeader(t *testing.T) {
	t.Parallel()
	tests := []struct {
		header    string
		want      admin.FaultRule
		wantInErr string
	}{
		{header: "reset", want: admin.FaultRule{Kind: admin.FaultReset}},
		{header: "status=503", want: admin.FaultRule{Kind: admin.FaultStatus, Status: 503}},
		{header: "status=429;retryAfter=5", want: admin.FaultRule{Kind: admin.FaultStatus, Status: 429, RetryAfter: "5"}},
		{header: "latency=2s", want: admin.FaultRule{Kind: admin.FaultLatency, Latency: transaction.Duration(2 * time.Second)}},
		{header: "latency;latencyMin=10ms;latencyMax=20ms", want: admin.FaultRule{Kind: admin.FaultLatency, LatencyMin: transaction.Duration(10 * time.Millisecond), LatencyMax: transaction.Duration(20 * time.Millisecond)}},
		{header: "hang;latency=1s", want: admin.FaultRule{Kind: admin.FaultHang, Latency: transaction.Duration(time.Second)}},
		{header: " Trickle ; latency=300ms ", want: admin.FaultRule{Kind: admin.FaultTrickle, Latency: transaction.Duration(300 * time.Millisecond)}},
		{header: "boom", wantInErr: `kind "boom" is not one of`},
		{header: "status", wantInErr: "status is required for kind status"},
		{header: "status=418", wantInErr: "status 418 is not one of"},
		{header: "status=abc", wantInErr: `status "abc" is not a number`},
		{header: "reset;status=500", wantInErr: "status applies only to kind status"},
		{header: "latency=soon", wantInErr: `latency "soon" is not a duration`},
		{header: "latency=5m", wantInErr: "exceeds the largest delay"},
		{header: "hang;colour=red", wantInErr: `unknown parameter "colour"`},
		{header: "hang;latency", wantInErr: "must be name=value"},
		// One grammar: spaces around = and ; are allowed everywhere, empty
		// and repeated parameters are refused everywhere.
		{header: " status = 503 ", want: admin.FaultRule{Kind: admin.FaultStatus, Status: 503}},
		{header: "status = 429 ; retryAfter = 5", want: admin.FaultRule{Kind: admin.FaultStatus, Status: 429, RetryAfter: "5"}},
		{header: "hang = 1s", want: admin.FaultRule{Kind: admin.FaultHang, Latency: transaction.Duration(time.Second)}},
		{header: "status=503;;;", wantInErr: "parameter 1 after the kind is empty"},
		{header: "status=503;", wantInErr: "is empty"},
		{header: "reset; ;", wantInErr: "is empty"},
		{header: "status=503;status=500", wantInErr: "parameter status is given twice"},
		{header: "latency=2s;latency=1s", wantInErr: "parameter latency is given twice"},
		{header: "latency;latencyMin=1ms;LatencyMin=2ms;latencyMax=3ms", wantInErr: "given twice"},
		{header: "status=429;retryAfter=1;retryafter=2", wantInErr: "given twice"},
		{header: "status=", wantInErr: "parameter status has no value"},
		{header: "hang;latency= ", wantInErr: "parameter latency has no value"},
		{header: "hang; =1s", wantInErr: "a parameter has a value but no name"},
	}
	for _, tt := range tests {
		t.Run(tt.header, func(t *testing.T) {
			got, err := ParseHeader(tt.header)
			if tt.wantInErr != "" {
				if err == nil || !strings.Contains(messageOf(err), tt.wantInErr) || !strings.HasPrefix(messageOf(err), admin.FaultHeader) {
					t.Fatalf("error %v, want one starting with %s containing %q", err, admin.FaultHeader, tt.wantInErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Fatalf("parsed %+v (%s), want %+v", got, Describe(got), tt.want)
			}
		})
	}
}

func TestCountedRuleExpiresEvenWhenTheStoreFails(t *testing.T) {
	t.Parallel()
	keep := &countingRecords{MemoryStore: recharge.NewMemoryStore()}
	fs := NewSet(1, keep)
	if _, err := fs.Add(t.Context(), admin.FaultRule{ID: "f1", Kind: admin.FaultReset, Count: 2}); err != nil {
		t.Fatal(err)
	}
	keep.fail = errors.New("disk full")
	steps := []struct {
		name       string
		wantPicked bool
	}{{"first", true}, {"second", true}, {"third", false}}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			_, picked, err := fs.Pick(t.Context(), "AOP-554", "X")
			if picked != st.wantPicked {
				t.Fatalf("picked %v, want %v", picked, st.wantPicked)
			}
			if picked && err == nil {
				t.Fatal("the failed save was not reported")
			}
		})
	}
}

// FuzzFaultHeader feeds arbitrary X-Mock-Fault values to the parser: it
// must not panic, what it accepts is a rule Validate accepts, and Describe
// writes it back as a header that parses to the same rule.
//
//	go test -run='^$' -fuzz='^FuzzFaultHeader$' -fuzztime=30s ./mockserver/faults
func FuzzFaultHeader(f *testing.F) {
	for _, sd := range []string{"status=503", "latency=2s", "reset", "hang;latency=1s", "status=429;retryAfter=2", "latency=-1s", "status=abc", ";;;", "trickle;latency=99999h",
		" status = 503 ", "status=503;;;", "status=503;status=500", "hang; latency = 1s ;"} {
		f.Add(sd)
	}
	f.Fuzz(func(t *testing.T, v string) {
		rule, err := ParseHeader(v)
		if err != nil {
			return
		}
		if rule.Kind == "" {
			t.Fatalf("%q parsed to a rule without a kind: %+v", v, rule)
		}
		if err := Validate(rule); err != nil {
			t.Fatalf("%q parsed to %+v, which Validate refuses: %v", v, rule, err)
		}
		again, err := ParseHeader(Describe(rule))
		if err != nil || again != rule {
			t.Fatalf("%q parsed to %+v, written as %q, read back as %+v, %v", v, rule, Describe(rule), again, err)
		}
	})
}
