package contract

import (
	"net/http"
	"net/url"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// describeAdminScenarios sets transactions up through the mock's admin API
// and checks that enquiries answer what was set up.
func describeAdminScenarios() {
	Describe("Scenarios set up through the admin API", Label(LabelAdmin), func() {
		var q rechargestatus.Enquiry
		BeforeEach(func() {
			q = rechargestatus.Enquiry{ReferenceID: run.ref("ADMIN-"), RegistrationID: FixtureRegistration}
			DeferCleanup(func(ctx SpecContext) {
				run.admin.DeleteTransaction(ctx, q.RegistrationID, q.ReferenceID)
				run.judge.History.Forget(q)
			})
		})
		put := func(ctx SpecContext, spec TransactionSpec, status int) AdminTransaction {
			GinkgoHelper()
			ex := run.admin.PutTransaction(ctx, q.RegistrationID, q.ReferenceID, spec)
			Expect(ex).To(HonourContract(run.judge))
			Expect(ex).To(HaveStatus(status))
			var view AdminTransaction
			Expect(DecodeJSON(ex, &view)).To(Succeed())
			return view
		}
		transition := func(ctx SpecContext, to string, status int) *Exchange {
			GinkgoHelper()
			ex := run.admin.Transition(ctx, q.RegistrationID, q.ReferenceID, to)
			Expect(ex).To(HonourContract(run.judge))
			Expect(ex).To(HaveStatus(status))
			return ex
		}

		Context("a pending transaction that resolves after one enquiry", func() {
			var view AdminTransaction
			BeforeEach(func(ctx SpecContext) {
				view = put(ctx, TransactionSpec{
					State: "pending", Amount: "750.00", OperatorName: "HDFC Bank", CANumber: "MH01AB1234",
					Resolve: &RuleSpec{To: "success", AfterEnquiries: 1},
				}, http.StatusCreated)
			})

			It("answers pending with the fields put, then success", func(ctx SpecContext) {
				ex := run.enquire(ctx, q, nil)
				pending := run.expectFound(ex)
				Expect(pending.Phase()).To(Equal(conformance.PhasePending), ex.Dump())
				Expect(pending.Amount).To(Equal("750.00"), ex.Dump())
				Expect(pending.OperatorName).To(Equal("HDFC Bank"), ex.Dump())
				Expect(pending.CANumber).To(Equal("MH01AB1234"), ex.Dump())
				ex = run.enquire(ctx, q, nil)
				Expect(run.expectFound(ex).Phase()).To(Equal(conformance.PhaseSuccess), ex.Dump())
			})

			It("shows in its admin view the data the next enquiry answers", func(ctx SpecContext) {
				Expect(view.State).To(Equal("pending"))
				for enquiries := range 2 {
					read := run.admin.Transaction(ctx, q.RegistrationID, q.ReferenceID)
					Expect(read).To(HonourContract(run.judge))
					var shown AdminTransaction
					Expect(DecodeJSON(read, &shown)).To(Succeed())
					Expect(shown.Enquiries).To(Equal(enquiries), read.Dump())
					ex := run.enquire(ctx, q, nil)
					Expect(run.expectFound(ex)).To(Equal(&shown.Data), "the enquiry answers what the admin view showed\n\n%s\n\n%s", read.Dump(), ex.Dump())
				}
			})
		})

		Context("a pending transaction moved by hand", func() {
			BeforeEach(func(ctx SpecContext) {
				put(ctx, TransactionSpec{State: "pending"}, http.StatusCreated)
			})

			It("answers pending, then failed, then refunded, as transitions say", func(ctx SpecContext) {
				ex := run.enquire(ctx, q, nil)
				Expect(run.expectFound(ex).Phase()).To(Equal(conformance.PhasePending), ex.Dump())
				transition(ctx, "failed", http.StatusOK)
				ex = run.enquire(ctx, q, nil)
				Expect(run.expectFound(ex).Phase()).To(Equal(conformance.PhaseFailed), ex.Dump())
				transition(ctx, "refunded", http.StatusOK)
				ex = run.enquire(ctx, q, nil)
				refunded := run.expectFound(ex)
				Expect(refunded.Phase()).To(Equal(conformance.PhaseRefunded), ex.Dump())
				Expect(refunded.RefundTxnID).NotTo(BeEmpty(), ex.Dump())
				Expect(refunded.DateRefunded).NotTo(BeNil(), ex.Dump())
			})

			It("refuses to refund it once it succeeded, with 409 and the reason", func(ctx SpecContext) {
				transition(ctx, "success", http.StatusOK)
				ex := transition(ctx, "refunded", http.StatusConflict)
				var refusal AdminError
				Expect(DecodeJSON(ex, &refusal)).To(Succeed())
				Expect(refusal.Error.Code).To(Equal("conflict"), ex.Dump())
				Expect(refusal.Error.Message).To(ContainSubstring("failed"), ex.Dump())
				enquiry := run.enquire(ctx, q, nil)
				Expect(run.expectFound(enquiry).Phase()).To(Equal(conformance.PhaseSuccess), enquiry.Dump())
			})
		})

		// Serial: moving the shared clock would expire the tokens of specs
		// running beside it in other processes.
		Context("a pending transaction that fails ten minutes later on the sandbox clock", Serial, func() {
			BeforeEach(func(ctx SpecContext) {
				ex := run.admin.Clock(ctx)
				Expect(ex).To(HonourContract(run.judge))
				var before ClockView
				Expect(DecodeJSON(ex, &before)).To(Succeed())
				offset, err := time.ParseDuration(before.Offset)
				Expect(err).NotTo(HaveOccurred(), ex.Dump())
				DeferCleanup(func(ctx SpecContext) {
					move := map[string]any{"set": time.Now().Add(offset).Format(time.RFC3339Nano)}
					if before.Frozen {
						move = map[string]any{"freeze": before.Now.Format(time.RFC3339Nano)}
					}
					Expect(run.admin.MoveClock(ctx, move)).To(HaveStatus(http.StatusOK))
				})
				put(ctx, TransactionSpec{State: "pending", Resolve: &RuleSpec{To: "failed", After: "10m"}}, http.StatusCreated)
			})

			It("stays pending until the clock passes the rule, then answers failed", func(ctx SpecContext) {
				ex := run.enquire(ctx, q, nil)
				Expect(run.expectFound(ex).Phase()).To(Equal(conformance.PhasePending), ex.Dump())
				moved := run.admin.MoveClock(ctx, map[string]any{"advance": "11m"})
				Expect(moved).To(HonourContract(run.judge))
				Expect(moved).To(HaveStatus(http.StatusOK))
				ex = run.enquire(ctx, q, nil)
				Expect(run.expectFound(ex).Phase()).To(Equal(conformance.PhaseFailed), ex.Dump())
			})
		})

		Context("a transaction put twice", func() {
			BeforeEach(func(ctx SpecContext) {
				put(ctx, TransactionSpec{State: "success", Amount: "10.00"}, http.StatusCreated)
			})

			It("answers 200 to the second put, and enquiries answer the new data", func(ctx SpecContext) {
				run.expectFound(run.enquire(ctx, q, nil))
				put(ctx, TransactionSpec{State: "success", Amount: "20.00"}, http.StatusOK)
				run.judge.History.Forget(q)
				ex := run.enquire(ctx, q, nil)
				Expect(run.expectFound(ex).Amount).To(Equal("20.00"), ex.Dump())
			})
		})

		Context("a deleted transaction", func() {
			BeforeEach(func(ctx SpecContext) {
				put(ctx, TransactionSpec{State: "success"}, http.StatusCreated)
			})

			It("answers 204 to the delete and 404 not_found when read again", func(ctx SpecContext) {
				deleted := run.admin.DeleteTransaction(ctx, q.RegistrationID, q.ReferenceID)
				Expect(deleted).To(HonourContract(run.judge))
				Expect(deleted).To(HaveStatus(http.StatusNoContent))
				ex := run.admin.Transaction(ctx, q.RegistrationID, q.ReferenceID)
				Expect(ex).To(HonourContract(run.judge))
				Expect(ex).To(HaveStatus(http.StatusNotFound))
				var missing AdminError
				Expect(DecodeJSON(ex, &missing)).To(Succeed())
				Expect(missing.Error.Code).To(Equal("not_found"), ex.Dump())
			})
		})

		Context("the transaction list", func() {
			BeforeEach(func(ctx SpecContext) {
				put(ctx, TransactionSpec{State: "failed"}, http.StatusCreated)
			})

			It("lists the transaction under its registration and state, and not under another state", func(ctx SpecContext) {
				listed := func(state string) []string {
					GinkgoHelper()
					ex := run.admin.Transactions(ctx, url.Values{"registrationId": {q.RegistrationID}, "state": {state}})
					Expect(ex).To(HonourContract(run.judge))
					var list TransactionList
					Expect(DecodeJSON(ex, &list)).To(Succeed())
					refs := make([]string, 0, len(list.Transactions))
					for _, t := range list.Transactions {
						Expect(t.State).To(Equal(state), ex.Dump())
						refs = append(refs, t.ReferenceID)
					}
					return refs
				}
				Expect(listed("failed")).To(ContainElement(q.ReferenceID))
				Expect(listed("success")).NotTo(ContainElement(q.ReferenceID))
			})
		})

		Context("the request journal", func() {
			It("counts and lists every enquiry of a referenceid", func(ctx SpecContext) {
				for range 3 {
					run.expectFound(run.enquire(ctx, q, nil))
				}
				filter := url.Values{"referenceId": {q.ReferenceID}}
				ex := run.admin.RequestCount(ctx, filter)
				Expect(ex).To(HonourContract(run.judge))
				var count struct{ Count int }
				Expect(DecodeJSON(ex, &count)).To(Succeed())
				Expect(count.Count).To(Equal(3), ex.Dump())
				ex = run.admin.Requests(ctx, filter)
				Expect(ex).To(HonourContract(run.judge))
				var journal Journal
				Expect(DecodeJSON(ex, &journal)).To(Succeed())
				Expect(journal.Requests).To(HaveLen(3), ex.Dump())
				Expect(journal.Requests).To(HaveEach(And(
					HaveField("Status", http.StatusOK),
					HaveField("RegistrationID", q.RegistrationID),
					HaveField("RequestBody", ContainSubstring(q.ReferenceID)),
				)), ex.Dump())
			})
		})

		Context("a health check", func() {
			It("answers 200 with status ok", func(ctx SpecContext) {
				ex := run.admin.Health(ctx)
				Expect(ex).To(HonourContract(run.judge))
				Expect(ex).To(HaveStatus(http.StatusOK))
				var health struct{ Status string }
				Expect(DecodeJSON(ex, &health)).To(Succeed())
				Expect(health.Status).To(Equal("ok"), ex.Dump())
			})
		})

		Context("a request the admin API cannot accept", func() {
			It("answers 404 not_found for an unknown registration", func(ctx SpecContext) {
				ex := run.admin.PutTransaction(ctx, "NOPE", q.ReferenceID, TransactionSpec{State: "success"})
				Expect(ex).To(HonourContract(run.judge))
				Expect(ex).To(HaveStatus(http.StatusNotFound))
				var refusal AdminError
				Expect(DecodeJSON(ex, &refusal)).To(Succeed())
				Expect(refusal.Error.Code).To(Equal("not_found"), ex.Dump())
			})

			It("answers 400 invalid naming the field for an unknown state", func(ctx SpecContext) {
				ex := run.admin.PutTransaction(ctx, q.RegistrationID, q.ReferenceID, TransactionSpec{State: "lost"})
				Expect(ex).To(HonourContract(run.judge))
				Expect(ex).To(HaveStatus(http.StatusBadRequest))
				var refusal AdminError
				Expect(DecodeJSON(ex, &refusal)).To(Succeed())
				Expect(refusal.Error.Code).To(Equal("invalid"), ex.Dump())
				Expect(refusal.Error.Message).To(ContainSubstring("state"), ex.Dump())
			})
		})
	})
}
