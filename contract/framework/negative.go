package contract

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// OversizedBodyBytes is the size of the oversized request: four times the
// mock's default limit and far above what a status enquiry needs, yet small
// enough that a server which answers early still reads it all (Go's server
// drains up to 256 KiB), so the client sees the answer rather than a reset.
const OversizedBodyBytes = 64 << 10

// NegativeCase is a request the endpoint must refuse with a declared error in
// its envelope: never a success, never a 5xx, never silence.
type NegativeCase struct {
	// Name says what is wrong with the request.
	Name string
	// Property is the request field at fault, which the error message should
	// name; empty when the fault is the request's as a whole.
	Property string
	Request  Request
}

// wrongTypeValues are values of each JSON type, to put where another type is
// declared.
var wrongTypeValues = []struct {
	jsonType, name string
	value          any
}{
	{"number", "a number", 12345678},
	{"boolean", "a boolean", true},
	{"null", "null", nil},
	{"object", "an object", map[string]any{"value": "12345678"}},
	{"array", "an array", []any{"12345678"}},
}

// NegativeCases derives the malformed requests of the RechargeStatus operation
// from doc: for each required property of its request schema, the property
// missing, empty, of each wrong JSON type, longer than its maxLength, outside
// its enum; then a body that is not JSON, not an object, empty or oversized,
// a wrong content type, and each method the path does not declare. Every case
// starts from the well-formed enquiry valid.
func NegativeCases(doc *openapi3.T, valid rechargestatus.Enquiry) ([]NegativeCase, error) {
	item := doc.Paths.Find(rechargestatus.EnquiryPath)
	if item == nil || item.Post == nil {
		return nil, fmt.Errorf("openapi.yaml has no POST %s", rechargestatus.EnquiryPath)
	}
	op := item.Post
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil, errors.New("the RechargeStatus operation declares no request body")
	}
	media := op.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return nil, errors.New("the RechargeStatus operation declares no application/json request schema")
	}
	schema := media.Schema.Value
	base, err := toObject(valid)
	if err != nil {
		return nil, err
	}
	jsonHeader := func() http.Header { return http.Header{"Content-Type": {"application/json"}} }
	with := func(name string, value any, drop bool) []byte {
		body := make(map[string]any, len(base))
		for k, v := range base {
			body[k] = v
		}
		if drop {
			delete(body, name)
		} else {
			body[name] = value
		}
		b, _ := json.Marshal(body)
		return b
	}
	validBody, _ := json.Marshal(base)

	var cases []NegativeCase
	add := func(name, property string, method string, header http.Header, body []byte) {
		cases = append(cases, NegativeCase{Name: name, Property: property, Request: Request{Method: method, Header: header, Body: body, Enquiry: valid}})
	}
	for _, name := range schema.Required {
		ref := schema.Properties[name]
		if ref == nil || ref.Value == nil {
			return nil, fmt.Errorf("required property %s has no schema", name)
		}
		prop := ref.Value
		add(name+" is missing", name, http.MethodPost, jsonHeader(), with(name, nil, true))
		isString := prop.Type != nil && prop.Type.Is(openapi3.TypeString)
		if isString && prop.MinLength >= 1 {
			add(name+" is empty", name, http.MethodPost, jsonHeader(), with(name, "", false))
		}
		for _, wrong := range wrongTypeValues {
			if permits(prop, wrong.jsonType) {
				continue
			}
			add(fmt.Sprintf("%s is %s", name, wrong.name), name, http.MethodPost, jsonHeader(), with(name, wrong.value, false))
		}
		if isString && prop.MaxLength != nil {
			n := int(*prop.MaxLength) + 1
			add(fmt.Sprintf("%s is %d characters long, one over maxLength", name, n), name, http.MethodPost, jsonHeader(), with(name, strings.Repeat("9", n), false))
		}
		if isString && len(prop.Enum) > 0 {
			add(name+" is outside its enum", name, http.MethodPost, jsonHeader(), with(name, "not-one-of-the-enum", false))
		}
	}

	add("the body is not valid JSON", "", http.MethodPost, jsonHeader(), validBody[:len(validBody)-1])
	add("the body is empty", "", http.MethodPost, jsonHeader(), nil)
	add("the body is the JSON null", "", http.MethodPost, jsonHeader(), []byte("null"))
	add("the body is a JSON array", "", http.MethodPost, jsonHeader(), append(append([]byte("["), validBody...), ']'))
	add("the body is a JSON string", "", http.MethodPost, jsonHeader(), []byte(`"`+valid.ReferenceID+`"`))
	add(fmt.Sprintf("the body is %d bytes long", OversizedBodyBytes), "", http.MethodPost, jsonHeader(), oversized(valid, OversizedBodyBytes))
	add("the Content-Type is text/plain", "", http.MethodPost, http.Header{"Content-Type": {"text/plain"}}, validBody)
	add("the Content-Type is application/x-www-form-urlencoded", "", http.MethodPost, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		[]byte("referenceid="+valid.ReferenceID+"&RegistrationID="+valid.RegistrationID))
	add("there is no Content-Type", "", http.MethodPost, http.Header{}, validBody)

	declared := map[string]bool{}
	for method := range item.Operations() {
		declared[method] = true
	}
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if declared[method] {
			continue
		}
		var body []byte
		header := http.Header{}
		if method != http.MethodGet {
			body, header = validBody, jsonHeader()
		}
		add("the method is "+method, "", method, header, body)
	}
	return cases, nil
}

// permits reports whether a value of jsonType is valid for schema.
func permits(schema *openapi3.Schema, jsonType string) bool {
	switch jsonType {
	case "null":
		return schema.Nullable || schema.Type.IncludesNull() || schema.Type == nil
	case "number":
		return schema.Type.Permits(openapi3.TypeNumber) || schema.Type.Permits(openapi3.TypeInteger)
	}
	return schema.Type.Permits(jsonType)
}

func toObject(q rechargestatus.Enquiry) (map[string]any, error) {
	b, err := json.Marshal(q)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	return m, json.Unmarshal(b, &m)
}

// oversized is an enquiry whose referenceid pads the body to size bytes.
func oversized(q rechargestatus.Enquiry, size int) []byte {
	q.ReferenceID = strings.Repeat("9", size)
	b, _ := json.Marshal(q)
	return b
}
