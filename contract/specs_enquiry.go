package contract

import (
	"fmt"
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// describeKnownTransactions holds the read-only specs every target runs: the
// references the run was given.
func describeKnownTransactions(cfg Config) {
	Describe("Status enquiry of a known transaction", func() {
		for _, ref := range cfg.References {
			Context(fmt.Sprintf("referenceid %s of %s", ref, cfg.RegistrationID), func() {
				var q rechargestatus.Enquiry
				BeforeEach(func() {
					q = rechargestatus.Enquiry{ReferenceID: ref, RegistrationID: cfg.RegistrationID}
				})

				It("answers HTTP 200, response_code 1 and the transaction asked for", func(ctx SpecContext) {
					ex := run.enquire(ctx, q, nil)
					data := run.expectFound(ex)
					Expect(data.RefID).To(Equal(ref), ex.Dump())
				})

				It("answers the same data again once the transaction is final", func(ctx SpecContext) {
					first := run.expectFound(run.enquire(ctx, q, nil))
					again := run.enquire(ctx, q, nil)
					second := run.expectFound(again)
					switch first.Phase() {
					case conformance.PhaseSuccess, conformance.PhaseRefunded:
						Expect(second).To(Equal(first), again.Dump())
					case conformance.PhaseFailed:
						Expect(second.Phase()).To(BeElementOf(conformance.PhaseFailed, conformance.PhaseRefunded), again.Dump())
						Expect(second.TxnID).To(Equal(first.TxnID), again.Dump())
					default:
						AddReportEntry("pending", fmt.Sprintf("%s is pending: only a final transaction must answer the same data", ref))
					}
				})
			})
		}
	})
}

// describeUnknownTransaction enquires a referenceid nobody made; on the mock
// the NOTFOUND- prefix keeps it unknown.
func describeUnknownTransaction() {
	Describe("Status enquiry of an unknown transaction", func() {
		var q rechargestatus.Enquiry
		BeforeEach(func() {
			q = rechargestatus.Enquiry{ReferenceID: run.ref("NOTFOUND-"), RegistrationID: run.cfg.RegistrationID}
		})

		It("answers HTTP 200, response_code 2, status false and no data", func(ctx SpecContext) {
			ex := run.enquire(ctx, q, nil)
			a := run.expectAnswer(ex)
			Expect(ex).To(HaveStatus(http.StatusOK))
			Expect(a.ResponseCode).To(Equal(rechargestatus.CodeNotFound), ex.Dump())
			Expect(a.Status).To(BeFalse(), ex.Dump())
			Expect(a.Data).To(BeNil(), ex.Dump())
			Expect(a.Message).To(Equal(rechargestatus.MessageNotFound), ex.Dump())
		})
	})
}
