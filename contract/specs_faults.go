package contract

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// FaultHeader picks a fault of the mock for one enquiry.
const FaultHeader = "X-Mock-Fault"

// faultLatency is the delay the latency, trickle and hang specs ask for:
// long enough to measure, short enough for a fast suite.
const faultLatency = 300 * time.Millisecond

// describeHeaderFaults injects each fault kind into one enquiry through the
// X-Mock-Fault header and checks what the client sees.
func describeHeaderFaults() {
	Describe("Faults picked by the X-Mock-Fault header, as the client sees them", Label(LabelFaults), func() {
		var q rechargestatus.Enquiry
		BeforeEach(func() {
			q = rechargestatus.Enquiry{ReferenceID: run.ref(""), RegistrationID: FixtureRegistration}
		})
		withFault := func(ctx context.Context, fault string) *Exchange {
			return run.enquire(ctx, q, http.Header{FaultHeader: {fault}})
		}

		DescribeTable("an injected HTTP status answers that status in the provider's error envelope",
			func(ctx SpecContext, status, code int) {
				ex := withFault(ctx, fmt.Sprintf("status=%d", status))
				a := run.expectAnswer(ex)
				Expect(ex).To(HaveStatus(status))
				Expect(a.Status).To(BeFalse(), ex.Dump())
				Expect(a.ResponseCode).To(Equal(code), ex.Dump())
			},
			Entry("500", http.StatusInternalServerError, 5),
			Entry("502", http.StatusBadGateway, 5),
			Entry("503", http.StatusServiceUnavailable, 5),
			Entry("504", http.StatusGatewayTimeout, 5),
			Entry("429", http.StatusTooManyRequests, 5),
			Entry("412", http.StatusPreconditionFailed, 6),
			Entry("404", http.StatusNotFound, 3),
		)

		It("says when to retry a 429 in Retry-After", func(ctx SpecContext) {
			ex := withFault(ctx, "status=429;retryAfter=7")
			run.expectAnswer(ex)
			Expect(ex.Header.Get("Retry-After")).To(Equal("7"), ex.Dump())
		})

		DescribeTable("a latency delays a normal answer by at least the delay asked",
			func(ctx SpecContext, fault string, atLeast time.Duration) {
				ex := withFault(ctx, fault)
				run.expectFound(ex)
				Expect(ex.Elapsed).To(BeNumerically(">=", atLeast), ex.Dump())
			},
			Entry("a fixed delay", "latency="+faultLatency.String(), faultLatency),
			Entry("a delay drawn from a range", fmt.Sprintf("latency;latencyMin=%s;latencyMax=%s", faultLatency/2, faultLatency), faultLatency/2),
		)

		It("delivers the whole answer a few bytes at a time when trickling", func(ctx SpecContext) {
			ex := withFault(ctx, "trickle;latency="+faultLatency.String())
			run.expectFound(ex)
			Expect(ex.Elapsed).To(BeNumerically(">=", faultLatency/2), ex.Dump())
		})

		It("breaks the connection without an answer on a reset", func(ctx SpecContext) {
			ex := withFault(ctx, "reset")
			Expect(ex).NotTo(HaveAnswered())
		})

		It("answers nothing to a hang until the client gives up", func(ctx SpecContext) {
			giveUp := faultLatency
			start := time.Now()
			short, cancel := context.WithTimeout(ctx, giveUp)
			defer cancel()
			ex := withFault(short, "hang;latency=2s")
			Expect(ex).NotTo(HaveAnswered())
			Expect(errors.Is(ex.Err, context.DeadlineExceeded)).To(BeTrue(), "the client gave up, nothing else ended the call\n\n%s", ex.Dump())
			Expect(time.Since(start)).To(BeNumerically(">=", giveUp), ex.Dump())
		})

		DescribeTable("a spoilt answer is caught by the contract check",
			func(ctx SpecContext, fault string) {
				ex := withFault(ctx, fault)
				Expect(ex).NotTo(HonourContract(run.judge))
			},
			Entry("an empty body", "empty"),
			Entry("an answer cut in the middle", "truncated"),
			Entry("a body that is not JSON", "malformed"),
			Entry("the answer as text/html", "content-type"),
		)
	})
}

// describeFaultRules injects faults through the admin API's fault rules.
func describeFaultRules() {
	Describe("Faults set by a rule of the admin API, as the client sees them", Label(LabelAdmin, LabelFaults), func() {
		var q rechargestatus.Enquiry
		BeforeEach(func() {
			q = rechargestatus.Enquiry{ReferenceID: run.ref(""), RegistrationID: FixtureRegistration}
		})

		Context("a rule of two 503s for one referenceid", func() {
			var rule FaultRule
			BeforeEach(func(ctx SpecContext) {
				ex := run.admin.AddFault(ctx, FaultRule{Kind: "status", Status: http.StatusServiceUnavailable, ReferenceID: q.ReferenceID, Count: 2})
				Expect(ex).To(HonourContract(run.judge))
				Expect(ex).To(HaveStatus(http.StatusCreated))
				Expect(DecodeJSON(ex, &rule)).To(Succeed())
				Expect(rule.ID).NotTo(BeEmpty(), ex.Dump())
				DeferCleanup(func(ctx SpecContext) { run.admin.DeleteFault(ctx, rule.ID) })
			})

			It("answers 503 to the next two enquiries, then the transaction", func(ctx SpecContext) {
				for range 2 {
					ex := run.enquire(ctx, q, nil)
					a := run.expectAnswer(ex)
					Expect(ex).To(HaveStatus(http.StatusServiceUnavailable))
					Expect(a.ResponseCode).To(Equal(5), ex.Dump())
				}
				run.expectFound(run.enquire(ctx, q, nil))
			})

			It("leaves every other referenceid alone", func(ctx SpecContext) {
				other := rechargestatus.Enquiry{ReferenceID: run.ref(""), RegistrationID: FixtureRegistration}
				run.expectFound(run.enquire(ctx, other, nil))
			})

			It("journals each fault it injected", func(ctx SpecContext) {
				run.expectAnswer(run.enquire(ctx, q, nil))
				ex := run.admin.Requests(ctx, url.Values{"referenceId": {q.ReferenceID}})
				Expect(ex).To(HonourContract(run.judge))
				var journal Journal
				Expect(DecodeJSON(ex, &journal)).To(Succeed())
				Expect(journal.Requests).To(ContainElement(And(
					HaveField("Status", http.StatusServiceUnavailable),
					HaveField("Fault", ContainSubstring(rule.ID)),
				)), ex.Dump())
			})
		})

		// Serial: the list put replaces the rules of specs running beside it in
		// other processes.
		Context("a rule list put in place of the current one", Serial, func() {
			BeforeEach(func(ctx SpecContext) {
				ex := run.admin.Faults(ctx)
				Expect(ex).To(HonourContract(run.judge))
				var before FaultList
				Expect(DecodeJSON(ex, &before)).To(Succeed())
				rules := append(restorable(before.Faults), FaultRule{Kind: "empty", ReferenceID: q.ReferenceID, Count: 1})
				put := run.admin.PutFaults(ctx, rules)
				Expect(put).To(HonourContract(run.judge))
				Expect(put).To(HaveStatus(http.StatusOK))
				DeferCleanup(func(ctx SpecContext) {
					Expect(run.admin.PutFaults(ctx, restorable(before.Faults))).To(HaveStatus(http.StatusOK))
				})
			})

			It("answers an empty body once, which the contract check catches, then the transaction", func(ctx SpecContext) {
				spoilt := run.enquire(ctx, q, nil)
				Expect(spoilt).To(HaveStatus(http.StatusOK))
				Expect(spoilt.Body).To(BeEmpty(), spoilt.Dump())
				Expect(spoilt).NotTo(HonourContract(run.judge))
				run.expectFound(run.enquire(ctx, q, nil))
			})
		})
	})
}

// restorable turns listed rules back into rules to put: what is left of
// each count becomes its count, and the ids stay.
func restorable(rules []FaultRule) []FaultRule {
	out := make([]FaultRule, 0, len(rules))
	for _, r := range rules {
		if r.Remaining != nil {
			if *r.Remaining <= 0 {
				continue
			}
			r.Count = *r.Remaining
		}
		r.Remaining = nil
		out = append(out, r)
	}
	return out
}
