package admin

import (
	"errors"
	"fmt"
	"net/http"

	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Codes of the admin API's errors, the `error.code` of its error answers.
const (
	CodeInvalid      = "invalid"
	CodeNotFound     = "not_found"
	CodeConflict     = "conflict"
	CodeUnauthorized = "unauthorized"
	// CodeForbidden refuses a request for where it comes from: a browser
	// page of another origin, or a Host the sandbox does not answer.
	CodeForbidden = "forbidden"
	CodeInternal  = "internal"
	// CodeUnavailable refuses a request the store cannot serve now (a
	// Redis store out of reach), with 503; Client.Health reports it of a
	// sandbox whose store cannot be read, whose answer is then a Health.
	CodeUnavailable = "unavailable"
)

// ErrorEnvelope is the body of every admin error answer.
type ErrorEnvelope struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail says what went wrong.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// Error is an admin call the sandbox refused: the HTTP status and the error
// envelope it answered. A Client returns it for every answer that is not a
// success, and the sandbox's in-process Admin returns the same values.
type Error struct {
	// Status is the HTTP status of the answer.
	Status int
	ErrorDetail
}

func (e *Error) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("admin API: HTTP %d: %s", e.Status, e.Message)
	}
	return fmt.Sprintf("admin API: HTTP %d %s: %s", e.Status, e.Code, e.Message)
}

// Errorf makes an Error of status and code, its message formatted.
func Errorf(status int, code, format string, args ...any) *Error {
	return &Error{Status: status, ErrorDetail: ErrorDetail{Code: code, Message: fmt.Sprintf(format, args...)}}
}

// ErrorCode is the code of err when it is, or wraps, an *Error; "" otherwise.
func ErrorCode(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

// ErrorOf words err, a refusal of the sandbox (a transaction.Error), as the
// admin API answers it: EINVALID as 400 invalid, ENOTFOUND as 404 not_found,
// ECONFLICT as 409 conflict, anything else as 500 internal. An *Error is
// already worded and nil stays nil. The sandbox's in-process Admin answers
// with it, so the HTTP adapter and a Go caller see the same Error.
func ErrorOf(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	msg := transaction.ErrorMessage(err)
	switch transaction.ErrorCode(err) {
	case transaction.EINVALID:
		return Errorf(http.StatusBadRequest, CodeInvalid, "%s", msg)
	case transaction.ENOTFOUND:
		return Errorf(http.StatusNotFound, CodeNotFound, "%s", msg)
	case transaction.ECONFLICT:
		return Errorf(http.StatusConflict, CodeConflict, "%s", msg)
	case transaction.EUNAVAILABLE:
		return Errorf(http.StatusServiceUnavailable, CodeUnavailable, "%s", err.Error())
	}
	return Errorf(http.StatusInternalServerError, CodeInternal, "%s", err.Error())
}
