package contract

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"syscall"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
)

// faultLatency is the delay the latency, trickle and hang specs ask for:
// long enough to measure, short enough for a fast suite.
const faultLatency = 300 * time.Millisecond

// headerFaults are specs that inject a fault into an enquiry through the
// X-Mock-Fault header. Each first enquires the same transaction without a
// fault, so that an endpoint that fails every request the way a fault would
// does not pass: the fault must be injected, not merely seen.
type headerFaults struct {
	f       *framework.Framework
	q       rechargestatus.Enquiry
	control *framework.Exchange
}

func newHeaderFaults(s *framework.Suite) *headerFaults {
	h := &headerFaults{f: framework.New(s)}
	BeforeEach(func(ctx SpecContext) {
		h.q = rechargestatus.Enquiry{ReferenceID: h.f.Ref(""), RegistrationID: framework.FixtureRegistration}
		h.control = h.f.Enquire(ctx, h.q, nil)
		h.f.ExpectFound(h.control)
	})
	return h
}

// with enquires the transaction with fault.
func (h *headerFaults) with(ctx context.Context, fault string) *framework.Exchange {
	return h.f.Enquire(ctx, h.q, http.Header{admin.FaultHeader: {fault}})
}

// describeHeaderFaultAnswers injects the faults that answer, late or with an
// error status, and checks that the client sees each fault's own signature.
func describeHeaderFaultAnswers(s *framework.Suite) {
	Describe("Faults picked by the X-Mock-Fault header that answer", Label(framework.LabelFaults), func() {
		h := newHeaderFaults(s)

		DescribeTable("an injected HTTP status answers that status with openapi.yaml's example of it",
			func(ctx SpecContext, status int, example string) {
				ex := h.with(ctx, fmt.Sprintf("status=%d", status))
				h.f.ExpectAnswer(ex)
				Expect(ex).To(framework.HaveStatus(status))
				Expect(ex).To(framework.MatchJSONBody(h.f.Example(status, example)))
			},
			Entry("500", http.StatusInternalServerError, "unableToProcess"),
			Entry("502", http.StatusBadGateway, "badGateway"),
			Entry("503", http.StatusServiceUnavailable, "serviceUnavailable"),
			Entry("504", http.StatusGatewayTimeout, "gatewayTimeout"),
			Entry("429", http.StatusTooManyRequests, "tooManyRequests"),
			Entry("412", http.StatusPreconditionFailed, "jwtTokenError"),
			Entry("404", http.StatusNotFound, "serviceDisabled"),
		)

		It("says when to retry a 429 in Retry-After", func(ctx SpecContext) {
			ex := h.with(ctx, "status=429;retryAfter=7")
			Expect(ex).To(framework.HaveStatus(http.StatusTooManyRequests))
			Expect(ex).To(framework.HaveHeader("Retry-After", Equal("7")))
		})

		DescribeTable("a latency delays the normal answer by at least the delay asked",
			func(ctx SpecContext, fault string, atLeast time.Duration) {
				ex := h.with(ctx, fault)
				h.f.ExpectFound(ex)
				Expect(ex).To(framework.MatchJSONBody(h.control.PageBody()))
				Expect(ex).To(framework.HaveElapsed(BeNumerically(">=", atLeast)))
			},
			Entry("a fixed delay", "latency="+faultLatency.String(), faultLatency),
			Entry("a delay drawn from a range", fmt.Sprintf("latency;latencyMin=%s;latencyMax=%s", faultLatency/2, faultLatency), faultLatency/2),
		)

		It("delivers the whole normal answer a few bytes at a time when trickling", func(ctx SpecContext) {
			ex := h.with(ctx, "trickle;latency="+faultLatency.String())
			h.f.ExpectFound(ex)
			Expect(ex).To(framework.MatchJSONBody(h.control.PageBody()))
			Expect(ex).To(framework.HaveElapsed(BeNumerically(">=", faultLatency/2)))
		})
	})
}

// describeHeaderFaultBreaks injects the faults that break the connection or
// the answer, and checks that the client sees each fault's own signature.
func describeHeaderFaultBreaks(s *framework.Suite) {
	Describe("Faults picked by the X-Mock-Fault header that break the answer", Label(framework.LabelFaults), func() {
		h := newHeaderFaults(s)

		It("resets the connection without an answer", func(ctx SpecContext) {
			ex := h.with(ctx, "reset")
			Expect(ex).To(framework.HaveFailed(MatchError(syscall.ECONNRESET)))
			Expect(ex).NotTo(framework.HaveStatusIn(100, 599), "no status line came")
		})

		It("answers nothing to a hang until the client gives up", func(ctx SpecContext) {
			// The client's deadline runs from here: the exchange's own clock
			// starts a little later.
			began := time.Now()
			short, cancel := context.WithTimeout(ctx, faultLatency)
			defer cancel()
			ex := h.with(short, "hang;latency=2s")
			Expect(ex).To(framework.HaveFailed(MatchError(context.DeadlineExceeded)))
			Expect(time.Since(began)).To(BeNumerically(">=", faultLatency), "the client gave up before its deadline")
		})

		It("answers HTTP 200 with an empty body, which the contract check catches", func(ctx SpecContext) {
			ex := h.with(ctx, "empty")
			Expect(ex).To(framework.HaveStatus(http.StatusOK))
			Expect(ex).To(framework.HaveBody(BeEmpty()))
			Expect(ex).NotTo(h.f.HonourContract())
		})

		It("cuts the normal answer in the middle while announcing its whole length", func(ctx SpecContext) {
			ex := h.with(ctx, "truncated")
			Expect(ex).To(framework.HaveHeader("Content-Length", Equal(strconv.Itoa(len(h.control.Body)))))
			Expect(ex).To(framework.HaveFailed(MatchError(io.ErrUnexpectedEOF)))
			Expect(ex).To(framework.HaveBody(Equal(string(h.control.Body[:len(h.control.Body)/2]))))
			Expect(ex).NotTo(h.f.HonourContract())
		})

		It("breaks the normal answer's JSON after its status member", func(ctx SpecContext) {
			ex := h.with(ctx, "malformed")
			key := []byte(`"status":`)
			cut := bytes.Index(h.control.Body, key)
			Expect(cut).To(BeNumerically(">=", 0), "the normal answer has a status member")
			Expect(ex).To(framework.HaveStatus(http.StatusOK))
			Expect(ex).To(framework.HaveBody(HavePrefix(string(h.control.Body[:cut+len(key)]))))
			Expect(json.Valid(ex.Body)).To(BeFalse(), "the body is still JSON\n\n%s", ex.Dump())
			Expect(ex).NotTo(h.f.HonourContract())
		})

		It("sends the normal answer as text/html", func(ctx SpecContext) {
			ex := h.with(ctx, "content-type")
			Expect(ex).To(framework.HaveHeader("Content-Type", HavePrefix("text/html")))
			Expect(ex).To(framework.HaveBody(Equal(string(h.control.Body))))
			Expect(ex).NotTo(h.f.HonourContract())
		})
	})
}

// describeFaultRules injects faults through the admin API's fault rules.
func describeFaultRules(s *framework.Suite) {
	Describe("Faults set by a rule of the admin API, as the client sees them", Label(framework.LabelAdmin, framework.LabelFaults), func() {
		f := framework.New(s)
		var q rechargestatus.Enquiry
		BeforeEach(func() {
			q = rechargestatus.Enquiry{ReferenceID: f.Ref(""), RegistrationID: framework.FixtureRegistration}
		})

		Context("a rule of two 503s for one referenceid", func() {
			var rule admin.FaultRule
			BeforeEach(func(ctx SpecContext) {
				rule = f.AddFault(ctx, admin.FaultRule{Kind: admin.FaultStatus, Status: http.StatusServiceUnavailable, ReferenceID: q.ReferenceID, Count: 2})
			})

			It("answers 503 to the next two enquiries, then the transaction", func(ctx SpecContext) {
				for range 2 {
					ex := f.Enquire(ctx, q, nil)
					f.ExpectAnswer(ex)
					Expect(ex).To(framework.HaveStatus(http.StatusServiceUnavailable))
					Expect(ex).To(framework.MatchJSONBody(f.Example(http.StatusServiceUnavailable, "serviceUnavailable")))
				}
				f.ExpectFound(f.Enquire(ctx, q, nil))
			})

			It("leaves every other referenceid alone", func(ctx SpecContext) {
				other := rechargestatus.Enquiry{ReferenceID: f.Ref(""), RegistrationID: framework.FixtureRegistration}
				f.ExpectFound(f.Enquire(ctx, other, nil))
			})

			It("journals each fault it injected", func(ctx SpecContext) {
				f.ExpectAnswer(f.Enquire(ctx, q, nil))
				journal, err := f.Admin().ListRequests(ctx, admin.JournalQuery{ReferenceID: q.ReferenceID})
				Expect(err).NotTo(HaveOccurred())
				Expect(journal).To(ContainElement(And(
					WithTransform(entryStatus, Equal(http.StatusServiceUnavailable)),
					WithTransform(entryFault, ContainSubstring(rule.ID)),
				)))
			})
		})

		// Serial: the list put replaces the rules of specs running beside it in
		// other processes.
		Context("a rule list put in place of the current one", Serial, func() {
			BeforeEach(func(ctx SpecContext) {
				before, err := f.Admin().ListFaults(ctx)
				Expect(err).NotTo(HaveOccurred())
				rules := append(restorable(before), admin.FaultRule{Kind: admin.FaultEmpty, ReferenceID: q.ReferenceID, Count: 1})
				Expect(f.Admin().ReplaceFaults(ctx, rules)).Error().NotTo(HaveOccurred())
				DeferCleanup(func(ctx SpecContext) {
					Expect(f.Admin().ReplaceFaults(ctx, restorable(before))).Error().NotTo(HaveOccurred())
				})
			})

			It("answers an empty body once, which the contract check catches, then the transaction", func(ctx SpecContext) {
				spoilt := f.Enquire(ctx, q, nil)
				Expect(spoilt).To(framework.HaveStatus(http.StatusOK))
				Expect(spoilt).To(framework.HaveBody(BeEmpty()))
				Expect(spoilt).NotTo(f.HonourContract())
				f.ExpectFound(f.Enquire(ctx, q, nil))
			})
		})
	})
}

// restorable turns listed rules back into rules to put: what is left of
// each count becomes its count, and the ids stay.
func restorable(rules []admin.FaultRule) []admin.FaultRule {
	out := make([]admin.FaultRule, 0, len(rules))
	for _, r := range rules {
		if r.Remaining != nil {
			if *r.Remaining <= 0 {
				continue
			}
			r.Count = *r.Remaining
		}
		r.Remaining, r.Injected = nil, 0
		out = append(out, r)
	}
	return out
}
