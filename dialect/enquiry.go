package dialect

import (
	"encoding/json"
	"reflect"
	"strings"

	"github.com/golang-jwt/jwt/v5"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// requestField is a member of the enquiry and the other spellings the
// provider's pages give it (provider-notes.md:16-17: "Field spelling is
// inconsistent across the provider's pages: `RegistrationID`,
// `registrationID`, `RegisterID`; `referenceid`, `ReferenceId`,
// `ReferanceId`.").
type requestField struct {
	name    string
	aliases []string
}

var (
	referenceField    = requestField{name: wireName("ReferenceID"), aliases: []string{"ReferenceId", "ReferanceId"}}
	registrationField = requestField{name: wireName("RegistrationID"), aliases: []string{"registrationID", "RegisterID"}}
)

// wireName is the JSON name rechargestatus.Enquiry gives its field, the one
// definition of the request.
func wireName(field string) string {
	f, ok := reflect.TypeFor[rechargestatus.Enquiry]().FieldByName(field)
	if !ok {
		panic("dialect: rechargestatus.Enquiry has no field " + field)
	}
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	return name
}

// accepts reports whether key spells f under the knobs' field rules.
func (f requestField) accepts(key string, k Knobs) bool {
	if key == f.name || (k.CaseInsensitiveFields && strings.EqualFold(key, f.name)) {
		return true
	}
	if !k.FieldAliases {
		return false
	}
	for _, alias := range f.aliases {
		if key == alias || (k.CaseInsensitiveFields && strings.EqualFold(key, alias)) {
			return true
		}
	}
	return false
}

// winner is the member that stands for f: one spelt exactly, else the last
// one spelt another way the knobs accept, as ASP.NET's binders keep the last
// of repeated members (GUESS); -1 when none does.
func (f requestField) winner(members []member, k Knobs) int {
	if i := index(members, f.name); i >= 0 {
		return i
	}
	for i := len(members) - 1; i >= 0; i-- {
		if f.accepts(members[i].key, k) {
			return i
		}
	}
	return -1
}

// alsoRead words the other spellings the knobs accept, for an error.
func (f requestField) alsoRead(k Knobs) string {
	var names []string
	if k.FieldAliases {
		names = f.aliases
	}
	switch {
	case len(names) > 0 && k.CaseInsensitiveFields:
		return " (also read as " + orList(names) + ", in any letter case)"
	case len(names) > 0:
		return " (also read as " + orList(names) + ")"
	case k.CaseInsensitiveFields:
		return " (in any letter case)"
	}
	return ""
}

// Request is an enquiry read under a dialect's field rules.
type Request struct {
	rechargestatus.Enquiry
	// TokenPartner is the Token's partnerId claim, read (not verified) when
	// the body names no RegistrationID and the dialect lets a Token name the
	// partner. The caller finds the registration it stands for; the Token is
	// verified against that registration's key as any other.
	TokenPartner string
}

// EnquiryError is why a body is not an enquiry under the dialect's rules.
type EnquiryError struct {
	// Field is the member at fault, by the page's name; empty when the fault
	// is the body's.
	Field   string
	Message string
}

func (e *EnquiryError) Error() string { return e.Message }

// ReadEnquiry reads an enquiry body under the dialect's field rules: which
// member is which, that each is a string, that each is there (or, for
// RegistrationID, that token names the partner). What a value must look like
// is openapi.yaml's to say: validate Canonical's body against it.
func (d Dialect) ReadEnquiry(body []byte, token string) (Request, error) {
	k := d.Knobs()
	members, err := readObject(body)
	if err != nil {
		return Request{}, &EnquiryError{Message: "request body is not a JSON object"}
	}
	var req Request
	var present bool
	req.ReferenceID, present, err = readField(members, referenceField, k)
	switch {
	case err != nil:
		return Request{}, err
	case !present:
		return Request{}, &EnquiryError{Field: referenceField.name, Message: referenceField.name + " is required" + referenceField.alsoRead(k)}
	}
	req.RegistrationID, present, err = readField(members, registrationField, k)
	switch {
	case err != nil:
		return Request{}, err
	case present:
		return req, nil
	}
	if k.RegistrationFromToken {
		if req.TokenPartner = TokenPartner(token); req.TokenPartner != "" {
			return req, nil
		}
		return Request{}, &EnquiryError{Field: registrationField.name, Message: registrationField.name + " is required" + registrationField.alsoRead(k) + ", or a Token whose partnerId claim names the partner"}
	}
	return Request{}, &EnquiryError{Field: registrationField.name, Message: registrationField.name + " is required" + registrationField.alsoRead(k)}
}

func readField(members []member, f requestField, k Knobs) (string, bool, error) {
	i := f.winner(members, k)
	if i < 0 {
		return "", false, nil
	}
	var s string
	if string(members[i].value) == "null" || json.Unmarshal(members[i].value, &s) != nil {
		msg := f.name + " must be a string"
		if members[i].key != f.name {
			msg += " (sent as " + members[i].key + ")"
		}
		return "", true, &EnquiryError{Field: f.name, Message: msg}
	}
	return s, true, nil
}

// Canonical rewrites an enquiry body in the page's spelling, so that
// openapi.yaml can validate it and the handler read it: a member spelt
// another way the dialect accepts is renamed (one spelt exactly wins, the
// others are dropped), and when the body names no RegistrationID and the
// dialect lets a Token name the partner, the RegistrationID registrationFor
// gives for the Token's partnerId claim is added. It returns body itself when
// there is nothing to rewrite, when body is not a JSON object (validation
// words what is wrong with it), and always under the page dialect.
func (d Dialect) Canonical(body []byte, token string, registrationFor func(partnerID string) (string, bool)) []byte {
	k := d.Knobs()
	if !k.CaseInsensitiveFields && !k.FieldAliases && !k.RegistrationFromToken {
		return body
	}
	members, err := readObject(body)
	if err != nil {
		return body
	}
	changed := false
	for _, f := range []requestField{referenceField, registrationField} {
		var renamed bool
		members, renamed = canonicalField(members, f, k)
		changed = changed || renamed
	}
	if k.RegistrationFromToken && registrationFor != nil && index(members, registrationField.name) < 0 {
		if partner := TokenPartner(token); partner != "" {
			if id, ok := registrationFor(partner); ok {
				value, _ := json.Marshal(id)
				members = append(members, member{key: registrationField.name, value: value})
				changed = true
			}
		}
	}
	if !changed {
		return body
	}
	return appendObject(make([]byte, 0, len(body)+32), members)
}

// canonicalField renames the member standing for f to f's name and drops
// the other spellings of f.
func canonicalField(members []member, f requestField, k Knobs) ([]member, bool) {
	w := f.winner(members, k)
	if w < 0 {
		return members, false
	}
	changed := false
	out := members[:0:0]
	for i, m := range members {
		switch {
		case i == w:
			changed = changed || m.key != f.name
			m.key = f.name
		case f.accepts(m.key, k):
			changed = true
			continue
		}
		out = append(out, m)
	}
	return out, changed
}

// widest accepts every spelling of every request field.
var widest = Knobs{CaseInsensitiveFields: true, FieldAliases: true, RegistrationFromToken: true}

// PeekRegistration reads who an enquiry is for under the widest field rules
// of any dialect, before the dialect is known: a server whose registrations
// name their own dialect must find the registration first. It never fails:
// what it cannot read it leaves empty.
func PeekRegistration(body []byte, token string) Request {
	var req Request
	members, err := readObject(body)
	if err != nil {
		return req
	}
	req.ReferenceID, _, _ = readField(members, referenceField, widest)
	req.RegistrationID, _, _ = readField(members, registrationField, widest)
	if req.RegistrationID == "" {
		req.TokenPartner = TokenPartner(token)
	}
	return req
}

// TokenPartner is the partnerId claim of a Token, read without verifying it;
// empty when token is not a JWT or has no string partnerId.
func TokenPartner(token string) string {
	if token == "" {
		return ""
	}
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(token, claims); err != nil {
		return ""
	}
	partner, _ := claims["partnerId"].(string)
	return partner
}
