package conformance

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
)

// Violation is one way an answer breaks the contract: a schema keyword of the
// spec or a rule of the invariants.
type Violation struct {
	// Pointer is the JSON pointer of the offending value in the body, "" for the
	// status line or headers.
	Pointer string `json:"pointer"`
	// Rule is the schema keyword, or a Rule* name, that was broken.
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

// Rules of the answer's frame that the spec states and the schema cannot:
// a declared status, a declared media type.
const (
	RuleStatus = "status"
	RuleRoute  = "route"
)

// CheckResponse validates an answer to r (whose body was reqBody) and lists
// every violation it finds; none means the answer matches the spec.
func (v *Validator) CheckResponse(ctx context.Context, r *http.Request, reqBody []byte, status int, header http.Header, body []byte) []Violation {
	route, params, err := v.findRoute(r)
	if err != nil {
		return []Violation{{Rule: RuleRoute, Message: fmt.Sprintf("%s %s is not an operation of the spec", r.Method, r.URL.Path)}}
	}
	response := route.Operation.Responses.Status(status)
	if response == nil {
		response = route.Operation.Responses.Default()
	}
	if response == nil || response.Value == nil {
		return []Violation{{Rule: RuleStatus, Message: fmt.Sprintf("HTTP %d is not an answer the spec declares for this operation", status)}}
	}
	if len(response.Value.Content) > 0 {
		contentType := header.Get("Content-Type")
		mediaType, _, err := mime.ParseMediaType(contentType)
		if err != nil || response.Value.Content.Get(mediaType) == nil {
			return []Violation{{Rule: RuleContentType, Message: fmt.Sprintf("Content-Type %q is not one the spec declares for HTTP %d", contentType, status)}}
		}
	}
	shallow := *r
	shallow.Body = io.NopCloser(bytes.NewReader(reqBody))
	input := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{
			Request:    &shallow,
			PathParams: params,
			Route:      route,
		},
		Status:  status,
		Header:  header,
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	input.SetBodyBytes(body)
	if err := openapi3filter.ValidateResponse(ctx, input); err != nil {
		return violationsOf(err)
	}
	return nil
}

// violationsOf flattens openapi3filter's answer into violations, by the type
// of each error it holds.
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
		var parseErr *openapi3filter.ParseError
		if errors.As(err, &parseErr) {
			out = append(out, Violation{Rule: RuleJSON, Message: "the body is not the JSON the spec declares: " + parseErr.Error()})
			return
		}
		out = append(out, Violation{Rule: "response", Message: err.Error()})
	}
	walk(err)
	return out
}
