// Package envelope writes the sandbox's JSON answers: the provider's answers
// and error envelope, and any other JSON value.
package envelope

import (
	"encoding/json"
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// JSONContentType is the Content-Type of every JSON answer.
const JSONContentType = "application/json; charset=utf-8"

var jsonContentTypeValue = []string{JSONContentType}

// WriteJSON answers v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
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

// WriteError answers in the provider's error envelope.
func WriteError(w http.ResponseWriter, status, code int, message, remarks string) {
	WriteJSON(w, status, rechargestatus.ErrorAnswer{Status: false, ResponseCode: code, Message: message, Remarks: remarks})
}

// WriteValidationError answers a request the provider would refuse as
// malformed, detail saying why.
func WriteValidationError(w http.ResponseWriter, status int, detail string) {
	WriteError(w, status, rechargestatus.CodeValidation, rechargestatus.MessageValidation+": "+detail, "")
}
