package dialect

import (
	"net/http"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Failure is a kind of enquiry that is not processed, each answered in the
// dialect's way.
type Failure int

// Failures of an enquiry.
const (
	// Validation: the request breaks the contract. The message says how,
	// such as "referenceid is required".
	Validation Failure = iota + 1
	// Authentication: the partner is not identified: an unknown
	// registration, a missing Token, claims that do not name the partner, a
	// replayed reqid. The message and remarks are the page's wording, such
	// as "Authentication failed" and "unknown RegistrationID".
	Authentication
	// TokenRejected: the JWT decoder refused the Token. The message is the
	// decoder's, such as "Invalid signature encoding" or "Expired token".
	TokenRejected
	// ServiceDisabled: the partner's service is disabled.
	ServiceDisabled
	// UnableToProcess: the provider failed to process the enquiry.
	UnableToProcess
)

// Words of the upstream's captured 401 bodies (provider-notes.md:43-44).
const (
	messageAuthFailedCode25 = "Authentication failed."
	codeAuthFailed25        = 25
)

// ErrorAnswer is how the dialect answers failure f: the HTTP status and the
// envelope, for AppendError. message and remarks are the page's wording of
// this failure; a dialect that words it otherwise keeps what it can in remarks.
func (d Dialect) ErrorAnswer(f Failure, message, remarks string) (int, rechargestatus.ErrorAnswer) {
	k := d.Knobs()
	switch f {
	case Validation:
		return k.ValidationStatus, validationAnswer(k.ValidationDetail, message, remarks)
	case Authentication:
		return http.StatusUnauthorized, authAnswer(k.AuthFailureBody, message, remarks)
	case TokenRejected:
		if k.JWTFailure == JWTCode6 {
			return http.StatusPreconditionFailed, errorAnswer(rechargestatus.CodeJWT, rechargestatus.MessageJWT, join(message, remarks))
		}
		return http.StatusUnauthorized, errorAnswer(rechargestatus.CodeAuthFailed, or(message, rechargestatus.MessageAuthenticationFailed), remarks)
	case ServiceDisabled:
		return http.StatusNotFound, errorAnswer(rechargestatus.CodeServiceDisabled, rechargestatus.MessageServiceDisabled, remarks)
	}
	return k.UnableToProcessStatus, errorAnswer(rechargestatus.CodeUnableToProcess, rechargestatus.MessageUnableToProcess, remarks)
}

func validationAnswer(where ValidationDetail, detail, remarks string) rechargestatus.ErrorAnswer {
	if where == DetailInRemarks {
		return errorAnswer(rechargestatus.CodeValidation, rechargestatus.MessageValidation, join(detail, remarks))
	}
	message := rechargestatus.MessageValidation
	if detail != "" {
		message += ": " + detail
	}
	return errorAnswer(rechargestatus.CodeValidation, message, remarks)
}

func authAnswer(body AuthBody, message, remarks string) rechargestatus.ErrorAnswer {
	switch body {
	case AuthCode5:
		// provider-notes.md:43, word for word: the page's remarks have no place in it.
		return errorAnswer(rechargestatus.CodeUnableToProcess, rechargestatus.MessageAuthenticationFailed, "")
	case AuthCode25:
		// provider-notes.md:44, word for word.
		return errorAnswer(codeAuthFailed25, messageAuthFailedCode25, messageAuthFailedCode25)
	}
	return errorAnswer(rechargestatus.CodeAuthFailed, or(message, rechargestatus.MessageAuthenticationFailed), remarks)
}

func errorAnswer(code int, message, remarks string) rechargestatus.ErrorAnswer {
	return rechargestatus.ErrorAnswer{Status: false, ResponseCode: code, Message: message, Remarks: remarks}
}

func or(s, fallback string) string {
	if s == "" {
		return fallback
	}
	return s
}

// join puts two remarks in one, either may be empty.
func join(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + ": " + b
}
