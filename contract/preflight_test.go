package contract_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// TestPreflightAndResetOfAMockLeftAsAnExampleLeftIt plays a CI job against a
// shared mock that earlier work left with an admin token, a moved clock and
// a fault rule for every enquiry: the preflight stops the run with one
// reason each time, until --reset puts the mock back and the run passes.
func TestPreflightAndResetOfAMockLeftAsAnExampleLeftIt(t *testing.T) {
	t.Parallel()
	const token = "ci-admin-token"
	mock := mocktest.New(t, mocktest.WithAdminToken(token))
	ctx := context.Background()
	if _, err := mock.Admin.MoveClock(ctx, admin.Advance(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := mock.Admin.AddFault(ctx, admin.FaultRule{ID: "left-over", Kind: admin.FaultStatus, Status: 503}); err != nil {
		t.Fatal(err)
	}
	withToken := []string{framework.EnvAdminToken + "=" + token}
	args := []string{"--base-url=" + mock.URL, "--label-filter=fixtures"}
	for _, step := range []struct {
		name string
		env  []string
		args []string
		code int
		says string
	}{
		{"without the admin token", nil, args, contract.ExitPreflight, "refuses the suite's token (HTTP 401): set AOPAY_CONTRACT_ADMIN_TOKEN"},
		{"with a moved clock", withToken, args, contract.ExitPreflight, "the mock's clock is moved by 1h0m0s"},
		{"with the clock back and a fault rule left", withToken, args, contract.ExitPreflight, "left-over: status 503 for every enquiry"},
		{"with --reset", withToken, append(args, "--reset"), contract.ExitPassed, "Ran 14 of 146 specs on target mock"},
	} {
		if step.name == "with the clock back and a fault rule left" {
			if _, err := mock.Admin.MoveClock(ctx, admin.SetClock(time.Now())); err != nil {
				t.Fatal(err)
			}
		}
		r := runSuite(t, commandChild(t), step.env, step.args...)
		if r.code != step.code || !strings.Contains(r.output, step.says) {
			t.Fatalf("%s: exit %d, want %d saying %q\n%s", step.name, r.code, step.code, step.says, r.output)
		}
		if ran := r.specs(types.SpecStatePassed | types.SpecStateFailureStates); step.code == contract.ExitPreflight && ran != 0 {
			t.Errorf("%s: %d specs ran; none should have", step.name, ran)
		}
	}
	if rules, err := mock.Admin.ListFaults(ctx); err != nil || len(rules) != 0 {
		t.Errorf("after --reset the mock has fault rules %v (%v)", rules, err)
	}
}
