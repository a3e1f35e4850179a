package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator checks requests and answers against an OpenAPI document with
// kin-openapi's openapi3filter, and words what it finds for the partner who
// sent the request or the person reading a report.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	// fixed holds the routes of the paths without parameters, by path and
	// method, found once: every request to such a path would find the same.
	fixed map[string]map[string]*routers.Route
	// headerVariants hold, by operation of the router's document, the
	// variants requests are checked against (optional_headers.go).
	headerVariants map[*openapi3.Operation]*headerVariants
	// stringObjects are the fast paths (fastpath.go), by operation of the
	// routes requests are checked against.
	stringObjects map[*openapi3.Operation]*stringObject
}

// NewValidator prepares a validator for doc, which must already be valid.
func NewValidator(doc *openapi3.T) (*Validator, error) {
	routed := withoutSecurity(doc)
	router, err := newHostlessRouter(routed)
	if err != nil {
		return nil, fmt.Errorf("route spec: %w", err)
	}
	v := &Validator{
		doc:            doc,
		router:         router,
		fixed:          map[string]map[string]*routers.Route{},
		headerVariants: map[*openapi3.Operation]*headerVariants{},
		stringObjects:  map[*openapi3.Operation]*stringObject{},
	}
	for path, item := range routed.Paths.Map() {
		for method, op := range item.Operations() {
			var fixed *routers.Route
			if !strings.Contains(path, "{") {
				r := &http.Request{Method: method, URL: &url.URL{Path: path}, Header: http.Header{}}
				if route, _, err := router.FindRoute(r); err == nil && route.Operation == op {
					if v.fixed[path] == nil {
						v.fixed[path] = map[string]*routers.Route{}
					}
					v.fixed[path][method] = route
					fixed = route
				}
			}
			hv := newHeaderVariants(item, op, fixed)
			if hv != nil {
				v.headerVariants[op] = hv
			}
			v.addStringObjects(item, op, hv)
		}
	}
	return v, nil
}

// addStringObjects prepares the fast path of op and of its variants hv
// (nil when it has none), for those whose contract is a string object.
func (v *Validator) addStringObjects(item *openapi3.PathItem, op *openapi3.Operation, hv *headerVariants) {
	if so := newStringObject(item, op); so != nil {
		v.stringObjects[op] = so
	}
	if hv == nil {
		return
	}
	for _, variant := range hv.byMask {
		if so := newStringObject(variant.item, variant.op); so != nil {
			v.stringObjects[variant.op] = so
		}
	}
}

// withoutSecurity is doc with no security requirement. Credentials are not
// the validator's to check (requestOptions.AuthenticationFunc accepts them
// all); declared, openapi3filter would read the body again and again, once
// for each scheme of each alternative, only to accept them.
func withoutSecurity(doc *openapi3.T) *openapi3.T {
	out := *doc
	out.Security = nil
	out.Paths = openapi3.NewPaths()
	none := openapi3.SecurityRequirements{}
	for path, item := range doc.Paths.Map() {
		copied := *item
		for method, op := range item.Operations() {
			o := *op
			o.Security = &none
			copied.SetOperation(method, &o)
		}
		out.Paths.Set(path, &copied)
	}
	return &out
}

// findRoute is the router's route for r.
func (v *Validator) findRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	if r.URL.RawPath == "" {
		if route := v.fixed[r.URL.Path][r.Method]; route != nil {
			return route, nil, nil
		}
	}
	return v.router.FindRoute(r)
}

// LoadValidator loads the spec at path (the embedded one when path is empty)
// and prepares a validator for it.
func LoadValidator(path string) (*Validator, error) {
	doc, err := LoadSpec(path)
	if err != nil {
		return nil, err
	}
	return NewValidator(doc)
}

// Doc is the document the validator checks against.
func (v *Validator) Doc() *openapi3.T { return v.doc }

// RequestProblem is why a request does not match the spec, worded for the
// partner who sent it.
type RequestProblem struct {
	// Status is the HTTP status that fits: 400, 404, 405 or 415.
	Status int
	// Field is the request field at fault, empty when the fault is not one field's.
	Field string
	// Message names the field and what is wrong with it.
	Message string
}

func (p *RequestProblem) Error() string { return p.Message }

// requestOptions leave the request as it came: the sandbox checks
// credentials itself, and defaults are not written into what it reads. The
// body as the library decoded it is kept for CheckRequestBody.
var requestOptions = &openapi3filter.Options{
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SkipSettingDefaults: true,
	KeepValidatedValue:  true,
}

// CheckRequest validates r, whose body has already been read into body, and
// returns nil when it matches an operation of the spec. r.Body is left
// reading body from its start.
func (v *Validator) CheckRequest(ctx context.Context, r *http.Request, body []byte) *RequestProblem {
	_, p := v.CheckRequestBody(ctx, r, body)
	return p
}

// CheckRequestBody is CheckRequest that also returns the body as the
// validator read it to validate it, so that the caller need not decode it
// again.
func (v *Validator) CheckRequestBody(ctx context.Context, r *http.Request, body []byte) (Body, *RequestProblem) {
	route, params, err := v.findRoute(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return Body{}, &RequestProblem{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)}
	case err != nil:
		return Body{}, &RequestProblem{Status: http.StatusNotFound, Message: fmt.Sprintf("no operation at %s %s", r.Method, r.URL.Path)}
	}
	if hv := v.headerVariants[route.Operation]; hv != nil {
		route = hv.forRequest(route, r)
	}
	if so := v.stringObjects[route.Operation]; so != nil {
		if read, ok := so.read(r, body); ok {
			r.Body = newMemoryBody(body)
			return read, nil
		}
	}
	value, p := v.validate(ctx, r, route, params, body)
	return Body{value: value}, p
}

// validate is openapi3filter's judgement of r, with body, against route.
func (v *Validator) validate(ctx context.Context, r *http.Request, route *routers.Route, params map[string]string, body []byte) (any, *RequestProblem) {
	if op := route.Operation; op != nil && op.RequestBody != nil && len(body) > 0 {
		if p := checkContentType(r.Header.Get("Content-Type"), op.RequestBody.Value); p != nil {
			return nil, p
		}
	}
	// openapi3filter reads the body from GetBody when there is one, and
	// leaves its own body, GetBody and length behind: it reads body alone
	// here, and r gets its own back, reading body from its start.
	reader := newMemoryBody(body)
	getBody, length := r.GetBody, r.ContentLength
	r.Body, r.GetBody = reader, nil
	input := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: requestOptions}
	err := openapi3filter.ValidateRequest(ctx, input)
	var value any
	if validated, ok := r.Body.(interface{ ValidatedValue() any }); ok {
		value = validated.ValidatedValue()
	}
	reader.Reset(body)
	r.Body, r.GetBody, r.ContentLength = reader, getBody, length
	if err != nil {
		return nil, describeRequestError(err)
	}
	return value, nil
}

// memoryBody is a request body read from memory, which can start again.
type memoryBody struct{ bytes.Reader }

func newMemoryBody(b []byte) *memoryBody {
	m := &memoryBody{}
	m.Reset(b)
	return m
}

func (*memoryBody) Close() error { return nil }

func checkContentType(header string, body *openapi3.RequestBody) *RequestProblem {
	if body == nil || len(body.Content) == 0 || body.Content[header] != nil {
		// No media type declared, or exactly one of those declared.
		return nil
	}
	mediaType, _, err := mime.ParseMediaType(header)
	if err == nil && body.Content.Get(mediaType) != nil {
		return nil
	}
	got := header
	if got == "" {
		got = "none"
	}
	return &RequestProblem{
		Status:  http.StatusUnsupportedMediaType,
		Message: fmt.Sprintf("Content-Type must be application/json, got %s", got),
	}
}

// describeRequestError words openapi3filter's typed errors: which parameter
// or body member, which schema keyword.
func describeRequestError(err error) *RequestProblem {
	var reqErr *openapi3filter.RequestError
	if !errors.As(err, &reqErr) {
		return &RequestProblem{Status: http.StatusBadRequest, Message: err.Error()}
	}
	var schemaErr *openapi3.SchemaError
	isSchemaErr := errors.As(reqErr.Err, &schemaErr)
	if reqErr.Parameter != nil {
		name := reqErr.Parameter.Name
		if isSchemaErr {
			return &RequestProblem{Status: http.StatusBadRequest, Field: name, Message: describeSchemaError(name, schemaErr)}
		}
		return &RequestProblem{Status: http.StatusBadRequest, Field: name, Message: fmt.Sprintf("%s %s is invalid: %s", reqErr.Parameter.In, name, reqErr.Error())}
	}
	if errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired) || errors.Is(reqErr.Err, openapi3filter.ErrInvalidEmptyValue) {
		return &RequestProblem{Status: http.StatusBadRequest, Message: "request body is required"}
	}
	var parseErr *openapi3filter.ParseError
	if errors.As(reqErr.Err, &parseErr) {
		return &RequestProblem{Status: http.StatusBadRequest, Message: "request body is not valid JSON"}
	}
	if isSchemaErr {
		field := strings.Join(schemaErr.JSONPointer(), ".")
		return &RequestProblem{Status: http.StatusBadRequest, Field: field, Message: describeSchemaError(field, schemaErr)}
	}
	return &RequestProblem{Status: http.StatusBadRequest, Message: reqErr.Error()}
}

// describeSchemaError turns a schema failure into "<field> <rule broken>",
// from the keyword that failed and the schema that holds it.
func describeSchemaError(field string, e *openapi3.SchemaError) string {
	subject := field
	if subject == "" {
		subject = "request body"
	}
	s := e.Schema
	switch e.SchemaField {
	case "required":
		// The pointer of a missing property ends with its name.
		return subject + " is required"
	case "type":
		if s != nil && s.Type != nil && len(s.Type.Slice()) == 1 {
			kind := s.Type.Slice()[0]
			if kind == "object" {
				return fmt.Sprintf("%s must be a JSON object", subject)
			}
			return fmt.Sprintf("%s must be %s %s", subject, article(kind), kind)
		}
	case "minLength":
		if s != nil && s.MinLength == 1 {
			return subject + " must not be empty"
		}
		if s != nil {
			return fmt.Sprintf("%s must be at least %d characters long", subject, s.MinLength)
		}
	case "maxLength":
		if s != nil && s.MaxLength != nil {
			return fmt.Sprintf("%s must be at most %d characters long", subject, *s.MaxLength)
		}
	case "pattern":
		// The spec words a pattern's meaning in x-pattern-message, since a
		// regular expression tells a partner little.
		if s != nil {
			if msg, ok := s.Extensions["x-pattern-message"].(string); ok {
				return subject + " " + msg
			}
		}
	case "nullable":
		return subject + " must not be null"
	}
	return fmt.Sprintf("%s: %s", subject, e.Reason)
}

func article(kind string) string {
	switch kind {
	case "integer", "array", "object":
		return "an"
	}
	return "a"
}
