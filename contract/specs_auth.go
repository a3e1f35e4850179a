package contract

import (
	"net/http"
	"strings"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"
)

// SecureRegistration is the built-in fixtures' partner whose enquiries carry
// a signed Token header.
const SecureRegistration = "AOP-SECURE"

// describeAuthentication covers each way the mock refuses a partner, with the
// provider's messages.
func describeAuthentication() {
	Describe("Authentication of the partner", Label(LabelFixtures), func() {
		sign := func(key, partnerID string, at time.Time) string {
			GinkgoHelper()
			token, err := rechargestatus.SignToken(key, partnerID, NewRequestID(), at)
			Expect(err).NotTo(HaveOccurred())
			return token
		}
		validToken := func() string { return sign(run.cfg.SecureKey, SecureRegistration, time.Now()) }

		DescribeTable("refuses with HTTP 401, response_code 7 and the decoder's message",
			func(ctx SpecContext, registrationID, referenceID string, token func() string, message string) {
				header := http.Header{}
				if token != nil {
					header.Set("Token", token())
				}
				ex := run.enquire(ctx, rechargestatus.Enquiry{ReferenceID: referenceID, RegistrationID: registrationID}, header)
				a := run.expectAnswer(ex)
				Expect(ex).To(HaveStatus(http.StatusUnauthorized))
				Expect(a.ResponseCode).To(Equal(7), ex.Dump())
				Expect(a.Message).To(Equal(message), ex.Dump())
			},
			Entry("an unknown RegistrationID", "NOPE", "12345678", nil, rechargestatus.MessageAuthenticationFailed),
			Entry("an AUTHFAIL- referenceid", FixtureRegistration, "AUTHFAIL-1001", nil, rechargestatus.MessageAuthenticationFailed),
			Entry("a BADSIG- referenceid", FixtureRegistration, "BADSIG-1001", nil, rechargestatus.MessageInvalidSignatureEncoding),
			Entry("a partner with a key, no Token", SecureRegistration, "SECURE-1001", nil, rechargestatus.MessageAuthenticationFailed),
			Entry("a Token of two segments", SecureRegistration, "SECURE-1001",
				func() string { return "eyJhbGciOiJIUzI1NiJ9.e30" }, rechargestatus.MessageWrongSegments),
			Entry("a Token whose signature is not base64url", SecureRegistration, "SECURE-1001",
				func() string { t := validToken(); return t[:strings.LastIndex(t, ".")+1] + "not*base64" }, rechargestatus.MessageInvalidSignatureEncoding),
			Entry("a Token signed with another key", SecureRegistration, "SECURE-1001",
				func() string { return sign("not-the-partner-key", SecureRegistration, time.Now()) }, rechargestatus.MessageSignatureFailed),
			Entry("a Token ten minutes old", SecureRegistration, "SECURE-1001",
				func() string { return sign(run.cfg.SecureKey, SecureRegistration, time.Now().Add(-10*time.Minute)) }, rechargestatus.MessageExpiredToken),
			Entry("a Token of another partner", SecureRegistration, "SECURE-1001",
				func() string { return sign(run.cfg.SecureKey, FixtureRegistration, time.Now()) }, rechargestatus.MessageAuthenticationFailed),
		)

		Context("a partner with a key sending a valid Token", func() {
			var q rechargestatus.Enquiry
			var token string
			BeforeEach(func() {
				q = rechargestatus.Enquiry{ReferenceID: "SECURE-1001", RegistrationID: SecureRegistration}
				token = validToken()
			})

			It("answers its transaction", func(ctx SpecContext) {
				ex := run.enquire(ctx, q, http.Header{"Token": {token}})
				data := run.expectFound(ex)
				Expect(data.RefID).To(Equal(q.ReferenceID), ex.Dump())
			})

			It("refuses the same Token a second time", func(ctx SpecContext) {
				run.expectFound(run.enquire(ctx, q, http.Header{"Token": {token}}))
				replay := run.enquire(ctx, q, http.Header{"Token": {token}})
				a := run.expectAnswer(replay)
				Expect(replay).To(HaveStatus(http.StatusUnauthorized))
				Expect(a.Message).To(Equal(rechargestatus.MessageAuthenticationFailed), replay.Dump())
			})
		})
	})
}
