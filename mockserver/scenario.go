package mockserver

import (
	"net/http"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// scenarioHeader reads the X-Mock-Scenario header of an enquiry into the
// enquiry next answers. It runs before the faults, so that a malformed value
// is refused, as a validation error naming the header, whatever fault the
// request would meet.
func scenarioHeader(next served.EnquiryHandler) served.EnquiryHandler {
	return served.EnquiryFunc(func(w http.ResponseWriter, r *http.Request, q served.Enquiry) served.Outcome {
		v := r.Header.Get(admin.ScenarioHeader)
		if v == "" {
			return next.ServeEnquiry(w, r, q)
		}
		c, err := transaction.ParseScenario(v)
		if err != nil {
			envelope.WriteFailure(w, *q.Dialect, dialect.Validation, admin.ScenarioHeader+": "+err.Error(), "")
			return served.Outcome{}
		}
		q.Scenario = &c
		return next.ServeEnquiry(w, r, q)
	})
}
