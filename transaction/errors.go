package transaction

import (
	"errors"
	"fmt"
)

// Codes of the sandbox's refusals. Each adapter words them in its own
// protocol: the admin API as an HTTP status and error code, the mock as the
// provider's envelope.
const (
	ECONFLICT     = "conflict"
	EINTERNAL     = "internal"
	EINVALID      = "invalid"
	ENOTFOUND     = "not_found"
	EUNAUTHORIZED = "unauthorized"
	EDISABLED     = "disabled"
	// EUNAVAILABLE: the store the sandbox keeps its state in (Redis)
	// cannot be reached; a passing outage, not a refusal of the request.
	EUNAVAILABLE = "unavailable"
)

// ErrUnavailable is wrapped by every error of a store that cannot be
// reached; its code is EUNAVAILABLE.
var ErrUnavailable = &Error{Code: EUNAVAILABLE, Message: "the sandbox's store cannot be reached; try again"}

// Error is a refusal with a code and a message fit for the partner or the
// person who asked.
type Error struct {
	Code    string
	Message string
	// Remarks is extra detail the provider sometimes adds to an answer.
	Remarks string
	// TokenRejected marks an EUNAUTHORIZED error as the JWT decoder's
	// refusal of the Token, its Message the decoder's: dialects answer it
	// apart from the other authentication failures.
	TokenRejected bool
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf builds an *Error.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the code of err when it is an *Error, EINTERNAL otherwise.
func ErrorCode(err error) string {
	if err == nil {
		// Before errors.As, whose target escapes: most calls have no error.
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage is the partner-facing message of err.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
