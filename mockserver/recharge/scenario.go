package recharge

import (
	"strings"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Scenario is what an unknown referenceid answers when its transaction is
// made on first enquiry, chosen by a prefix of the referenceid so that a
// client developer needs no setup at all.
type Scenario struct {
	// Prefix is matched case-insensitively at the start of the referenceid.
	Prefix string
	Name   string
	// Summary says what the enquiries answer, for docs and listings.
	Summary string
	// State is the initial state; empty when no transaction is made.
	State transaction.State
	// Resolve is where a pending transaction goes by the default rule.
	Resolve transaction.State
	// RefundAfterFailure chains a refund after the transaction fails.
	RefundAfterFailure bool
	// Stuck keeps a pending transaction pending until told otherwise.
	Stuck bool
	// NotFound answers "No Transaction found" and makes nothing.
	NotFound bool
	// AuthMessage answers an authentication failure with this message and
	// makes nothing.
	AuthMessage string
	// TokenRejected words that failure as the JWT decoder's refusal of the
	// Token, which a dialect may answer apart (Error.TokenRejected).
	TokenRejected bool
}

// Scenarios are the referenceid conventions, most specific prefix first.
// A referenceid that matches none is a successful transaction.
var Scenarios = []Scenario{
	{Prefix: "PENDREFUND-", Name: "pending-failed-refunded", Summary: "pending, then failed, then refunded, each by the default rule", State: transaction.StatePending, Resolve: transaction.StateFailed, RefundAfterFailure: true},
	{Prefix: "PENDFAIL-", Name: "pending-failed", Summary: "pending, then failed by the default rule", State: transaction.StatePending, Resolve: transaction.StateFailed},
	{Prefix: "PENDING-", Name: "pending-success", Summary: "pending, then success by the default rule", State: transaction.StatePending, Resolve: transaction.StateSuccess},
	{Prefix: "STUCK-", Name: "pending-forever", Summary: "pending until an admin transition", State: transaction.StatePending, Stuck: true},
	{Prefix: "FAILED-", Name: "failed", Summary: "failed, not refunded", State: transaction.StateFailed},
	{Prefix: "REFUND-", Name: "refunded", Summary: "failed and refunded (refund fields set)", State: transaction.StateRefunded},
	{Prefix: "NOTFOUND-", Name: "not-found", Summary: `HTTP 200, response_code 2, "No Transaction found"`, NotFound: true},
	{Prefix: "AUTHFAIL-", Name: "auth-failed", Summary: `HTTP 401, response_code 7, "Authentication failed"; the dialect's answer to a failed authentication`, AuthMessage: rechargestatus.MessageAuthenticationFailed},
	{Prefix: "BADSIG-", Name: "invalid-signature", Summary: `HTTP 401, response_code 7, "Invalid signature encoding" (the page's 401 example); the dialect's answer to a rejected Token`, AuthMessage: rechargestatus.MessageInvalidSignatureEncoding, TokenRejected: true},
}

// DefaultScenario is the scenario of a referenceid with no known prefix.
var DefaultScenario = Scenario{Name: "success", Summary: "success", State: transaction.StateSuccess}

// ScenarioFor picks the convention that referenceID follows.
func ScenarioFor(referenceID string) Scenario {
	for _, s := range Scenarios {
		if len(referenceID) >= len(s.Prefix) && strings.EqualFold(referenceID[:len(s.Prefix)], s.Prefix) {
			return s
		}
	}
	return DefaultScenario
}
