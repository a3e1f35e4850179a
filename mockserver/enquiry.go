package mockserver

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/sentid"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// requestCheck is how a request to any path but the admin API's is checked
// before a handler answers it.
type requestCheck struct {
	validator    *conformance.Validator
	dialects     *dialects
	maxBodyBytes int64
}

// isEnquiry reports whether r is sent to the RechargeStatus endpoint.
func isEnquiry(r *http.Request) bool {
	return r.URL.Path == rechargestatus.EnquiryPath && r.URL.RawPath == ""
}

// check reads the body within the size limit, chooses the dialect the
// request is answered in, and holds the request to the spec under that
// dialect's field rules before next answers it, handed the enquiry it read.
// Anything else is answered in the provider's envelope. The outcome says
// what check learned (body, dialect, transaction) besides what next did.
func check(c requestCheck, next served.EnquiryHandler) served.Handler {
	return served.HandlerFunc(func(w http.ResponseWriter, r *http.Request) served.Outcome {
		q := served.Enquiry{Start: time.Now()}
		enquiry := isEnquiry(r)
		body, err := readBody(w, r, c.maxBodyBytes)
		peek := body
		if !enquiry || err != nil {
			peek = nil
		}
		chosen, ok := c.dialects.choose(w, r, peek)
		out := served.Outcome{Dialect: chosen}
		if !ok {
			return out
		}
		q.Dialect = chosen
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				envelope.WriteRefusal(w, *chosen, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", c.maxBodyBytes))
				return out
			}
			envelope.WriteFailure(w, *chosen, dialect.Validation, "request body could not be read: "+err.Error(), "")
			return out
		}
		// The journal keeps what the client sent; the handlers read the body
		// with the spec's spelling.
		out.Body = body
		if enquiry {
			body = chosen.Canonical(body, r.Header.Get(rechargestatus.TokenHeader), c.dialects.registrationFor)
		}
		read, p := c.validator.CheckRequestBody(r.Context(), r, body)
		if p != nil {
			c.refuse(w, r, *chosen, out.Body, p, enquiry)
			return out
		}
		if enquiry {
			// The library reads the first JSON value and leaves what follows
			// it; an enquiry is that value alone, which a body the validator
			// read itself is already. The value holds the spec's members,
			// strings both.
			if !read.Plain() && (!read.IsObject() || !json.Valid(body)) {
				envelope.WriteFailure(w, *chosen, dialect.Validation, "request body is not valid JSON", "")
				return out
			}
			if err := sentid.Check(body); err != nil {
				envelope.WriteFailure(w, *chosen, dialect.Validation, err.Error(), "")
				return out
			}
			q.ReferenceID, _ = read.String("referenceid")
			q.RegistrationID, _ = read.String("RegistrationID")
		}
		done := next.ServeEnquiry(w, r, q)
		if done.Stale {
			done = next.ServeEnquiry(w, r.WithContext(recharge.Reread(r.Context())), q)
		}
		out.Enquired = q.Enquiry
		out.Scenario, out.Fault, out.Aborted = done.Scenario, done.Fault, done.Aborted
		return out
	})
}

// notFound answers a path no operation serves, should the checks let one
// through.
var notFound = served.EnquiryFunc(func(w http.ResponseWriter, r *http.Request, _ served.Enquiry) served.Outcome {
	http.NotFound(w, r)
	return served.Outcome{}
})

// refuse answers a request the spec does not allow, as its dialect words
// the refusal.
func (c requestCheck) refuse(w http.ResponseWriter, r *http.Request, d dialect.Dialect, body []byte, p *conformance.RequestProblem, enquiry bool) {
	switch p.Status {
	case http.StatusBadRequest:
		if enquiry {
			if f, message, remarks, ok := readingOf(r, d, body, p); ok {
				envelope.WriteFailure(w, d, f, message, remarks)
				return
			}
		}
		envelope.WriteFailure(w, d, dialect.Validation, p.Message, "")
		return
	case http.StatusMethodNotAllowed:
		w.Header().Set("Allow", http.MethodPost)
	}
	envelope.WriteRefusal(w, d, p.Status, p.Message)
}

// readingOf words the refusal of an enquiry as dialect d's reading of
// its body, as sent, does, when the dialect reads the members otherwise than the page
// and its reading says more than the spec's: the other spellings it
// accepts, or a Token whose partnerId no registration has. ok is false when
// the spec's words stand.
func readingOf(r *http.Request, d dialect.Dialect, body []byte, p *conformance.RequestProblem) (f dialect.Failure, message, remarks string, ok bool) {
	if k := d.Knobs(); !k.CaseInsensitiveFields && !k.FieldAliases && !k.RegistrationFromToken {
		return 0, "", "", false
	}
	req, err := d.ReadEnquiry(body, r.Header.Get(rechargestatus.TokenHeader))
	var fault *dialect.EnquiryError
	switch {
	case errors.As(err, &fault) && fault.Field != "" && fault.Field == p.Field:
		return dialect.Validation, fault.Message, "", true
	case err == nil && p.Field == "RegistrationID" && req.RegistrationID == "" && req.TokenPartner != "":
		return dialect.Authentication, rechargestatus.MessageAuthenticationFailed,
			fmt.Sprintf("no registration has partnerId %q, which the Token names", req.TokenPartner), true
	}
	return 0, "", "", false
}

// readBody reads r's body within limit: into a buffer of the announced
// length when there is one (io.ReadAll would start at 512 bytes and grow),
// which net/http's reader already holds the body to.
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	n := r.ContentLength
	if n < 0 || n > limit {
		return io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	}
	// One byte more than announced, to see the end without growing.
	buf := make([]byte, 0, n+1)
	for len(buf) < cap(buf) {
		m, err := r.Body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		switch {
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil:
			return buf, err
		}
	}
	// More than announced: the rest is read within the limit.
	return io.ReadAll(http.MaxBytesReader(w, io.NopCloser(io.MultiReader(bytes.NewReader(buf), r.Body)), limit))
}

// answerer answers RechargeStatus enquiries from the domain.
type answerer struct {
	service *recharge.Service
	// codes are the values of data.status; a pending one is the dialect's.
	codes recharge.StatusCodes
	kept  keptAnswers
}

// ServeEnquiry answers an enquiry that check has accepted, in its dialect.
func (a answerer) ServeEnquiry(w http.ResponseWriter, r *http.Request, q served.Enquiry) served.Outcome {
	d := *q.Dialect
	res, err := a.service.Enquire(r.Context(), recharge.Enquiry{
		RegistrationID: q.RegistrationID,
		ReferenceID:    q.ReferenceID,
		Token:          r.Header.Get(rechargestatus.TokenHeader),
		Scenario:       q.Scenario,
	})
	if errors.Is(err, recharge.ErrStale) {
		return served.Outcome{Stale: true}
	}
	if err != nil {
		writeError(w, d, err)
		return served.Outcome{Scenario: "error:" + transaction.ErrorCode(err)}
	}
	if !res.Found {
		envelope.WriteAnswer(w, d, http.StatusOK, rechargestatus.Answer{ResponseCode: rechargestatus.CodeNotFound, Status: false, Message: rechargestatus.MessageNotFound})
		return served.Outcome{Scenario: res.Scenario}
	}
	codes := a.codes
	codes.Pending = d.Knobs().PendingStatus
	if a.kept.serve(w, d, &res.Transaction, codes) {
		return served.Outcome{Scenario: res.Scenario}
	}
	data := res.Transaction.Data(codes)
	envelope.WriteAnswer(w, d, http.StatusOK, foundAnswer(&data))
	return served.Outcome{Scenario: res.Scenario}
}

// writeError answers a domain error as dialect d answers that failure.
func writeError(w http.ResponseWriter, d dialect.Dialect, err error) {
	var e *transaction.Error
	msg, remarks := transaction.ErrorMessage(err), ""
	if errors.As(err, &e) {
		remarks = e.Remarks
	}
	switch transaction.ErrorCode(err) {
	case transaction.EUNAUTHORIZED:
		f := dialect.Authentication
		if e != nil && e.TokenRejected {
			f = dialect.TokenRejected
		}
		envelope.WriteFailure(w, d, f, msg, remarks)
	case transaction.EDISABLED:
		envelope.WriteFailure(w, d, dialect.ServiceDisabled, "", remarks)
	case transaction.EINVALID:
		envelope.WriteFailure(w, d, dialect.Validation, msg, "")
	case transaction.EUNAVAILABLE:
		// The sandbox's own store is down, not the provider's processing:
		// an outage the client may retry, in the provider's envelope.
		envelope.WriteError(w, d, http.StatusServiceUnavailable, rechargestatus.ErrorAnswer{
			ResponseCode: rechargestatus.CodeUnableToProcess, Message: rechargestatus.MessageUnableToProcess, Remarks: msg,
		})
	default:
		envelope.WriteFailure(w, d, dialect.UnableToProcess, "", "")
	}
}
