package contract_test

import (
	"testing"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// TestARunAgainstTheUpstreamDialect runs the suite against a mock answering
// as provider-notes.md records the upstream aggregator: held to the page, the
// run fails and its failures name the known dialect, citing the notes; with
// --accept-dialect upstream, the run holds the endpoint to that dialect and
// passes, as it still passes an endpoint answering as the page.
func TestARunAgainstTheUpstreamDialect(t *testing.T) {
	t.Parallel()
	upstream := mustDialect(t, dialect.Upstream)
	t.Run("held to the page", func(t *testing.T) {
		t.Parallel()
		r := runSuite(t, commandChild(t), nil, "--base-url="+mocktest.New(t, mocktest.WithDialect(upstream)).URL)
		if r.code != contract.ExitFailed {
			t.Fatalf("exit %d, want %d\n%s", r.code, contract.ExitFailed, r.output)
		}
		r.expectCaught(t, caught{"Status enquiry of a known transaction referenceid 12345678 of AOP-554 answers HTTP 200",
			"the answer matches the known upstream dialect: the status answer spells the code responsecode (provider-notes.md:18-19"})
		r.expectCaught(t, caught{"Refusal of an unknown partner refuses an unknown RegistrationID in the error envelope",
			"the captured 401 body with code 25 (provider-notes.md:44"})
		r.expectCaught(t, caught{"Refusal of an unknown partner refuses an unknown RegistrationID in the error envelope",
			"--accept-dialect upstream holds the endpoint to that dialect instead"})
	})
	t.Run("accepting it of a page endpoint", func(t *testing.T) {
		t.Parallel()
		r := runSuite(t, commandChild(t), nil, "--base-url="+startMock(t), "--accept-dialect=upstream")
		if r.code != contract.ExitPassed {
			t.Fatalf("exit %d, want %d: accepting a dialect holds the endpoint to the page still\n%s\n%s", r.code, contract.ExitPassed, r.failures(), r.output)
		}
	})
	t.Run("accepting it", func(t *testing.T) {
		t.Parallel()
		r := runSuite(t, commandChild(t), nil, "--base-url="+mocktest.New(t, mocktest.WithDialect(upstream)).URL, "--accept-dialect=upstream")
		if r.code != contract.ExitPassed {
			t.Fatalf("exit %d, want %d\n%s\n%s", r.code, contract.ExitPassed, r.failures(), r.output)
		}
	})
}
