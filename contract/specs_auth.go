package contract

import (
	"net/http"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"
	. "github.com/onsi/gomega"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
)

// tokenCase is a Token header the endpoint must refuse, and the message the
// JWT decoder the provider runs on words the refusal with.
type tokenCase struct {
	// token makes the header's value; nil sends none.
	token   func(subject framework.TokenSubject) string
	message string
	// failure is what the refusal is: the JWT decoder's refusal of the
	// Token, or another failed authentication, which dialects answer apart.
	failure dialect.Failure
}

// sign makes a token of subject's partner with key, issued at.
func sign(key, partnerID string, at time.Time) string {
	GinkgoHelper()
	token, err := partnertoken.Sign(key, partnerID, framework.NewRequestID(), at)
	Expect(err).NotTo(HaveOccurred())
	return token
}

func validToken(subject framework.TokenSubject) string {
	return sign(subject.Key, subject.PartnerID, time.Now())
}

// tamper changes the first character of a token's signature, which keeps it
// base64url but no longer the signature of the rest.
func tamper(token string) string {
	dot := strings.LastIndex(token, ".")
	replacement := "A"
	if token[dot+1] == 'A' {
		replacement = "B"
	}
	return token[:dot+1] + replacement + token[dot+2:]
}

func tokenEntries() []TableEntry {
	return []TableEntry{
		Entry("no Token", tokenCase{nil, rechargestatus.MessageAuthenticationFailed, dialect.Authentication}),
		Entry("a Token of two segments", tokenCase{func(framework.TokenSubject) string { return "eyJhbGciOiJIUzI1NiJ9.e30" }, rechargestatus.MessageWrongSegments, dialect.TokenRejected}),
		Entry("a Token whose signature is not base64url", tokenCase{func(s framework.TokenSubject) string {
			t := validToken(s)
			return t[:strings.LastIndex(t, ".")+1] + "not*base64"
		}, rechargestatus.MessageInvalidSignatureEncoding, dialect.TokenRejected}),
		Entry("a Token with a tampered signature", tokenCase{func(s framework.TokenSubject) string { return tamper(validToken(s)) }, rechargestatus.MessageSignatureFailed, dialect.TokenRejected}),
		Entry("a Token signed with another key", tokenCase{func(s framework.TokenSubject) string {
			return sign("not-the-partner-key", s.PartnerID, time.Now())
		}, rechargestatus.MessageSignatureFailed, dialect.TokenRejected}),
		Entry("a Token whose timestamp is ten minutes old", tokenCase{func(s framework.TokenSubject) string {
			return sign(s.Key, s.PartnerID, time.Now().Add(-2*rechargestatus.TokenWindow))
		}, rechargestatus.MessageExpiredToken, dialect.TokenRejected}),
		Entry("a Token of another partner's id", tokenCase{func(s framework.TokenSubject) string {
			return sign(s.Key, s.PartnerID+"-OTHER", time.Now())
		}, rechargestatus.MessageAuthenticationFailed, dialect.Authentication}),
	}
}

// describeTokens checks how the endpoint refuses tokens, for a partner with
// a key: the run's own with --partner-key, else the mock's AOP-SECURE.
func describeTokens(s *framework.Suite) {
	subject := s.Config.TokenSubject()
	q := rechargestatus.Enquiry{ReferenceID: subject.ReferenceID, RegistrationID: subject.RegistrationID}
	Describe("Authentication of a partner by a signed Token", Label(framework.LabelToken), func() {
		f := framework.New(s)
		send := func(ctx SpecContext, c tokenCase) *framework.Exchange {
			r := framework.EnquiryRequest(q)
			r.Unsigned = true
			if c.token != nil {
				r.Header.Set(rechargestatus.TokenHeader, c.token(subject))
			}
			return f.Do(ctx, r)
		}

		DescribeTable("refuses a missing, forged or stale Token in the error envelope, as a rejected token",
			func(ctx SpecContext, c tokenCase) {
				ex := send(ctx, c)
				f.ExpectRefusal(ex)
				Expect(ex).To(framework.HaveStatus(http.StatusUnauthorized, http.StatusPreconditionFailed))
			},
			tokenEntries(),
		)

		DescribeTable("words the refusal as the JWT decoder does, with HTTP 401 and response_code 7 (or as the accepted dialect words it)", Label(framework.LabelSandbox),
			func(ctx SpecContext, c tokenCase) {
				f.ExpectSandboxPromise("token-messages")
				ex := send(ctx, c)
				f.ExpectRefusal(ex)
				expectRefusalAs(ex, c.failure, c.message)
			},
			tokenEntries(),
		)

		Context("a valid Token sent twice", func() {
			var first, replay *framework.Exchange
			BeforeEach(func(ctx SpecContext) {
				token := validToken(subject)
				first = f.Enquire(ctx, q, http.Header{rechargestatus.TokenHeader: {token}})
				replay = f.Enquire(ctx, q, http.Header{rechargestatus.TokenHeader: {token}})
			})

			It("answers the transaction the first time, and refuses the replayed reqid", func() {
				f.ExpectFound(first)
				f.ExpectRefusal(replay)
				Expect(replay).To(framework.HaveStatus(http.StatusUnauthorized, http.StatusPreconditionFailed))
			})

			It("words the refusal of the replay Authentication failed", Label(framework.LabelSandbox), func() {
				f.ExpectSandboxPromise("token-messages")
				f.ExpectFound(first)
				f.ExpectRefusal(replay)
				expectRefusalAs(replay, dialect.Authentication, rechargestatus.MessageAuthenticationFailed)
			})
		})
	})
}

// describeAuthenticationConventions covers the mock's referenceids that
// answer an authentication failure whatever the request carries.
func describeAuthenticationConventions(s *framework.Suite) {
	Describe("Authentication failures picked by a referenceid of the mock", Label(framework.LabelFixtures), func() {
		f := framework.New(s)
		DescribeTable("answers HTTP 401, response_code 7 and the provider's message (or as the accepted dialect answers it)",
			func(ctx SpecContext, referenceID string, failure dialect.Failure, message string) {
				ex := f.Enquire(ctx, rechargestatus.Enquiry{ReferenceID: referenceID, RegistrationID: framework.FixtureRegistration}, nil)
				f.ExpectRefusal(ex)
				expectRefusalAs(ex, failure, message)
			},
			Entry("AUTHFAIL-", "AUTHFAIL-1001", dialect.Authentication, rechargestatus.MessageAuthenticationFailed),
			Entry("BADSIG-", "BADSIG-1001", dialect.TokenRejected, rechargestatus.MessageInvalidSignatureEncoding),
		)
	})
}

// expectRefusalAs asserts that ex refuses the request as the dialect it is
// expected in (the page, unless --accept-dialect names the one it came in)
// answers failure, worded by the page as message: the HTTP status, then the
// response_code, message and remarks the dialect words it with.
func expectRefusalAs(ex *framework.Exchange, failure dialect.Failure, message string) {
	GinkgoHelper()
	want := ex.ExpectedRefusal(failure, message, "")
	Expect(ex).To(framework.HaveStatus(want.Status))
	Expect(ex).To(framework.HaveResponseCode(Equal(want.Answer.ResponseCode)))
	Expect(ex).To(framework.HaveMessage(Equal(want.Answer.Message)))
	if want.Answer.Remarks != "" {
		Expect(ex).To(framework.HaveRemarks(Equal(want.Answer.Remarks)))
	}
}
