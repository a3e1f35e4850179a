package rechargestatus

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator checks requests and answers against an OpenAPI document.
type Validator struct {
	doc    *openapi3.T
	router routers.Router
	// static holds the router's answer for every operation whose path has
	// no template, by path then method, so that the hot path skips the
	// router's walk over every route.
	static map[string]map[string]*routers.Route
	// direct lists the operations whose requests can be checked without
	// openapi3filter.ValidateRequest, which copies the request and decodes
	// the body through a reader: those whose security requirements the
	// sandbox does not check anyway.
	direct map[*openapi3.Operation]bool
	// schemaOptions are what openapi3filter validates a request body with.
	schemaOptions []openapi3.SchemaValidationOption
	// quick holds the request body schemas simple enough to accept without
	// openapi3's visitor.
	quick map[*openapi3.Schema]*quickSchema
}

// NewValidator prepares a validator for doc, which must already be valid.
func NewValidator(doc *openapi3.T) (*Validator, error) {
	router, err := NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("route spec: %w", err)
	}
	v := &Validator{
		doc:    doc,
		router: router,
		static: map[string]map[string]*routers.Route{},
		direct: map[*openapi3.Operation]bool{},
		quick:  map[*openapi3.Schema]*quickSchema{},
	}
	v.schemaOptions = []openapi3.SchemaValidationOption{openapi3.VisitAsRequest()}
	if openapi3filter.RegisteredBodyEncoder(jsonMediaType) != nil {
		// openapi3filter writes defaults into the body it validates, which
		// can change the outcome; the same option keeps the same outcome.
		v.schemaOptions = append(v.schemaOptions, openapi3.DefaultsSet(func() {}))
	}
	if doc.IsOpenAPI31OrLater() {
		v.schemaOptions = append(v.schemaOptions, openapi3.EnableJSONSchema2020())
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			v.direct[op] = securityAlwaysPasses(doc, op)
			if op.RequestBody != nil && op.RequestBody.Value != nil {
				if media := op.RequestBody.Value.Content.Get(jsonMediaType); media != nil && media.Schema != nil {
					if q := compileQuick(media.Schema.Value); q != nil {
						v.quick[media.Schema.Value] = q
					}
				}
			}
			if strings.Contains(path, "{") {
				continue
			}
			probe, err := http.NewRequest(method, "http://127.0.0.1"+path, nil)
			if err != nil {
				continue
			}
			route, params, err := router.FindRoute(probe)
			if err != nil || len(params) > 0 || route.Operation != op {
				continue
			}
			if v.static[path] == nil {
				v.static[path] = map[string]*routers.Route{}
			}
			v.static[path][method] = route
		}
	}
	return v, nil
}

const jsonMediaType = "application/json"

// securityAlwaysPasses reports whether openapi3filter, with the no-op
// authentication the sandbox validates with, accepts every request to op:
// when every scheme it names is declared.
func securityAlwaysPasses(doc *openapi3.T, op *openapi3.Operation) bool {
	reqs := op.Security
	if reqs == nil {
		reqs = &doc.Security
	}
	if len(*reqs) == 0 {
		return true
	}
	var schemes openapi3.SecuritySchemes
	if doc.Components != nil {
		schemes = doc.Components.SecuritySchemes
	}
	for _, req := range *reqs {
		for name := range req {
			if ref := schemes[name]; ref == nil || ref.Value == nil {
				return false
			}
		}
	}
	return true
}

// findRoute is the router's FindRoute, answered from the static table when
// it can be.
func (v *Validator) findRoute(r *http.Request) (*routers.Route, map[string]string, error) {
	if r.URL.RawPath == "" {
		if route := v.static[r.URL.Path][r.Method]; route != nil {
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

// CheckRequest validates r, whose body has already been read into body, and
// returns nil when it matches an operation of the spec.
func (v *Validator) CheckRequest(ctx context.Context, r *http.Request, body []byte) *RequestProblem {
	route, params, err := v.findRoute(r)
	switch {
	case errors.Is(err, routers.ErrMethodNotAllowed):
		return &RequestProblem{Status: http.StatusMethodNotAllowed, Message: fmt.Sprintf("method %s is not allowed on %s", r.Method, r.URL.Path)}
	case err != nil:
		return &RequestProblem{Status: http.StatusNotFound, Message: fmt.Sprintf("no operation at %s %s", r.Method, r.URL.Path)}
	}
	if op := route.Operation; op != nil && op.RequestBody != nil && len(body) > 0 {
		if p := checkContentType(r.Header.Get("Content-Type"), op.RequestBody.Value); p != nil {
			return p
		}
	}
	check := v.checkWithFilter
	if v.direct[route.Operation] {
		check = v.checkDirect
	}
	if err := check(ctx, r, route, params, body); err != nil {
		return describeRequestError(err)
	}
	return nil
}

// checkWithFilter runs openapi3filter.ValidateRequest on a copy of r, which
// it may change (defaults written into headers and query, the body replaced).
func (v *Validator) checkWithFilter(ctx context.Context, r *http.Request, route *routers.Route, params map[string]string, body []byte) error {
	clone := r.Clone(ctx)
	clone.Body = io.NopCloser(bytes.NewReader(body))
	clone.ContentLength = int64(len(body))
	clone.GetBody = nil
	input := &openapi3filter.RequestValidationInput{
		Request:    clone,
		PathParams: params,
		Route:      route,
		Options: &openapi3filter.Options{
			AuthenticationFunc: openapi3filter.NoopAuthenticationFunc,
		},
	}
	return openapi3filter.ValidateRequest(ctx, input)
}

// directOptions leave the request untouched: defaults are not written into
// it, and the body is checked from the bytes already read.
var directOptions = &openapi3filter.Options{
	AuthenticationFunc:  openapi3filter.NoopAuthenticationFunc,
	SkipSettingDefaults: true,
}

// checkDirect does what openapi3filter.ValidateRequest does for an operation
// whose security always passes, in the same order and with the same errors,
// without copying the request or reading the body again.
func (v *Validator) checkDirect(ctx context.Context, r *http.Request, route *routers.Route, params map[string]string, body []byte) error {
	input := &openapi3filter.RequestValidationInput{Request: r, PathParams: params, Route: route, Options: directOptions}
	op := route.Operation
	if route.PathItem != nil {
		for _, ref := range route.PathItem.Parameters {
			p := ref.Value
			if op.Parameters != nil && op.Parameters.GetByInAndName(p.In, p.Name) != nil {
				continue
			}
			if err := openapi3filter.ValidateParameter(ctx, input, p); err != nil {
				return err
			}
		}
	}
	for _, ref := range op.Parameters {
		if err := openapi3filter.ValidateParameter(ctx, input, ref.Value); err != nil {
			return err
		}
	}
	if op.RequestBody == nil {
		return nil
	}
	return v.checkBody(ctx, input, op.RequestBody.Value, body)
}

// checkBody is openapi3filter.ValidateRequestBody for a body already read:
// JSON is decoded straight from the bytes, as openapi3filter decodes it
// (numbers kept as json.Number, the first value only).
func (v *Validator) checkBody(ctx context.Context, input *openapi3filter.RequestValidationInput, rb *openapi3.RequestBody, body []byte) error {
	if len(body) == 0 {
		if rb.Required {
			return &openapi3filter.RequestError{Input: input, RequestBody: rb, Err: openapi3filter.ErrInvalidRequired}
		}
		return nil
	}
	if len(rb.Content) == 0 {
		return nil
	}
	header := input.Request.Header.Get("Content-Type")
	media := rb.Content.Get(header)
	if media == nil {
		return &openapi3filter.RequestError{Input: input, RequestBody: rb, Reason: fmt.Sprintf("header Content-Type has unexpected value %q", header)}
	}
	if media.Schema == nil {
		return nil
	}
	base, _, _ := strings.Cut(header, ";")
	schema := media.Schema.Value
	if !strings.EqualFold(strings.TrimSpace(base), jsonMediaType) || len(media.Encoding) > 0 || schema == nil ||
		(schema.Type.Is("string") && schema.Format == "binary") {
		// Anything but plain JSON goes through openapi3filter's decoders.
		shallow := *input.Request
		shallow.Body = io.NopCloser(bytes.NewReader(body))
		shallow.ContentLength = int64(len(body))
		shallow.GetBody = nil
		in := *input
		in.Request = &shallow
		return openapi3filter.ValidateRequestBody(ctx, &in, rb)
	}
	if q := v.quick[schema]; q != nil {
		// A body that is one JSON value decodes to what openapi3filter
		// decodes, numbers aside, and the quick check takes no number.
		var value any
		if json.Unmarshal(body, &value) == nil && q.accepts(value) {
			return nil
		}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var value any
	if err := dec.Decode(&value); err != nil {
		return &openapi3filter.RequestError{Input: input, RequestBody: rb, Reason: "failed to decode request body",
			Err: &openapi3filter.ParseError{Kind: openapi3filter.KindInvalidFormat, Cause: err}}
	}
	if err := schema.VisitJSON(value, v.schemaOptions...); err != nil {
		return &openapi3filter.RequestError{Input: input, RequestBody: rb, Reason: "doesn't match schema" + schemaName(media.Schema), Err: err}
	}
	return nil
}

// schemaName names a schema in an error the way openapi3filter does.
func schemaName(ref *openapi3.SchemaRef) string {
	name := strings.TrimSpace(ref.Ref)
	if name == "" && ref.Value != nil {
		name = strings.TrimSpace(ref.Value.Title)
	}
	if name == "" {
		return ""
	}
	return " " + name
}

func checkContentType(header string, body *openapi3.RequestBody) *RequestProblem {
	if body == nil || len(body.Content) == 0 {
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

func describeRequestError(err error) *RequestProblem {
	var reqErr *openapi3filter.RequestError
	if !errors.As(err, &reqErr) {
		return &RequestProblem{Status: http.StatusBadRequest, Message: err.Error()}
	}
	if reqErr.Parameter != nil {
		name := reqErr.Parameter.Name
		var schemaErr *openapi3.SchemaError
		if errors.As(reqErr.Err, &schemaErr) {
			return &RequestProblem{Status: http.StatusBadRequest, Field: name, Message: describeSchemaError(name, schemaErr)}
		}
		return &RequestProblem{Status: http.StatusBadRequest, Field: name, Message: fmt.Sprintf("%s %s is invalid: %s", reqErr.Parameter.In, name, reqErr.Error())}
	}
	if errors.Is(reqErr.Err, openapi3filter.ErrInvalidRequired) {
		return &RequestProblem{Status: http.StatusBadRequest, Message: "request body is required"}
	}
	var parseErr *openapi3filter.ParseError
	if errors.As(reqErr.Err, &parseErr) {
		return &RequestProblem{Status: http.StatusBadRequest, Message: "request body is not valid JSON"}
	}
	var schemaErr *openapi3.SchemaError
	if errors.As(reqErr.Err, &schemaErr) {
		pointer := schemaErr.JSONPointer()
		field := strings.Join(pointer, ".")
		return &RequestProblem{Status: http.StatusBadRequest, Field: field, Message: describeSchemaError(field, schemaErr)}
	}
	if strings.HasPrefix(reqErr.Reason, "failed to decode") {
		return &RequestProblem{Status: http.StatusBadRequest, Message: "request body is not valid JSON"}
	}
	return &RequestProblem{Status: http.StatusBadRequest, Message: reqErr.Error()}
}

// describeSchemaError turns a schema failure into "<field> <rule broken>".
func describeSchemaError(field string, e *openapi3.SchemaError) string {
	subject := field
	if subject == "" {
		subject = "request body"
	}
	switch e.SchemaField {
	case "required":
		// kin-openapi's pointer already ends with the missing property.
		if field != "" {
			return field + " is required"
		}
		if missing := missingProperty(e.Reason); missing != "" {
			return missing + " is required"
		}
	case "type":
		if e.Schema != nil && e.Schema.Type != nil && len(e.Schema.Type.Slice()) == 1 {
			kind := e.Schema.Type.Slice()[0]
			if kind == "object" {
				return fmt.Sprintf("%s must be a JSON object", subject)
			}
			return fmt.Sprintf("%s must be %s %s", subject, article(kind), kind)
		}
	case "minLength":
		if e.Schema != nil && e.Schema.MinLength == 1 {
			return subject + " must not be empty"
		}
		if e.Schema != nil {
			return fmt.Sprintf("%s must be at least %d characters long", subject, e.Schema.MinLength)
		}
	case "maxLength":
		if e.Schema != nil && e.Schema.MaxLength != nil {
			return fmt.Sprintf("%s must be at most %d characters long", subject, *e.Schema.MaxLength)
		}
	case "pattern":
		// The spec words a pattern's meaning in x-pattern-message, since a
		// regular expression tells a partner little.
		if e.Schema != nil {
			if msg, ok := e.Schema.Extensions["x-pattern-message"].(string); ok {
				return subject + " " + msg
			}
		}
	case "nullable":
		return subject + " must not be null"
	}
	return fmt.Sprintf("%s: %s", subject, e.Reason)
}

// missingProperty extracts the name from kin-openapi's `property "x" is missing`.
func missingProperty(reason string) string {
	_, rest, ok := strings.Cut(reason, `property "`)
	if !ok {
		return ""
	}
	name, _, ok := strings.Cut(rest, `"`)
	if !ok {
		return ""
	}
	return name
}

func article(kind string) string {
	switch kind {
	case "integer", "array", "object":
		return "an"
	}
	return "a"
}

// Violation is one way an answer breaks the spec.
type Violation struct {
	// Pointer is the JSON pointer of the offending value in the body, "" for the
	// status line or headers.
	Pointer string `json:"pointer"`
	// Rule is the schema keyword, or header/status, that was broken.
	Rule string `json:"rule"`
	// Message says why, in words.
	Message string `json:"message"`
}

func (v Violation) String() string {
	where := v.Pointer
	if where == "" {
		where = "(answer)"
	}
	return fmt.Sprintf("%s [%s]: %s", where, v.Rule, v.Message)
}

// CheckResponse validates an answer to r (whose body was reqBody) and lists
// every violation it finds; none means the answer matches the spec.
func (v *Validator) CheckResponse(ctx context.Context, r *http.Request, reqBody []byte, status int, header http.Header, body []byte) []Violation {
	route, params, err := v.router.FindRoute(r)
	if err != nil {
		return []Violation{{Rule: "route", Message: fmt.Sprintf("%s %s is not an operation of the spec", r.Method, r.URL.Path)}}
	}
	clone := r.Clone(ctx)
	clone.Body = io.NopCloser(bytes.NewReader(reqBody))
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    clone,
			PathParams: params,
			Route:      route,
		},
		Status: status,
		Header: header,
		Options: &openapi3filter.Options{
			IncludeResponseStatus: true,
			MultiError:            true,
		},
	}
	input.SetBodyBytes(body)
	err = openapi3filter.ValidateResponse(ctx, input)
	if err == nil {
		return nil
	}
	return violationsOf(err)
}

func violationsOf(err error) []Violation {
	var out []Violation
	var walk func(error)
	walk = func(err error) {
		var multi openapi3.MultiError
		if errors.As(err, &multi) {
			for _, e := range multi {
				walk(e)
			}
			return
		}
		var schemaErr *openapi3.SchemaError
		if errors.As(err, &schemaErr) {
			out = append(out, Violation{
				Pointer: "/" + strings.Join(schemaErr.JSONPointer(), "/"),
				Rule:    schemaErr.SchemaField,
				Message: schemaErr.Reason,
			})
			return
		}
		var respErr *openapi3filter.ResponseError
		if errors.As(err, &respErr) {
			if respErr.Err != nil {
				var inner openapi3.MultiError
				var innerSchema *openapi3.SchemaError
				if errors.As(respErr.Err, &inner) || errors.As(respErr.Err, &innerSchema) {
					walk(respErr.Err)
					return
				}
			}
			rule := "response"
			switch {
			case strings.Contains(respErr.Reason, "Content-Type"):
				rule = "content-type"
			case strings.Contains(respErr.Reason, "status code"):
				rule = "status"
			case strings.Contains(respErr.Reason, "decode"):
				rule = "json"
			}
			out = append(out, Violation{Rule: rule, Message: respErr.Error()})
			return
		}
		out = append(out, Violation{Rule: "response", Message: err.Error()})
	}
	walk(err)
	return out
}
