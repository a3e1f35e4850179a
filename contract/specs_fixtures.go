package contract

import (
	"encoding/json"
	"net/http"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// describeFixtureExamples holds the mock's built-in fixtures to the examples
// openapi.yaml gives: each answers its example exactly, member for member.
// A refusal may instead be the refusal of a dialect the run accepts.
func describeFixtureExamples(s *framework.Suite) {
	Describe("Answers of the built-in fixtures", Label(framework.LabelFixtures), func() {
		f := framework.New(s)
		DescribeTable("answer exactly the named example of openapi.yaml (after the mock's transactions were changed, --reset puts them back)",
			func(ctx SpecContext, registrationID, referenceID string, status int, example string) {
				want := f.Example(status, example)
				ex := f.Enquire(ctx, rechargestatus.Enquiry{ReferenceID: referenceID, RegistrationID: registrationID}, nil)
				f.ExpectAnswer(ex)
				if refusal := accepted(ex, status, want); refusal != nil {
					expectRefusalAs(ex, refusal.failure, refusal.message)
					return
				}
				Expect(ex).To(framework.HaveStatus(status))
				Expect(ex).To(framework.MatchJSONBody(want))
			},
			Entry("the provider page's success, 12345678", framework.FixtureRegistration, "12345678", http.StatusOK, "success"),
			Entry("a failed transaction, FAILED-1001", framework.FixtureRegistration, "FAILED-1001", http.StatusOK, "failed"),
			Entry("a refunded transaction, REFUND-1001", framework.FixtureRegistration, "REFUND-1001", http.StatusOK, "refunded"),
			Entry("no transaction, NOTFOUND-1001", framework.FixtureRegistration, "NOTFOUND-1001", http.StatusOK, "notFound"),
			Entry("the provider page's 401, BADSIG-1001", framework.FixtureRegistration, "BADSIG-1001", http.StatusUnauthorized, "invalidSignatureEncoding"),
			Entry("a disabled service, AOP-DISABLED", framework.DisabledRegistration, "12345678", http.StatusNotFound, "serviceDisabled"),
		)
	})
}

// exampleRefusal is the failure an error example of openapi.yaml words.
type exampleRefusal struct {
	failure dialect.Failure
	message string
}

// accepted is the failure an error example words when ex refuses it as a
// dialect the run accepts does, rather than as the example; nil otherwise.
func accepted(ex *framework.Exchange, status int, example []byte) *exampleRefusal {
	failures := map[int]dialect.Failure{http.StatusUnauthorized: dialect.TokenRejected, http.StatusNotFound: dialect.ServiceDisabled}
	failure, ok := failures[status]
	var e rechargestatus.ErrorAnswer
	if !ok || json.Unmarshal(example, &e) != nil {
		return nil
	}
	if ex.ExpectedRefusal(failure, e.Message, e.Remarks).Dialect == dialect.Page {
		return nil
	}
	return &exampleRefusal{failure, e.Message}
}

// describeLifecycle follows transactions made by the mock's referenceid
// conventions from their first enquiry to their final state.
func describeLifecycle(s *framework.Suite) {
	Describe("Transaction lifecycle", Label(framework.LabelFixtures), func() {
		f := framework.New(s)
		var q rechargestatus.Enquiry
		enquiryOf := func(prefix string) func() {
			return func() {
				q = rechargestatus.Enquiry{ReferenceID: f.Ref(prefix), RegistrationID: framework.FixtureRegistration}
			}
		}

		Context("of a transaction that succeeds after a while (PENDING-)", func() {
			BeforeEach(enquiryOf("PENDING-"))

			It("answers pending, then success with the same txnid, then the same success again", func(ctx SpecContext) {
				seen := f.Poll(ctx, q, conformance.PhaseSuccess)
				Expect(framework.Phases(seen)).To(Equal([]conformance.Phase{conformance.PhasePending, conformance.PhaseSuccess}))
				Expect(framework.TxnIDs(seen)).To(HaveLen(1), "the txnid changed on the way")
				f.ExpectFound(f.Enquire(ctx, q, nil))
			})
		})

		Context("of a transaction that fails after a while (PENDFAIL-)", func() {
			BeforeEach(enquiryOf("PENDFAIL-"))

			It("answers pending, then failed and not refunded, then the same failure again", func(ctx SpecContext) {
				seen := f.Poll(ctx, q, conformance.PhaseFailed)
				Expect(framework.Phases(seen)).To(Equal([]conformance.Phase{conformance.PhasePending, conformance.PhaseFailed}))
				Expect(framework.TxnIDs(seen)).To(HaveLen(1), "the txnid changed on the way")
				failed := seen[len(seen)-1]
				Expect(failed.Refunded).To(Equal("0"))
				Expect(failed.RefundTxnID).To(BeEmpty())
				Expect(failed.DateRefunded).To(BeNil())
				again := f.Enquire(ctx, q, nil)
				f.ExpectFound(again)
				Expect(again).To(framework.HaveDataMember("refunded", Equal("0")))
			})
		})

		Context("of a transaction that fails and is then refunded (PENDREFUND-)", func() {
			BeforeEach(enquiryOf("PENDREFUND-"))

			It("answers pending, then failed, then refunded with the refund fields set", func(ctx SpecContext) {
				seen := f.Poll(ctx, q, conformance.PhaseRefunded)
				Expect(framework.Phases(seen)).To(Equal([]conformance.Phase{conformance.PhasePending, conformance.PhaseFailed, conformance.PhaseRefunded}))
				Expect(framework.TxnIDs(seen)).To(HaveLen(1), "the txnid changed on the way")
				refunded := seen[len(seen)-1]
				Expect(refunded.RefundTxnID).NotTo(BeEmpty())
				Expect(refunded.DateRefunded).NotTo(BeNil())
			})
		})

	})
}

// describeFinalConventions enquires transactions the mock's referenceid
// conventions make final from the start.
func describeFinalConventions(s *framework.Suite) {
	Describe("Final transactions of the mock's referenceid conventions", Label(framework.LabelFixtures), func() {
		f := framework.New(s)
		var q rechargestatus.Enquiry
		enquiryOf := func(prefix string) func() {
			return func() {
				q = rechargestatus.Enquiry{ReferenceID: f.Ref(prefix), RegistrationID: framework.FixtureRegistration}
			}
		}

		Context("of a failed transaction (FAILED-)", func() {
			BeforeEach(enquiryOf("FAILED-"))

			It("answers failed, not refunded, with empty refund fields", func(ctx SpecContext) {
				ex := f.Enquire(ctx, q, nil)
				f.ExpectFound(ex)
				Expect(ex).To(framework.HaveDataMember("status", Equal(rechargestatus.StatusFailed)))
				Expect(ex).To(framework.HaveDataMember("refunded", Equal("0")))
				Expect(ex).To(framework.HaveDataMember("refundtxnid", BeEmpty()))
			})
		})

		Context("of a refunded transaction (REFUND-)", func() {
			BeforeEach(enquiryOf("REFUND-"))

			It("answers refunded with refundtxnid and daterefunded set", func(ctx SpecContext) {
				ex := f.Enquire(ctx, q, nil)
				f.ExpectFound(ex)
				Expect(ex).To(framework.HaveDataMember("refunded", Equal("1")))
				Expect(ex).To(framework.HaveDataMember("refundtxnid", Not(BeEmpty())))
				Expect(ex).To(framework.HaveDataMember("daterefunded", Not(BeEmpty())))
			})
		})

		Context("of a referenceid no fixture names", func() {
			BeforeEach(enquiryOf(""))

			It("answers a success with realistic data, the same on every enquiry", func(ctx SpecContext) {
				first := f.Enquire(ctx, q, nil)
				f.ExpectFound(first)
				Expect(first).To(framework.HaveDataMember("status", Equal(rechargestatus.StatusSuccess)))
				for _, member := range []string{"operatorname", "canumber", "operatorid"} {
					Expect(first).To(framework.HaveDataMember(member, Not(BeEmpty())))
				}
				again := f.Enquire(ctx, q, nil)
				Expect(again).To(framework.MatchJSONBody(first.PageBody()))
			})
		})
	})
}
