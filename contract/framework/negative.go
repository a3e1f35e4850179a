package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"maps"
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
	// Sandbox names the promise of x-sandbox-promises that makes the
	// request malformed; empty when the page's request does. The page and
	// the notes state no length, size or Content-Type of a request, so a
	// provider may answer such a request as an enquiry.
	Sandbox string
}

// Sandbox promises that make a request malformed: openapi.yaml's request
// constraints that the page and the notes do not state.
const (
	PromiseRequestLimits      = "request-limits"
	PromiseRequestContentType = "request-content-type"
	// PromiseRefusal is the sandbox's refusal of every malformed request,
	// with HTTP 4xx in the error envelope.
	PromiseRefusal = "malformed-refused"
)

// wrongTypeValue is a value of one JSON type, to put where another type is
// declared.
type wrongTypeValue struct {
	jsonType, name string
	value          any
}

func wrongTypeValues() []wrongTypeValue {
	return []wrongTypeValue{
		{"number", "a number", 12345678},
		{"boolean", "a boolean", true},
		{"null", "null", nil},
		{"object", "an object", map[string]any{"value": "12345678"}},
		{"array", "an array", []any{"12345678"}},
	}
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
	schema, err := requestSchema(item.Post)
	if err != nil {
		return nil, err
	}
	g, err := newCaseGenerator(valid)
	if err != nil {
		return nil, err
	}
	for _, name := range schema.Required {
		ref := schema.Properties[name]
		if ref == nil || ref.Value == nil {
			return nil, fmt.Errorf("required property %s has no schema", name)
		}
		g.propertyCases(name, ref.Value)
	}
	g.bodyCases()
	g.methodCases(item)
	return g.cases, nil
}

func requestSchema(op *openapi3.Operation) (*openapi3.Schema, error) {
	if op.RequestBody == nil || op.RequestBody.Value == nil {
		return nil, errors.New("the RechargeStatus operation declares no request body")
	}
	media := op.RequestBody.Value.Content.Get("application/json")
	if media == nil || media.Schema == nil || media.Schema.Value == nil {
		return nil, errors.New("the RechargeStatus operation declares no application/json request schema")
	}
	return media.Schema.Value, nil
}

// caseGenerator builds cases from the well-formed enquiry valid.
type caseGenerator struct {
	valid     rechargestatus.Enquiry
	base      map[string]any
	validBody []byte
	cases     []NegativeCase
}

func newCaseGenerator(valid rechargestatus.Enquiry) (*caseGenerator, error) {
	base, err := toObject(valid)
	if err != nil {
		return nil, err
	}
	validBody, err := json.Marshal(base)
	return &caseGenerator{valid: valid, base: base, validBody: validBody}, err
}

func (g *caseGenerator) add(name, property, method string, header http.Header, body []byte) {
	g.addSandbox("", g.valid, name, property, method, header, body)
}

// addSandbox adds a case that is malformed by the sandbox's promise, and
// that a provider may answer as the enquiry q.
func (g *caseGenerator) addSandbox(promise string, q rechargestatus.Enquiry, name, property, method string, header http.Header, body []byte) {
	g.cases = append(g.cases, NegativeCase{Name: name, Property: property, Sandbox: promise, Request: Request{Method: method, Header: header, Body: body, Enquiry: q}})
}

func jsonHeader() http.Header { return http.Header{"Content-Type": {"application/json"}} }

// with is the valid body with member name set to value, or dropped.
func (g *caseGenerator) with(name string, value any, drop bool) []byte {
	body := maps.Clone(g.base)
	if drop {
		delete(body, name)
	} else {
		body[name] = value
	}
	b, _ := json.Marshal(body)
	return b
}

func (g *caseGenerator) propertyCases(name string, prop *openapi3.Schema) {
	post := http.MethodPost
	g.add(name+" is missing", name, post, jsonHeader(), g.with(name, nil, true))
	isString := prop.Type != nil && prop.Type.Is(openapi3.TypeString)
	if isString && prop.MinLength >= 1 {
		g.add(name+" is empty", name, post, jsonHeader(), g.with(name, "", false))
	}
	for _, wrong := range wrongTypeValues() {
		if permits(prop, wrong.jsonType) {
			continue
		}
		g.add(fmt.Sprintf("%s is %s", name, wrong.name), name, post, jsonHeader(), g.with(name, wrong.value, false))
	}
	if isString && prop.MaxLength != nil {
		n := int(*prop.MaxLength) + 1
		long := strings.Repeat("9", n)
		body := g.with(name, long, false)
		var q rechargestatus.Enquiry
		_ = json.Unmarshal(body, &q)
		g.addSandbox(PromiseRequestLimits, q, fmt.Sprintf("%s is %d characters long, one over maxLength", name, n), name, post, jsonHeader(), body)
	}
	if isString && len(prop.Enum) > 0 {
		g.add(name+" is outside its enum", name, post, jsonHeader(), g.with(name, "not-one-of-the-enum", false))
	}
}

func (g *caseGenerator) bodyCases() {
	post, valid := http.MethodPost, g.validBody
	g.add("the body is not valid JSON", "", post, jsonHeader(), valid[:len(valid)-1])
	g.add("the body is empty", "", post, jsonHeader(), nil)
	g.add("the body is the JSON null", "", post, jsonHeader(), []byte("null"))
	g.add("the body is a JSON array", "", post, jsonHeader(), append(append([]byte("["), valid...), ']'))
	g.add("the body is a JSON string", "", post, jsonHeader(), []byte(`"`+g.valid.ReferenceID+`"`))
	long := oversized(g.valid, OversizedBodyBytes)
	var q rechargestatus.Enquiry
	_ = json.Unmarshal(long, &q)
	g.addSandbox(PromiseRequestLimits, q, fmt.Sprintf("the body is %d bytes long", OversizedBodyBytes), "", post, jsonHeader(), long)
	g.addSandbox(PromiseRequestContentType, g.valid, "the Content-Type is text/plain", "", post, http.Header{"Content-Type": {"text/plain"}}, valid)
	g.addSandbox(PromiseRequestContentType, g.valid, "the Content-Type is application/x-www-form-urlencoded", "", post, http.Header{"Content-Type": {"application/x-www-form-urlencoded"}},
		[]byte("referenceid="+g.valid.ReferenceID+"&RegistrationID="+g.valid.RegistrationID))
	g.addSandbox(PromiseRequestContentType, g.valid, "there is no Content-Type", "", post, http.Header{}, valid)
}

// methodCases sends each common method the path does not declare.
func (g *caseGenerator) methodCases(item *openapi3.PathItem) {
	declared := item.Operations()
	for _, method := range []string{http.MethodGet, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		if _, ok := declared[method]; ok {
			continue
		}
		var body []byte
		header := http.Header{}
		if method != http.MethodGet {
			body, header = g.validBody, jsonHeader()
		}
		g.add("the method is "+method, "", method, header, body)
	}
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
