package contract

import (
	"fmt"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// describeKnownTransactions enquires the references the run was given, on
// every target.
func describeKnownTransactions(s *framework.Suite) {
	Describe("Status enquiry of a known transaction", func() {
		f := framework.New(s)
		for _, ref := range s.Config.References {
			Context(fmt.Sprintf("referenceid %s of %s", ref, s.Config.RegistrationID), func() {
				q := rechargestatus.Enquiry{ReferenceID: ref, RegistrationID: s.Config.RegistrationID}

				It("answers HTTP 200, response_code 1 and the transaction asked for, as the schema and invariants say", func(ctx SpecContext) {
					f.ExpectFound(f.Enquire(ctx, q, nil))
				})

				It("answers the same txnid again, and the same data once the transaction is final", func(ctx SpecContext) {
					first := f.Enquire(ctx, q, nil)
					data := f.ExpectFound(first)
					again := f.Enquire(ctx, q, nil)
					f.ExpectFound(again)
					Expect(again).To(framework.HaveDataMember("txnid", Equal(data.TxnID)))
					switch framework.PhaseOf(data) {
					case conformance.PhaseSuccess, conformance.PhaseRefunded:
						Expect(again).To(framework.MatchJSONData(first.Data()))
					case conformance.PhaseFailed:
						Expect(again).To(framework.HaveDataMember("status", Equal(rechargestatus.StatusFailed)))
					}
				})
			})
		}
	})
}

// describeUnknownTransaction enquires a referenceid nobody made; on the mock
// the NOTFOUND- prefix keeps it unknown.
func describeUnknownTransaction(s *framework.Suite) {
	Describe("Status enquiry of an unknown transaction", func() {
		f := framework.New(s)

		// The invariants hold response_code 2 to status false, no data and
		// its message.
		It("answers HTTP 200, response_code 2, status false, no data and its message", func(ctx SpecContext) {
			ex := f.Enquire(ctx, rechargestatus.Enquiry{ReferenceID: f.Ref("NOTFOUND-"), RegistrationID: s.Config.RegistrationID}, nil)
			f.ExpectAnswer(ex)
			Expect(ex).To(framework.HaveStatus(http.StatusOK))
			Expect(ex).To(framework.HaveResponseCode(Equal(rechargestatus.CodeNotFound)))
		})
	})
}

// describeUnknownPartner enquires for a RegistrationID nobody registered.
func describeUnknownPartner(s *framework.Suite) {
	Describe("Refusal of an unknown partner", func() {
		f := framework.New(s)
		var ex *framework.Exchange
		BeforeEach(func(ctx SpecContext) {
			ex = f.Enquire(ctx, rechargestatus.Enquiry{ReferenceID: s.Config.References[0], RegistrationID: f.Ref("UNKNOWN-")}, nil)
		})

		It("refuses an unknown RegistrationID in the error envelope: HTTP 4xx, status false, an error response_code", func() {
			f.ExpectRefusal(ex)
		})

		It("answers it HTTP 401, response_code 7 and Authentication failed (or as the accepted dialect answers it)", Label(framework.LabelSandbox), func() {
			f.ExpectSandboxPromise("unknown-registration")
			f.ExpectRefusal(ex)
			expectRefusalAs(ex, dialect.Authentication, rechargestatus.MessageAuthenticationFailed)
		})
	})
}
