// Package served is how the handlers of the provider's endpoint and the
// admin API say what they did with a request: each returns an Outcome, and
// the middleware that journals, logs and measures reads it once the answer
// is written. Nothing about a request travels in its context.
package served

import (
	"net/http"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Outcome is what serving one request came to, beyond the answer itself.
type Outcome struct {
	// Route is the path template of the operation, for the metrics' labels;
	// "" when no operation took the request.
	Route string
	// Body is the request body as the client sent it, once read.
	Body []byte
	// Enquired names the transaction, once the request is known to be a
	// valid enquiry.
	Enquired rechargestatus.Enquiry
	// Scenario is what was answered, such as pending-success or fault:hang.
	Scenario string
	// Fault is the fault injected, and who asked for it.
	Fault string
	// Dialect is the dialect the request was answered in, once chosen; it
	// points to a value that outlives the request, and is never written
	// through.
	Dialect *dialect.Dialect
	// Aborted says the answer was abandoned half-way (the client went, the
	// server is stopping, or the connection was dropped on purpose): once
	// the outcome is reported, the connection is torn down
	// (http.ErrAbortHandler).
	Aborted bool
	// Stale says nothing was answered because the shared state the enquiry
	// was answered on had changed (recharge.ErrStale): it is to be
	// answered again once the state is reread.
	Stale bool
}

// Handler serves a request and says what it did.
type Handler interface {
	Serve(w http.ResponseWriter, r *http.Request) Outcome
}

// HandlerFunc is a function serving as a Handler.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) Outcome

// Serve calls f.
func (f HandlerFunc) Serve(w http.ResponseWriter, r *http.Request) Outcome { return f(w, r) }

// Enquiry is a RechargeStatus enquiry that passed the checks, as the
// handlers that answer it need it.
type Enquiry struct {
	rechargestatus.Enquiry
	// Dialect is the dialect the enquiry is answered in.
	Dialect *dialect.Dialect
	// Start is when the request came.
	Start time.Time
	// Scenario is the scenario the X-Mock-Scenario header asks for, should
	// the referenceid be unknown; nil without one.
	Scenario *transaction.ChosenScenario
}

// EnquiryHandler answers a checked enquiry and says what it did. The
// outcome's Scenario, Fault and Aborted are its to set; the checks fill in
// the rest.
type EnquiryHandler interface {
	ServeEnquiry(w http.ResponseWriter, r *http.Request, q Enquiry) Outcome
}

// EnquiryFunc is a function serving as an EnquiryHandler.
type EnquiryFunc func(w http.ResponseWriter, r *http.Request, q Enquiry) Outcome

// ServeEnquiry calls f.
func (f EnquiryFunc) ServeEnquiry(w http.ResponseWriter, r *http.Request, q Enquiry) Outcome {
	return f(w, r, q)
}
