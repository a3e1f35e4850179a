package contract

import (
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
)

// describeMalformedRequests sends every malformed request framework.NegativeCases
// derives from openapi.yaml's request schema: a wrong field, body, content
// type or method. Sending one is read-only, so every target runs them.
func describeMalformedRequests(s *framework.Suite) {
	valid := rechargestatus.Enquiry{ReferenceID: s.Config.References[0], RegistrationID: s.Config.RegistrationID}
	cases, err := framework.NegativeCases(s.Doc, valid)
	Describe("Refusal of a malformed request", Label(framework.LabelNegative), func() {
		f := framework.New(s)
		if err != nil {
			// Every spec below depends on the cases; one failing spec says why.
			It("is checked with requests derived from openapi.yaml's request schema", func() { Expect(err).NotTo(HaveOccurred()) })
			return
		}
		var all, fields []TableEntry
		for _, c := range cases {
			all = append(all, Entry("when "+c.Name, c))
			if c.Property != "" {
				fields = append(fields, Entry("when "+c.Name, c))
			}
		}

		// What the page makes every provider owe: it says nothing of how a
		// malformed request is refused.
		DescribeTable("answers in time, never with a 5xx nor, to what the page calls malformed, a success",
			func(ctx SpecContext, c framework.NegativeCase) {
				if c.Sandbox != "" {
					f.ExpectSandboxPromise(c.Sandbox)
				}
				f.ExpectOwedAnswer(f.Do(ctx, c.Request), c)
			},
			all,
		)

		DescribeTable("answers in time in the error envelope: HTTP 4xx, status false, an error response_code", Label(framework.LabelSandbox),
			func(ctx SpecContext, c framework.NegativeCase) {
				f.ExpectSandboxPromise(framework.PromiseRefusal)
				f.ExpectRefusal(f.Do(ctx, c.Request))
			},
			all,
		)

		DescribeTable("names the field at fault in its message (or where the accepted dialect says it)", Label(framework.LabelSandbox),
			func(ctx SpecContext, c framework.NegativeCase) {
				f.ExpectSandboxPromise("field-named")
				ex := f.Do(ctx, c.Request)
				f.ExpectRefusal(ex)
				Expect(ex).To(framework.HaveValidationDetail(ContainSubstring(c.Property)))
			},
			fields,
		)
	})
}
