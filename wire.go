package rechargestatus

import (
	"net/http"
	"time"
)

// The request and answer of RechargeStatus as they travel, in the provider's
// key spelling and field order. The mock answers with these types, the
// contract suite and the proxy read them, and the fixtures describe data in
// them: there is no other copy.

// Enquiry is the request body: which transaction, for which partner.
type Enquiry struct {
	ReferenceID    string `json:"referenceid"`
	RegistrationID string `json:"RegistrationID"`
}

// Answer is the provider's answer to an enquiry that was processed (HTTP
// 200): found, with Data, or not found, without.
type Answer struct {
	ResponseCode int    `json:"response_code"`
	Status       bool   `json:"status"`
	Data         *Data  `json:"data,omitempty"`
	Message      string `json:"message"`
}

// ErrorAnswer is the provider's error envelope.
type ErrorAnswer struct {
	Status       bool   `json:"status"`
	ResponseCode int    `json:"response_code"`
	Message      string `json:"message"`
	Remarks      string `json:"remarks,omitempty"`
}

// Data is a transaction as an answer shows it: every field a string.
type Data struct {
	TxnID        string  `json:"txnid"`
	OperatorName string  `json:"operatorname"`
	CANumber     string  `json:"canumber"`
	Amount       string  `json:"amount"`
	Comm         string  `json:"comm"`
	TDS          string  `json:"tds"`
	Status       string  `json:"status"`
	RefID        string  `json:"refid"`
	OperatorID   string  `json:"operatorid"`
	DateAdded    string  `json:"dateadded"`
	Refunded     string  `json:"refunded"`
	RefundTxnID  string  `json:"refundtxnid"`
	DateRefunded *string `json:"daterefunded"`
}

// Response codes of the envelope (`response_code`).
const (
	CodeFound           = 1
	CodeNotFound        = 2
	CodeServiceDisabled = 3
	CodeValidation      = 4
	CodeUnableToProcess = 5
	CodeJWT             = 6
	CodeAuthFailed      = 7
)

// Messages that go with the response codes.
const (
	MessageFound           = "Transaction Enquiry Successful"
	MessageNotFound        = "No Transaction found"
	MessageServiceDisabled = "service is disabled"
	MessageValidation      = "Validations Error"
	MessageUnableToProcess = "Unable to process request"
	MessageJWT             = "Jwt Token Error"
)

// DeclaredErrorCodes lists, for an error's HTTP status, the response codes
// openapi.yaml's ErrorResponse lets it carry. A 401 may carry 4 or 5 because
// the upstream aggregator answers validation and processing errors with 401.
// A status not listed is not constrained beyond being an error.
var DeclaredErrorCodes = map[int][]int{
	http.StatusBadRequest:            {CodeValidation},
	http.StatusUnauthorized:          {CodeValidation, CodeUnableToProcess, CodeAuthFailed},
	http.StatusNotFound:              {CodeServiceDisabled},
	http.StatusMethodNotAllowed:      {CodeValidation},
	http.StatusPreconditionFailed:    {CodeJWT},
	http.StatusRequestEntityTooLarge: {CodeValidation},
	http.StatusUnsupportedMediaType:  {CodeValidation},
	http.StatusTooManyRequests:       {CodeUnableToProcess},
	http.StatusInternalServerError:   {CodeUnableToProcess},
	http.StatusBadGateway:            {CodeUnableToProcess},
	http.StatusServiceUnavailable:    {CodeUnableToProcess},
	http.StatusGatewayTimeout:        {CodeUnableToProcess},
}

// Values of `data.status`. The provider documents only success and failed;
// anything else means pending, and DefaultPendingStatus is a guess.
const (
	StatusSuccess        = "1"
	StatusFailed         = "0"
	DefaultPendingStatus = "2"
)

// IST is the provider's time zone: every date it answers is Indian time.
var IST = time.FixedZone("IST", 5*3600+30*60)

// TimeLayout is how the provider writes a moment: Indian time, no zone.
const TimeLayout = "2006-01-02 15:04:05"

// FormatTime writes t the provider's way.
func FormatTime(t time.Time) string { return t.In(IST).Format(TimeLayout) }

// ParseTime reads a provider date, taken as Indian time.
func ParseTime(s string) (time.Time, error) {
	return time.ParseInLocation(TimeLayout, s, IST)
}

// IsSecretHeader reports whether a header named name carries a credential,
// whether a client sent it or an upstream answered it, so its value is
// never printed, journaled or recorded in clear.
func IsSecretHeader(name string) bool {
	switch http.CanonicalHeaderKey(name) {
	case "Authorization", "Proxy-Authorization", "Token", "Authorisedkey", "Cookie", "Set-Cookie", "X-Api-Key":
		return true
	}
	return false
}
