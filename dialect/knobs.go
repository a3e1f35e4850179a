package dialect

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// CodeKey is the member an answer spells its response code with.
type CodeKey string

// Spellings of the response code's key.
const (
	// CodeKeyPage is the page's and openapi.yaml's spelling.
	CodeKeyPage CodeKey = "response_code"
	// CodeKeyUpstream is the upstream aggregator's.
	CodeKeyUpstream CodeKey = "responsecode"
)

// JWTFailure is how an answer words a Token that the JWT decoder rejects.
type JWTFailure string

// Ways to answer a rejected Token.
const (
	// JWTCode7 answers HTTP 401, response_code 7 and the decoder's message,
	// as the page's 401 example ("Invalid signature encoding") does.
	JWTCode7 JWTFailure = "code7"
	// JWTCode6 answers HTTP 412, response_code 6, "Jwt Token Error", as the
	// upstream documents, with the decoder's message in remarks.
	JWTCode6 JWTFailure = "code6"
)

// AuthBody is the answer to a partner that could not be authenticated.
type AuthBody string

// Bodies of a failed authentication, all HTTP 401.
const (
	// AuthCode7 is the page's: response_code 7, "Authentication failed",
	// remarks saying why.
	AuthCode7 AuthBody = "code7"
	// AuthCode5 is {"status":false,"response_code":5,"message":"Authentication failed"}.
	AuthCode5 AuthBody = "code5"
	// AuthCode25 is {"status":false,"response_code":25,"message":"Authentication failed.","remarks":"Authentication failed."}.
	AuthCode25 AuthBody = "code25"
)

// ValidationDetail is where a validation error says what was wrong.
type ValidationDetail string

// Places of a validation error's detail.
const (
	// DetailInMessage: "Validations Error: referenceid is required".
	DetailInMessage ValidationDetail = "message"
	// DetailInRemarks: message "Validations Error", remarks "referenceid is required".
	DetailInRemarks ValidationDetail = "remarks"
)

// Knobs are everything a dialect decides. The zero value decides nothing:
// start from a dialect's Knobs.
type Knobs struct {
	// ValidationStatus is the HTTP status of a malformed request: 400 or 401.
	ValidationStatus int
	// PendingStatus is data.status of a pending transaction; never "1" or "0".
	PendingStatus string
	// CaseInsensitiveFields accepts the request's members in any letter case.
	CaseInsensitiveFields bool
	// FieldAliases accepts the request members under every spelling the
	// provider's pages use (RegisterID, ReferanceId, ...).
	FieldAliases bool
	// RegistrationFromToken lets a request name no RegistrationID when its
	// Token's partnerId claim names the partner.
	RegistrationFromToken bool
	// AnswerCodeKey spells the code of a status answer (HTTP 200).
	AnswerCodeKey CodeKey
	// ErrorCodeKey spells the code of an error answer.
	ErrorCodeKey CodeKey
	// ValidationDetail is where a validation error says what was wrong.
	ValidationDetail ValidationDetail
	// JWTFailure is how a Token the JWT decoder rejects is answered.
	JWTFailure JWTFailure
	// AuthFailureBody is the answer to a partner that could not be authenticated.
	AuthFailureBody AuthBody
	// UnableToProcessStatus is the HTTP status of "Unable to process
	// request" (code 5) when the provider fails: 500 or 401.
	UnableToProcessStatus int
}

// Names of the knobs, as flags, the X-Mock-Dialect header and the fixtures
// spell them.
const (
	KnobValidationStatus      = "validation-status"
	KnobPendingStatus         = "pending-status"
	KnobCaseInsensitiveFields = "case-insensitive-fields"
	KnobFieldAliases          = "field-aliases"
	KnobRegistrationFromToken = "registration-from-token"
	KnobAnswerCodeKey         = "answer-code-key"
	KnobErrorCodeKey          = "error-code-key"
	KnobValidationDetail      = "validation-detail"
	KnobJWTFailure            = "jwt-failure"
	KnobAuthFailureBody       = "auth-failure-body"
	KnobUnableToProcessStatus = "unable-to-process-status"
)

// knob reads and writes one field of Knobs by name.
type knob struct {
	name    string
	usage   string
	boolean bool
	get     func(Knobs) string
	// set parses value into k, or says what values the knob takes.
	set func(k *Knobs, value string) error
}

// knobTable lists every knob, in the order flags and dialect strings show
// them.
var knobTable = []knob{
	statusKnob(KnobValidationStatus, "HTTP status of a malformed request: 400, or 401 as the upstream aggregator answers",
		func(k *Knobs) *int { return &k.ValidationStatus }, 400, 401),
	{
		name:  KnobPendingStatus,
		usage: "data.status of a pending transaction",
		get:   func(k Knobs) string { return k.PendingStatus },
		set: func(k *Knobs, v string) error {
			switch v {
			case "", rechargestatus.StatusSuccess, rechargestatus.StatusFailed:
				return fmt.Errorf(`a pending transaction answers neither the status of a success ("1") or a failure ("0") nor an empty one`)
			}
			k.PendingStatus = v
			return nil
		},
	},
	boolKnob(KnobCaseInsensitiveFields, "accept referenceid and RegistrationID in any letter case, as the provider's ASP.NET binding is believed to",
		func(k *Knobs) *bool { return &k.CaseInsensitiveFields }),
	boolKnob(KnobFieldAliases, "accept the request fields under every spelling the provider's pages use: RegistrationID, registrationID, RegisterID; referenceid, ReferenceId, ReferanceId",
		func(k *Knobs) *bool { return &k.FieldAliases }),
	boolKnob(KnobRegistrationFromToken, "let an enquiry leave RegistrationID out when its Token's partnerId claim names the partner",
		func(k *Knobs) *bool { return &k.RegistrationFromToken }),
	enumKnob(KnobAnswerCodeKey, "key of the code in a status answer (HTTP 200): response_code or responsecode",
		func(k *Knobs) *CodeKey { return &k.AnswerCodeKey }, CodeKeyPage, CodeKeyUpstream),
	enumKnob(KnobErrorCodeKey, "key of the code in an error answer: response_code or responsecode",
		func(k *Knobs) *CodeKey { return &k.ErrorCodeKey }, CodeKeyPage, CodeKeyUpstream),
	enumKnob(KnobValidationDetail, `where a validation error says what was wrong: message ("Validations Error: <detail>") or remarks (message "Validations Error")`,
		func(k *Knobs) *ValidationDetail { return &k.ValidationDetail }, DetailInMessage, DetailInRemarks),
	enumKnob(KnobJWTFailure, `answer to a Token the JWT decoder rejects: code7 (HTTP 401, the decoder's message) or code6 (HTTP 412, "Jwt Token Error")`,
		func(k *Knobs) *JWTFailure { return &k.JWTFailure }, JWTCode7, JWTCode6),
	enumKnob(KnobAuthFailureBody, `HTTP 401 body of a failed authentication: code7 ("Authentication failed"), code5 or code25 (the upstream's captured bodies)`,
		func(k *Knobs) *AuthBody { return &k.AuthFailureBody }, AuthCode7, AuthCode5, AuthCode25),
	statusKnob(KnobUnableToProcessStatus, `HTTP status of "Unable to process request" (code 5) when the provider fails: 500, or 401 as the upstream aggregator answers`,
		func(k *Knobs) *int { return &k.UnableToProcessStatus }, 500, 401),
}

func boolKnob(name, usage string, field func(*Knobs) *bool) knob {
	return knob{
		name: name, usage: usage, boolean: true,
		get: func(k Knobs) string { return strconv.FormatBool(*field(&k)) },
		set: func(k *Knobs, v string) error {
			b, err := strconv.ParseBool(v)
			if err != nil {
				return fmt.Errorf("want true or false")
			}
			*field(k) = b
			return nil
		},
	}
}

func statusKnob(name, usage string, field func(*Knobs) *int, values ...int) knob {
	return knob{
		name: name, usage: usage,
		get: func(k Knobs) string { return strconv.Itoa(*field(&k)) },
		set: func(k *Knobs, v string) error {
			n, err := strconv.Atoi(v)
			if err == nil && slices.Contains(values, n) {
				*field(k) = n
				return nil
			}
			names := make([]string, len(values))
			for i, want := range values {
				names[i] = strconv.Itoa(want)
			}
			return fmt.Errorf("want %s", orList(names))
		},
	}
}

func enumKnob[T ~string](name, usage string, field func(*Knobs) *T, values ...T) knob {
	return knob{
		name: name, usage: usage,
		get: func(k Knobs) string { return string(*field(&k)) },
		set: func(k *Knobs, v string) error {
			for _, want := range values {
				if v == string(want) {
					*field(k) = want
					return nil
				}
			}
			names := make([]string, len(values))
			for i, want := range values {
				names[i] = string(want)
			}
			return fmt.Errorf("want %s", orList(names))
		},
	}
}

// KnobNames lists the knobs' names.
func KnobNames() []string {
	out := make([]string, len(knobTable))
	for i, kn := range knobTable {
		out[i] = kn.name
	}
	return out
}

func findKnob(name string) (*knob, error) {
	for i := range knobTable {
		if knobTable[i].name == name {
			return &knobTable[i], nil
		}
	}
	return nil, fmt.Errorf("unknown knob %q, want %s", name, orList(KnobNames()))
}

// Get is the value of the knob named name, as a flag would show it.
func (k Knobs) Get(name string) (string, error) {
	kn, err := findKnob(name)
	if err != nil {
		return "", err
	}
	return kn.get(k), nil
}

// Set sets the knob named name from its text.
func (k *Knobs) Set(name, value string) error {
	kn, err := findKnob(name)
	if err != nil {
		return err
	}
	if err := kn.set(k, value); err != nil {
		return fmt.Errorf("%s %q: %w", name, value, err)
	}
	return nil
}

// Validate reports the first knob whose value is not one it takes, such as
// a field of a Knobs built by hand and left zero.
func (k Knobs) Validate() error {
	for _, kn := range knobTable {
		var probe Knobs
		if err := kn.set(&probe, kn.get(k)); err != nil {
			return fmt.Errorf("%s %q: %w", kn.name, kn.get(k), err)
		}
	}
	return nil
}

func orList(xs []string) string {
	switch len(xs) {
	case 0:
		return "nothing"
	case 1:
		return xs[0]
	}
	return strings.Join(xs[:len(xs)-1], ", ") + " or " + xs[len(xs)-1]
}
