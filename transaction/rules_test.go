package transaction

import (
	"encoding/json"
	"testing"
	"time"
)

func TestRuleConstructorsWriteTheRulesJSON(t *testing.T) {
	tests := []struct {
		rule *Rule
		want string
	}{
		{ResolveAfter(StateSuccess, 30*time.Minute), `{"to":"success","after":"30m0s"}`},
		{ResolveAfterEnquiries(StateFailed, 2), `{"to":"failed","afterEnquiries":2}`},
		{RefundAfter(time.Hour), `{"after":"1h0m0s"}`},
		{RefundAfterEnquiries(1), `{"afterEnquiries":1}`},
	}
	for _, tt := range tests {
		b, err := json.Marshal(tt.rule)
		if err != nil || string(b) != tt.want {
			t.Errorf("%+v = %s, %v; want %s", *tt.rule, b, err, tt.want)
		}
	}
	if err := ResolveAfter(StateSuccess, time.Minute).CheckResolve(); err != nil {
		t.Errorf("ResolveAfter: %v", err)
	}
	if err := RefundAfterEnquiries(1).CheckRefund(); err != nil {
		t.Errorf("RefundAfterEnquiries: %v", err)
	}
}
