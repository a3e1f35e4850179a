package contract_test

import (
	"net/http"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// TestAMockRunHoldsTheSandboxToItsOwnPromises breaks promises only the
// sandbox makes (x-sandbox-promises): a run against the mock catches them,
// while a real run, which does not hold an endpoint to them, passes.
func TestAMockRunHoldsTheSandboxToItsOwnPromises(t *testing.T) {
	t.Parallel()
	url := spoiltMock(t, mockserver.Config{Seed: 1}, func(_ *http.Request, _ []byte, a *answer) {
		switch a.status {
		case http.StatusBadRequest:
			// A refusal that does not name the field at fault.
			a.body = []byte(`{"status":false,"response_code":4,"message":"Validations Error"}`)
		case http.StatusUnauthorized:
			// The upstream's other wording of a refused partner.
			a.body = []byte(`{"status":false,"response_code":5,"message":"Authentication failed"}`)
		}
	})
	t.Run("mock", func(t *testing.T) {
		t.Parallel()
		r := runSuite(t, commandChild(t), nil, "--base-url="+url, "--label-filter=sandbox")
		if r.code != contract.ExitFailed {
			t.Fatalf("exit %d, want %d\n%s", r.code, contract.ExitFailed, r.output)
		}
		r.expectCaught(t, caught{"names the field at fault in its message (or where the accepted dialect says it) when RegistrationID is empty", "message: Expected"})
		r.expectCaught(t, caught{"Refusal of an unknown partner answers it HTTP 401, response_code 7", "response_code: Expected"})
	})
	t.Run("real", func(t *testing.T) {
		t.Parallel()
		if r := runSuite(t, commandChild(t), nil, realRun(url, "--label-filter=!token")...); r.code != contract.ExitPassed {
			t.Fatalf("exit %d, want %d\n%s\n%s", r.code, contract.ExitPassed, r.failures(), r.output)
		}
	})
}

// TestAMockRunHoldsTheSpecNotTheMocksDefaults runs the suite against the
// mock set to the other answers openapi.yaml allows where the provider's
// behaviour is a guess: it must pass them all.
func TestAMockRunHoldsTheSpecNotTheMocksDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name   string
		cfg    mockserver.Config
		labels string
	}{
		{"validation errors as HTTP 401, as the upstream answers them", mockserver.Config{Seed: 1, Dialect: mustDialect(t, "page;validation-status=401")}, "negative"},
		{"pending as data.status 3, another seed", mockserver.Config{Seed: 42, Dialect: mustDialect(t, "page;pending-status=3")}, "fixtures"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := runSuite(t, commandChild(t), nil, "--base-url="+spoiltMock(t, tc.cfg, faithful), "--label-filter="+tc.labels)
			if r.code != contract.ExitPassed {
				t.Fatalf("exit %d, want %d\n%s\n%s", r.code, contract.ExitPassed, r.failures(), r.output)
			}
		})
	}
}

func mustDialect(t *testing.T, spec string) dialect.Dialect {
	t.Helper()
	d, err := dialect.Parse(spec)
	if err != nil {
		t.Fatal(err)
	}
	return d
}
