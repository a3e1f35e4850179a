package contract

import (
	"net/http"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// adminEnquiry is an enquiry of a transaction nobody has set up yet.
func adminEnquiry(f *framework.Framework) rechargestatus.Enquiry {
	return rechargestatus.Enquiry{ReferenceID: f.Ref("ADMIN-"), RegistrationID: framework.FixtureRegistration}
}

// describeAdminScenarios sets transactions up through the mock's admin API
// and checks that enquiries answer what was set up.
func describeAdminScenarios(s *framework.Suite) {
	Describe("Scenarios set up through the admin API", Label(framework.LabelAdmin), func() {
		f := framework.New(s)
		var q rechargestatus.Enquiry
		BeforeEach(func() { q = adminEnquiry(f) })
		phaseOf := func(ex *framework.Exchange) conformance.Phase {
			GinkgoHelper()
			return framework.PhaseOf(f.ExpectFound(ex))
		}

		Context("a pending transaction that resolves after one enquiry", func() {
			BeforeEach(func(ctx SpecContext) {
				_, created := f.PutTransaction(ctx, q, transaction.Description{
					State: transaction.StatePending, Amount: "750.00", OperatorName: "HDFC Bank", CANumber: "MH01AB1234",
					Resolve: &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 1},
				})
				Expect(created).To(BeTrue(), "the first put creates the transaction")
			})

			It("answers pending with the fields put, then success", func(ctx SpecContext) {
				ex := f.Enquire(ctx, q, nil)
				Expect(phaseOf(ex)).To(Equal(conformance.PhasePending))
				Expect(ex).To(framework.HaveDataMember("amount", Equal("750.00")))
				Expect(ex).To(framework.HaveDataMember("operatorname", Equal("HDFC Bank")))
				Expect(ex).To(framework.HaveDataMember("canumber", Equal("MH01AB1234")))
				Expect(phaseOf(f.Enquire(ctx, q, nil))).To(Equal(conformance.PhaseSuccess))
			})

			It("shows in its admin view the data the next enquiry answers", func(ctx SpecContext) {
				for enquiries := range 2 {
					view, err := f.Admin().GetTransaction(ctx, framework.KeyOf(q))
					Expect(err).NotTo(HaveOccurred())
					Expect(view.Enquiries).To(Equal(enquiries))
					ex := f.Enquire(ctx, q, nil)
					Expect(f.ExpectFound(ex)).To(Equal(&view.Data), "the enquiry answers what the admin view showed\n\n%s", ex.Dump())
				}
			})
		})

		Context("a pending transaction moved by hand", func() {
			BeforeEach(func(ctx SpecContext) {
				f.PutTransaction(ctx, q, transaction.Description{State: transaction.StatePending})
			})

			It("answers pending, then failed, then refunded, as transitions say", func(ctx SpecContext) {
				Expect(phaseOf(f.Enquire(ctx, q, nil))).To(Equal(conformance.PhasePending))
				Expect(f.Admin().Transition(ctx, framework.KeyOf(q), transaction.StateFailed)).Error().NotTo(HaveOccurred())
				Expect(phaseOf(f.Enquire(ctx, q, nil))).To(Equal(conformance.PhaseFailed))
				Expect(f.Admin().Transition(ctx, framework.KeyOf(q), transaction.StateRefunded)).Error().NotTo(HaveOccurred())
				ex := f.Enquire(ctx, q, nil)
				Expect(phaseOf(ex)).To(Equal(conformance.PhaseRefunded))
				Expect(ex).To(framework.HaveDataMember("refundtxnid", Not(BeEmpty())))
				Expect(ex).To(framework.HaveDataMember("daterefunded", Not(BeEmpty())))
			})

			It("refuses to refund it once it succeeded, with 409 conflict, and answers the success still", func(ctx SpecContext) {
				Expect(f.Admin().Transition(ctx, framework.KeyOf(q), transaction.StateSuccess)).Error().NotTo(HaveOccurred())
				_, err := f.Admin().Transition(ctx, framework.KeyOf(q), transaction.StateRefunded)
				Expect(admin.ErrorCode(err)).To(Equal(admin.CodeConflict), "refunding a success: %v", err)
				Expect(err).To(MatchError(ContainSubstring("failed")))
				Expect(phaseOf(f.Enquire(ctx, q, nil))).To(Equal(conformance.PhaseSuccess))
			})
		})
	})
}

// describeAdminClock moves the sandbox clock past a transaction's rule.
func describeAdminClock(s *framework.Suite) {
	Describe("Scenarios on the sandbox clock", Label(framework.LabelAdmin), func() {
		f := framework.New(s)
		var q rechargestatus.Enquiry
		BeforeEach(func() { q = adminEnquiry(f) })
		phaseOf := func(ex *framework.Exchange) conformance.Phase {
			GinkgoHelper()
			return framework.PhaseOf(f.ExpectFound(ex))
		}

		// Serial: moving the shared clock would expire the tokens of specs
		// running beside it in other processes.
		Context("a pending transaction that fails ten minutes later on the sandbox clock", Serial, func() {
			BeforeEach(func(ctx SpecContext) {
				before, err := f.Admin().Clock(ctx)
				Expect(err).NotTo(HaveOccurred())
				offset, err := time.ParseDuration(before.Offset)
				Expect(err).NotTo(HaveOccurred(), "clock offset %q", before.Offset)
				DeferCleanup(func(ctx SpecContext) {
					_, err := f.Admin().MoveClock(ctx, admin.SetClock(time.Now().Add(offset)))
					Expect(err).NotTo(HaveOccurred())
				})
				f.PutTransaction(ctx, q, transaction.Description{State: transaction.StatePending, Resolve: &transaction.Rule{To: transaction.StateFailed, After: transaction.Duration(10 * time.Minute)}})
			})

			It("stays pending until the clock passes the rule, then answers failed", func(ctx SpecContext) {
				Expect(phaseOf(f.Enquire(ctx, q, nil))).To(Equal(conformance.PhasePending))
				_, err := f.Admin().MoveClock(ctx, admin.Advance(11*time.Minute))
				Expect(err).NotTo(HaveOccurred())
				Expect(phaseOf(f.Enquire(ctx, q, nil))).To(Equal(conformance.PhaseFailed))
			})
		})
	})
}

// describeAdminReplacements replaces and deletes transactions.
func describeAdminReplacements(s *framework.Suite) {
	Describe("Transactions replaced or deleted through the admin API", Label(framework.LabelAdmin), func() {
		f := framework.New(s)
		var q rechargestatus.Enquiry
		BeforeEach(func() { q = adminEnquiry(f) })

		Context("a transaction put twice", func() {
			BeforeEach(func(ctx SpecContext) {
				f.PutTransaction(ctx, q, transaction.Description{State: transaction.StateSuccess, Amount: "10.00"})
			})

			It("answers the new data after the second put", func(ctx SpecContext) {
				f.ExpectFound(f.Enquire(ctx, q, nil))
				_, created := f.PutTransaction(ctx, q, transaction.Description{State: transaction.StateSuccess, Amount: "20.00"})
				Expect(created).To(BeFalse(), "the second put replaces the transaction")
				ex := f.Enquire(ctx, q, nil)
				f.ExpectFound(ex)
				Expect(ex).To(framework.HaveDataMember("amount", Equal("20.00")))
			})
		})

		Context("a deleted transaction", func() {
			BeforeEach(func(ctx SpecContext) {
				f.PutTransaction(ctx, q, transaction.Description{State: transaction.StateSuccess})
			})

			It("is gone from the admin API, with not_found", func(ctx SpecContext) {
				Expect(f.Admin().DeleteTransaction(ctx, framework.KeyOf(q))).To(Succeed())
				_, err := f.Admin().GetTransaction(ctx, framework.KeyOf(q))
				Expect(admin.ErrorCode(err)).To(Equal(admin.CodeNotFound), "reading a deleted transaction: %v", err)
			})
		})
	})
}

// describeAdminViews reads what the admin API shows of the sandbox, and what it
// refuses.
func describeAdminViews(s *framework.Suite) {
	Describe("Views and refusals of the admin API", Label(framework.LabelAdmin), func() {
		f := framework.New(s)
		var q rechargestatus.Enquiry
		BeforeEach(func() { q = adminEnquiry(f) })

		Context("the transaction list", func() {
			BeforeEach(func(ctx SpecContext) {
				f.PutTransaction(ctx, q, transaction.Description{State: transaction.StateFailed})
			})

			It("lists the transaction under its registration and state, and not under another state", func(ctx SpecContext) {
				listed := func(state transaction.State) []string {
					GinkgoHelper()
					list, err := f.Admin().ListTransactions(ctx, admin.TransactionFilter{RegistrationID: q.RegistrationID, State: state})
					Expect(err).NotTo(HaveOccurred())
					refs := make([]string, 0, len(list))
					for _, t := range list {
						Expect(t.State).To(Equal(state))
						refs = append(refs, t.ReferenceID)
					}
					return refs
				}
				Expect(listed(transaction.StateFailed)).To(ContainElement(q.ReferenceID))
				Expect(listed(transaction.StateSuccess)).NotTo(ContainElement(q.ReferenceID))
			})
		})

		Context("the request journal", func() {
			It("counts and lists every enquiry of a referenceid", func(ctx SpecContext) {
				for range 3 {
					f.ExpectFound(f.Enquire(ctx, q, nil))
				}
				count, err := f.Admin().CountRequests(ctx, admin.JournalQuery{ReferenceID: q.ReferenceID})
				Expect(err).NotTo(HaveOccurred())
				Expect(count).To(Equal(3))
				journal, err := f.Admin().ListRequests(ctx, admin.JournalQuery{ReferenceID: q.ReferenceID})
				Expect(err).NotTo(HaveOccurred())
				Expect(journal).To(HaveLen(3))
				Expect(journal).To(HaveEach(And(
					WithTransform(entryStatus, Equal(http.StatusOK)),
					WithTransform(entryRegistration, Equal(q.RegistrationID)),
					WithTransform(entryRequestBody, ContainSubstring(q.ReferenceID)),
				)))
			})
		})

		Context("a health check", func() {
			It("answers status ok", func(ctx SpecContext) {
				health, err := f.Admin().Health(ctx)
				Expect(err).NotTo(HaveOccurred())
				Expect(health.Status).To(Equal(admin.HealthOK))
			})
		})

		Context("a request the admin API cannot accept", func() {
			It("answers not_found for an unknown registration", func(ctx SpecContext) {
				_, _, err := f.Admin().PutTransaction(ctx, transaction.Key{RegistrationID: f.Ref("UNKNOWN-"), ReferenceID: q.ReferenceID}, transaction.Description{State: transaction.StateSuccess})
				Expect(admin.ErrorCode(err)).To(Equal(admin.CodeNotFound), "putting a transaction of an unknown registration: %v", err)
			})

			It("answers invalid naming the field for an unknown state", func(ctx SpecContext) {
				_, _, err := f.Admin().PutTransaction(ctx, framework.KeyOf(q), transaction.Description{State: "lost"})
				Expect(admin.ErrorCode(err)).To(Equal(admin.CodeInvalid), "putting a transaction in state lost: %v", err)
				Expect(err).To(MatchError(ContainSubstring("state")))
			})
		})
	})
}
