package mockserver

import (
	"encoding/json"
	"errors"
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

const jsonContentType = "application/json; charset=utf-8"

var jsonContentTypeValue = []string{jsonContentType}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"status":false,"response_code":5,"message":"Unable to process request"}`)
	}
	// Assigning the shared, canonical value spares Set's allocation on every
	// answer; Set and Add replace or grow the slice, never write into it.
	w.Header()["Content-Type"] = jsonContentTypeValue
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeError answers in the provider's error envelope.
func writeError(w http.ResponseWriter, status, code int, message, remarks string) {
	writeJSON(w, status, rechargestatus.ErrorAnswer{Status: false, ResponseCode: code, Message: message, Remarks: remarks})
}

// writeValidationError answers a request that breaks the spec.
func (s *Server) writeValidationError(w http.ResponseWriter, status int, detail string) {
	writeError(w, status, rechargestatus.CodeValidation, rechargestatus.MessageValidation+": "+detail, "")
}

// writeDomainError maps a domain error onto the provider's answers.
func (s *Server) writeDomainError(w http.ResponseWriter, err error) {
	var e *recharge.Error
	msg, remarks := recharge.ErrorMessage(err), ""
	if errors.As(err, &e) {
		remarks = e.Remarks
	}
	switch recharge.ErrorCode(err) {
	case recharge.EUNAUTHORIZED:
		writeError(w, http.StatusUnauthorized, rechargestatus.CodeAuthFailed, msg, remarks)
	case recharge.EDISABLED:
		writeError(w, http.StatusNotFound, rechargestatus.CodeServiceDisabled, rechargestatus.MessageServiceDisabled, remarks)
	case recharge.EINVALID:
		s.writeValidationError(w, s.cfg.ValidationStatus, msg)
	default:
		writeError(w, http.StatusInternalServerError, rechargestatus.CodeUnableToProcess, rechargestatus.MessageUnableToProcess, "")
	}
}
