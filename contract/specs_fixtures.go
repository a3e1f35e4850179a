package contract

import (
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"

	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// describeFixtureExamples holds the mock's built-in fixtures to the examples
// openapi.yaml gives: each answers its example exactly, member for member.
func describeFixtureExamples(doc *openapi3.T) {
	Describe("Answers of the built-in fixtures", Label(LabelFixtures), func() {
		DescribeTable("answer exactly the named example of openapi.yaml",
			func(ctx SpecContext, registrationID, referenceID string, status int, example string) {
				want, err := exampleOf(doc, status, example)
				Expect(err).NotTo(HaveOccurred())
				ex := run.enquire(ctx, rechargestatus.Enquiry{ReferenceID: referenceID, RegistrationID: registrationID}, nil)
				run.expectAnswer(ex)
				Expect(ex).To(HaveStatus(status))
				Expect(ex.Body).To(MatchJSON(want), ex.Dump())
			},
			Entry("the provider page's success, 12345678", FixtureRegistration, "12345678", http.StatusOK, "success"),
			Entry("a failed transaction, FAILED-1001", FixtureRegistration, "FAILED-1001", http.StatusOK, "failed"),
			Entry("a refunded transaction, REFUND-1001", FixtureRegistration, "REFUND-1001", http.StatusOK, "refunded"),
			Entry("no transaction, NOTFOUND-1001", FixtureRegistration, "NOTFOUND-1001", http.StatusOK, "notFound"),
			Entry("the provider page's 401, BADSIG-1001", FixtureRegistration, "BADSIG-1001", http.StatusUnauthorized, "invalidSignatureEncoding"),
			Entry("a disabled service, AOP-DISABLED", "AOP-DISABLED", "12345678", http.StatusNotFound, "serviceDisabled"),
		)
	})
}

// describeLifecycle follows transactions made by the mock's referenceid
// conventions from their first enquiry to their final state.
func describeLifecycle() {
	Describe("Transaction lifecycle", Label(LabelFixtures), func() {
		var q rechargestatus.Enquiry
		enquiryOf := func(prefix string) func() {
			return func() {
				q = rechargestatus.Enquiry{ReferenceID: run.ref(prefix), RegistrationID: FixtureRegistration}
			}
		}

		Context("of a transaction that succeeds after a while (PENDING-)", func() {
			BeforeEach(enquiryOf("PENDING-"))

			It("answers pending, then success with the same txnid, then the same success again", func(ctx SpecContext) {
				seen := run.poll(ctx, q, conformance.PhaseSuccess)
				Expect(phases(seen)).To(Equal([]conformance.Phase{conformance.PhasePending, conformance.PhaseSuccess}))
				Expect(txnIDs(seen)).To(HaveLen(1), "the txnid changed on the way")
				again := run.enquire(ctx, q, nil)
				Expect(run.expectFound(again)).To(Equal(seen[len(seen)-1]), again.Dump())
			})
		})

		Context("of a transaction that fails after a while (PENDFAIL-)", func() {
			BeforeEach(enquiryOf("PENDFAIL-"))

			It("answers pending, then failed and not refunded, then the same failure again", func(ctx SpecContext) {
				seen := run.poll(ctx, q, conformance.PhaseFailed)
				Expect(phases(seen)).To(Equal([]conformance.Phase{conformance.PhasePending, conformance.PhaseFailed}))
				Expect(txnIDs(seen)).To(HaveLen(1), "the txnid changed on the way")
				failed := seen[len(seen)-1]
				Expect(failed.Refunded).To(Equal("0"))
				Expect(failed.RefundTxnID).To(BeEmpty())
				Expect(failed.DateRefunded).To(BeNil())
				again := run.enquire(ctx, q, nil)
				Expect(run.expectFound(again)).To(Equal(failed), again.Dump())
			})
		})

		Context("of a transaction that fails and is then refunded (PENDREFUND-)", func() {
			BeforeEach(enquiryOf("PENDREFUND-"))

			It("answers pending, then failed, then refunded with the refund fields set", func(ctx SpecContext) {
				seen := run.poll(ctx, q, conformance.PhaseRefunded)
				Expect(phases(seen)).To(Equal([]conformance.Phase{conformance.PhasePending, conformance.PhaseFailed, conformance.PhaseRefunded}))
				Expect(txnIDs(seen)).To(HaveLen(1), "the txnid changed on the way")
				refunded := seen[len(seen)-1]
				Expect(refunded.RefundTxnID).NotTo(BeEmpty())
				Expect(refunded.DateRefunded).NotTo(BeNil())
			})
		})

		Context("of a failed transaction (FAILED-)", func() {
			BeforeEach(enquiryOf("FAILED-"))

			It("answers failed, not refunded, with empty refund fields", func(ctx SpecContext) {
				ex := run.enquire(ctx, q, nil)
				data := run.expectFound(ex)
				Expect(data.Phase()).To(Equal(conformance.PhaseFailed), ex.Dump())
				Expect(data.RefundTxnID).To(BeEmpty(), ex.Dump())
				Expect(data.DateRefunded).To(BeNil(), ex.Dump())
			})
		})

		Context("of a refunded transaction (REFUND-)", func() {
			BeforeEach(enquiryOf("REFUND-"))

			It("answers refunded with refundtxnid and daterefunded set", func(ctx SpecContext) {
				ex := run.enquire(ctx, q, nil)
				data := run.expectFound(ex)
				Expect(data.Phase()).To(Equal(conformance.PhaseRefunded), ex.Dump())
				Expect(data.RefundTxnID).NotTo(BeEmpty(), ex.Dump())
				Expect(data.DateRefunded).NotTo(BeNil(), ex.Dump())
			})
		})

		Context("of a referenceid no fixture names", func() {
			BeforeEach(enquiryOf(""))

			It("answers a success with realistic data, the same on every enquiry", func(ctx SpecContext) {
				first := run.enquire(ctx, q, nil)
				data := run.expectFound(first)
				Expect(data.Phase()).To(Equal(conformance.PhaseSuccess), first.Dump())
				Expect(data.OperatorName).NotTo(BeEmpty(), first.Dump())
				Expect(data.CANumber).NotTo(BeEmpty(), first.Dump())
				Expect(data.OperatorID).NotTo(BeEmpty(), first.Dump())
				again := run.enquire(ctx, q, nil)
				Expect(again.Body).To(MatchJSON(first.Body), again.Dump())
			})
		})
	})
}
