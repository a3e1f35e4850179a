package conformance

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
)

// headersDoc declares, on a path without parameters and on one with, a
// required header, six optional ones (more than maxSkippedHeaders; one on the
// path item, one made optional by the operation over a required one of the
// path item), each at most 3 characters long.
const headersDoc = `
openapi: 3.0.3
info: {title: headers, version: "1"}
paths:
  /fixed:
    parameters:
      - {name: X-Item, in: header, required: false, schema: {type: string, maxLength: 3}}
      - {name: X-Overridden, in: header, required: true, schema: {type: string, maxLength: 3}}
    post:
      parameters: &params
        - {name: X-Required, in: header, required: true, schema: {type: string, maxLength: 3}}
        - {name: X-A, in: header, required: false, schema: {type: string, maxLength: 3}}
        - {name: x-b, in: header, required: false, schema: {type: string, maxLength: 3}}
        - {name: X-C, in: header, required: false, schema: {type: string, maxLength: 3}}
        - {name: X-D, in: header, required: false, schema: {type: string, maxLength: 3}}
        - {name: X-Overridden, in: header, required: false, schema: {type: string, maxLength: 3}}
      responses:
        "204": {description: done}
  /with/{id}:
    parameters:
      - {name: id, in: path, required: true, schema: {type: string}}
      - {name: X-Item, in: header, required: false, schema: {type: string, maxLength: 3}}
      - {name: X-Overridden, in: header, required: true, schema: {type: string, maxLength: 3}}
    post:
      parameters: *params
      responses:
        "204": {description: done}
`

// TestOptionalHeadersNotSentAreLeftOut: whichever optional headers a
// request sends, each is held to its schema, the required one is still
// required, and the document itself keeps every parameter.
func TestOptionalHeadersNotSentAreLeftOut(t *testing.T) {
	doc, err := openapi3.NewLoader().LoadFromData([]byte(headersDoc))
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatal(err)
	}
	v, err := NewValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	if len(v.headerVariants) != 2 {
		t.Fatalf("variants for %d operations, want 2", len(v.headerVariants))
	}
	optional := []string{"X-A", "X-B", "X-C", "X-D", "X-Overridden", "X-Item"}
	for _, path := range []string{"/fixed", "/with/1"} {
		check := func(header http.Header) *RequestProblem {
			r := httptest.NewRequest(http.MethodPost, "http://127.0.0.1"+path, nil)
			r.Header = header
			return v.CheckRequest(context.Background(), r, nil)
		}
		if p := check(http.Header{"X-Required": {"ok"}}); p != nil {
			t.Errorf("%s with the required header alone: %v", path, p)
		}
		if p := check(http.Header{}); p == nil || p.Field != "X-Required" {
			t.Errorf("%s without the required header: %v", path, p)
		}
		// Each subset of the optional headers sent, one of them too long.
		for mask := 1; mask < 1<<len(optional); mask++ {
			for long := range optional {
				if mask&(1<<long) == 0 {
					continue
				}
				header := http.Header{"X-Required": {"ok"}}
				for i, name := range optional {
					if mask&(1<<i) != 0 {
						header.Set(name, "ok")
					}
				}
				header.Set(optional[long], "long")
				p := check(header)
				if p == nil || !strings.EqualFold(p.Field, optional[long]) {
					t.Fatalf("%s sending %v: %v, want %s refused", path, header, p, optional[long])
				}
				header.Set(optional[long], "ok")
				if p := check(header); p != nil {
					t.Fatalf("%s sending %v: %v", path, header, p)
				}
			}
		}
	}
	op := doc.Paths.Value("/fixed").Post
	if got := fmt.Sprint(len(op.Parameters), len(doc.Paths.Value("/fixed").Parameters)); got != "6 2" {
		t.Errorf("the document's operation and path item declare %s parameters, want 6 2", got)
	}
}
