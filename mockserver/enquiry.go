package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/fieldcase"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/reqnote"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// requestCheck is how a request to any path but the admin API's is checked
// before a handler answers it.
type requestCheck struct {
	validator *conformance.Validator
	// fieldCase, when set, accepts enquiry members in any letter case.
	fieldCase        *fieldcase.Renamer
	maxBodyBytes     int64
	validationStatus int
}

// isEnquiry reports whether r is sent to the RechargeStatus endpoint.
func isEnquiry(r *http.Request) bool {
	return r.URL.Path == rechargestatus.EnquiryPath && r.URL.RawPath == ""
}

// check reads the body within the size limit and holds the request to the
// spec before next answers it; an enquiry's transaction goes in the
// request's reqnote. Anything else is answered in the provider's envelope.
func check(c requestCheck, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		note := reqnote.From(r)
		body, err := readBody(w, r, c.maxBodyBytes)
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				envelope.WriteValidationError(w, http.StatusRequestEntityTooLarge, fmt.Sprintf("request body is larger than %d bytes", c.maxBodyBytes))
				return
			}
			envelope.WriteValidationError(w, c.validationStatus, "request body could not be read: "+err.Error())
			return
		}
		// The journal keeps what the client sent; the handlers read the body
		// with the spec's spelling.
		note.Body = body
		enquiry := isEnquiry(r)
		if c.fieldCase != nil && enquiry {
			body = c.fieldCase.Canonical(body)
		}
		value, p := c.validator.CheckRequestBody(r.Context(), r, body)
		if p != nil {
			status := p.Status
			switch status {
			case http.StatusBadRequest:
				status = c.validationStatus
			case http.StatusMethodNotAllowed:
				w.Header().Set("Allow", http.MethodPost)
			}
			envelope.WriteValidationError(w, status, p.Message)
			return
		}
		if enquiry {
			// The library reads the first JSON value and leaves what follows
			// it; an enquiry is that value alone. The value it decoded holds
			// the spec's members, strings both.
			members, _ := value.(map[string]any)
			if members == nil || !json.Valid(body) {
				envelope.WriteValidationError(w, c.validationStatus, "request body is not valid JSON")
				return
			}
			note.ReferenceID, _ = members["referenceid"].(string)
			note.RegistrationID, _ = members["RegistrationID"].(string)
		}
		next.ServeHTTP(w, r)
	})
}

// readBody reads r's body within limit: into a buffer of the announced
// length when there is one (io.ReadAll would start at 512 bytes and grow).
func readBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	body := http.MaxBytesReader(w, r.Body, limit)
	n := r.ContentLength
	if n < 0 || n > limit {
		return io.ReadAll(body)
	}
	// One byte more than announced, to see the end without growing.
	buf := make([]byte, 0, n+1)
	for {
		m, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		switch {
		case errors.Is(err, io.EOF):
			return buf, nil
		case err != nil:
			return buf, err
		case len(buf) == cap(buf):
			buf = append(buf, 0)[:len(buf)]
		}
	}
}

// answerer answers RechargeStatus enquiries from the domain.
type answerer struct {
	service          *recharge.Service
	codes            recharge.StatusCodes
	validationStatus int
}

// ServeHTTP answers an enquiry that check has accepted.
func (a answerer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	note := reqnote.From(r)
	res, err := a.service.Enquire(r.Context(), recharge.Enquiry{
		RegistrationID: note.RegistrationID,
		ReferenceID:    note.ReferenceID,
		Token:          r.Header.Get(rechargestatus.TokenHeader),
	})
	if err != nil {
		note.Scenario = "error:" + recharge.ErrorCode(err)
		a.writeError(w, err)
		return
	}
	note.Scenario = res.Scenario
	if !res.Found {
		envelope.WriteAnswer(w, http.StatusOK, rechargestatus.Answer{ResponseCode: rechargestatus.CodeNotFound, Status: false, Message: rechargestatus.MessageNotFound})
		return
	}
	data := res.Transaction.Data(a.codes)
	envelope.WriteAnswer(w, http.StatusOK, rechargestatus.Answer{ResponseCode: rechargestatus.CodeFound, Status: true, Data: &data, Message: rechargestatus.MessageFound})
}

// writeError maps a domain error onto the provider's answers.
func (a answerer) writeError(w http.ResponseWriter, err error) {
	var e *recharge.Error
	msg, remarks := recharge.ErrorMessage(err), ""
	if errors.As(err, &e) {
		remarks = e.Remarks
	}
	switch recharge.ErrorCode(err) {
	case recharge.EUNAUTHORIZED:
		envelope.WriteError(w, http.StatusUnauthorized, rechargestatus.CodeAuthFailed, msg, remarks)
	case recharge.EDISABLED:
		envelope.WriteError(w, http.StatusNotFound, rechargestatus.CodeServiceDisabled, rechargestatus.MessageServiceDisabled, remarks)
	case recharge.EINVALID:
		envelope.WriteValidationError(w, a.validationStatus, msg)
	default:
		envelope.WriteError(w, http.StatusInternalServerError, rechargestatus.CodeUnableToProcess, rechargestatus.MessageUnableToProcess, "")
	}
}
