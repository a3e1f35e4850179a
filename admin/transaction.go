package admin

import (
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TransactionView is a transaction as the sandbox keeps it, shown as the next
// enquiry would find it.
type TransactionView struct {
	transaction.Key
	State          transaction.State   `json:"state"`
	Data           rechargestatus.Data `json:"data"`
	Resolve        *transaction.Rule   `json:"resolve,omitempty"`
	Refund         *transaction.Rule   `json:"refund,omitempty"`
	Enquiries      int                 `json:"enquiries"`
	StateEnquiries int                 `json:"stateEnquiries"`
	StateSince     time.Time           `json:"stateSince"`
	Origin         transaction.Origin  `json:"origin"`
	Scenario       string              `json:"scenario,omitempty"`
}

// TransactionList is the answer of GET /__admin/transactions: a page of
// the transactions, ordered by registration then reference.
type TransactionList struct {
	Transactions []TransactionView `json:"transactions"`
	// Next is the PageQuery.After of the next page; "" on the last.
	Next string `json:"next,omitempty"`
}

// TransactionFilter narrows a listing; empty fields match everything.
type TransactionFilter struct {
	RegistrationID string
	State          transaction.State
}

// Transition is the body of POST .../transition: the state to force.
type Transition struct {
	To transaction.State `json:"to"`
}
