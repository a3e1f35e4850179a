package contract

import (
	"github.com/getkin/kin-openapi/openapi3"
	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// describeMalformedRequests sends every malformed request NegativeCases
// derives from openapi.yaml's request schema.
func describeMalformedRequests(doc *openapi3.T) {
	valid := rechargestatus.Enquiry{ReferenceID: "12345678", RegistrationID: FixtureRegistration}
	cases, err := NegativeCases(doc, valid)
	if err != nil {
		// Every spec below depends on the cases; one failing spec says why.
		Describe("Refusal of a malformed request", Label(LabelNegative), func() {
			It("is checked with requests derived from openapi.yaml's request schema", func() { Expect(err).NotTo(HaveOccurred()) })
		})
		return
	}
	entries := make([]TableEntry, 0, len(cases))
	for _, c := range cases {
		entries = append(entries, Entry("when "+c.Name, c))
	}
	Describe("Refusal of a malformed request", Label(LabelNegative), func() {
		DescribeTable("answers in time with a declared error in the envelope: HTTP 4xx, status false, an error code",
			func(ctx SpecContext, c NegativeCase) {
				ex := run.client.Do(ctx, c.Request)
				Expect(ex).To(HaveAnswered())
				Expect(ex).NotTo(HaveStatusIn(500, 599), "a malformed request is the client's fault, never the server's")
				Expect(ex).To(HaveStatusIn(400, 499), "a malformed request is refused")
				a := run.expectAnswer(ex)
				Expect(a.Status).To(BeFalse(), ex.Dump())
				Expect(a.ResponseCode).NotTo(BeElementOf(rechargestatus.CodeFound, rechargestatus.CodeNotFound), ex.Dump())
				if c.Property != "" {
					Expect(a.Message).To(ContainSubstring(c.Property), "the message names the field at fault\n\n%s", ex.Dump())
				}
			},
			entries,
		)
	})
}
