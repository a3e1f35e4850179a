package contract

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	"github.com/aopay-sandbox/rechargestatus/contract/invariants"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
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
			token, err := recharge.SignToken(key, partnerID, NewRequestID(), at)
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
				ex := run.enquire(ctx, invariants.Enquiry{ReferenceID: referenceID, RegistrationID: registrationID}, header)
				a := run.expectAnswer(ex)
				Expect(ex).To(HaveStatus(http.StatusUnauthorized))
				Expect(a.ResponseCode).To(Equal(7), ex.Dump())
				Expect(a.Message).To(Equal(message), ex.Dump())
			},
			Entry("an unknown RegistrationID", "NOPE", "12345678", nil, recharge.MsgAuthenticationFailed),
			Entry("an AUTHFAIL- referenceid", FixtureRegistration, "AUTHFAIL-1001", nil, recharge.MsgAuthenticationFailed),
			Entry("a BADSIG- referenceid", FixtureRegistration, "BADSIG-1001", nil, recharge.MsgInvalidSignatureEncoding),
			Entry("a partner with a key, no Token", SecureRegistration, "SECURE-1001", nil, recharge.MsgAuthenticationFailed),
			Entry("a Token of two segments", SecureRegistration, "SECURE-1001",
				func() string { return "eyJhbGciOiJIUzI1NiJ9.e30" }, recharge.MsgWrongSegments),
			Entry("a Token whose signature is not base64url", SecureRegistration, "SECURE-1001",
				func() string { t := validToken(); return t[:strings.LastIndex(t, ".")+1] + "not*base64" }, recharge.MsgInvalidSignatureEncoding),
			Entry("a Token signed with another key", SecureRegistration, "SECURE-1001",
				func() string { return sign("not-the-partner-key", SecureRegistration, time.Now()) }, recharge.MsgSignatureFailed),
			Entry("a Token ten minutes old", SecureRegistration, "SECURE-1001",
				func() string { return sign(run.cfg.SecureKey, SecureRegistration, time.Now().Add(-10*time.Minute)) }, recharge.MsgExpiredToken),
			Entry("a Token of another partner", SecureRegistration, "SECURE-1001",
				func() string { return sign(run.cfg.SecureKey, FixtureRegistration, time.Now()) }, recharge.MsgAuthenticationFailed),
		)

		Context("a partner with a key sending a valid Token", func() {
			var q invariants.Enquiry
			var token string
			BeforeEach(func() {
				q = invariants.Enquiry{ReferenceID: "SECURE-1001", RegistrationID: SecureRegistration}
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
				Expect(a.Message).To(Equal(recharge.MsgAuthenticationFailed), replay.Dump())
			})
		})
	})
}
