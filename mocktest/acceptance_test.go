package mocktest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// TestOneAcceptanceForTheAdminAPIAndTheFixtures describes each transaction
// twice, as an admin PUT body and as a fixtures entry with the same keys:
// the sandbox accepts both or refuses both.
func TestOneAcceptanceForTheAdminAPIAndTheFixtures(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, body string
		accepted   bool
	}{
		{"state alone", `{"state":"success"}`, true},
		{"refunded, its fields generated", `{"state":"refunded"}`, true},
		{"pending with both rules", `{"state":"pending","resolve":{"to":"success","after":"10m"},"refund":{"after":"5m"}}`, true},
		{"failed with a refund rule", `{"state":"failed","refund":{"afterEnquiries":1}}`, true},
		{"every field", `{"state":"refunded","txnid":"7","operatorname":"ICICI Bank","canumber":"DL1","amount":"1.50","comm":"0.00","tds":"0.00","operatorid":"OP1","dateadded":"2026-03-05 17:00:00","refundtxnid":"RF7","daterefunded":"2026-03-05 18:00:00"}`, true},
		{"refund rule on a success", `{"state":"success","refund":{"afterEnquiries":1}}`, false},
		{"resolve rule on a failure", `{"state":"failed","resolve":{"to":"success","afterEnquiries":1}}`, false},
		{"resolve to refunded", `{"state":"pending","resolve":{"to":"refunded","afterEnquiries":1}}`, false},
		{"refund rule with a target", `{"state":"failed","refund":{"to":"refunded","afterEnquiries":1}}`, false},
		{"rule without a trigger", `{"state":"pending","resolve":{"to":"success"}}`, false},
		{"refund fields on a failure", `{"state":"failed","refundtxnid":"RF1"}`, false},
		{"refund before the transaction", `{"state":"refunded","dateadded":"2026-03-05 18:00:00","daterefunded":"2026-03-05 17:00:00"}`, false},
		{"amount not a decimal", `{"state":"success","amount":"1,00"}`, false},
		{"txnid too long", `{"state":"success","txnid":"` + strings.Repeat("9", 65) + `"}`, false},
		{"date in another format", `{"state":"success","dateadded":"2026-03-05T17:00:00Z"}`, false},
		{"unknown state", `{"state":"done"}`, false},
		{"unknown key", `{"state":"success","colour":"red"}`, false},
	}
	mock := mocktest.New(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(context.Background(), http.MethodPut, mock.URL+"/__admin/transactions/AOP-554/ORDER-1", strings.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Content-Type", "application/json")
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			byAdmin := res.StatusCode < 300

			var entry map[string]any
			if err := json.Unmarshal([]byte(tt.body), &entry); err != nil {
				t.Fatal(err)
			}
			entry["registrationId"], entry["referenceId"] = "AOP-554", "ORDER-1"
			file, _ := json.Marshal(map[string]any{"registrations": []any{map[string]any{"id": "AOP-554"}}, "transactions": []any{entry}})
			set, err := fixtures.Parse(file, slog.New(slog.DiscardHandler))
			if err == nil {
				_, err = mockserver.New(mockserver.Config{Fixtures: &set})
			}
			byFixtures := err == nil

			if byAdmin != tt.accepted || byFixtures != tt.accepted {
				t.Fatalf("admin PUT answered %d, fixtures %v; want both accepted=%v\n%s", res.StatusCode, err, tt.accepted, bytes.TrimSpace(file))
			}
		})
	}
}
