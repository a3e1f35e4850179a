package framework

import (
	"context"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// TestNegativeCasesBreakTheSpec holds every generated case to the spec's own
// request validation: each must be a request openapi.yaml refuses, and a
// case about a field must be refused for that field.
func TestNegativeCasesBreakTheSpec(t *testing.T) {
	v, err := conformance.LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	doc := v.Doc()
	cases, err := NegativeCases(doc, validEnquiry)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range cases {
		names[c.Name] = true
		t.Run(c.Name, func(t *testing.T) {
			method := c.Request.Method
			r := httptest.NewRequest(method, rechargestatus.EnquiryPath, strings.NewReader(string(c.Request.Body)))
			r.Header = c.Request.Header.Clone()
			p := v.CheckRequest(context.Background(), r, c.Request.Body)
			if p == nil {
				t.Fatalf("openapi.yaml accepts %s %s", method, c.Request.Body)
			}
			if c.Property != "" && !strings.Contains(p.Message, c.Property) {
				t.Errorf("refused for %q, not for %s", p.Message, c.Property)
			}
		})
	}
	for _, want := range []string{
		"referenceid is missing", "referenceid is empty", "referenceid is a number", "referenceid is null", "referenceid is an object",
		"referenceid is 65 characters long, one over maxLength", "RegistrationID is missing", "RegistrationID is a boolean",
		"the body is not valid JSON", "the body is empty", "the Content-Type is text/plain", "the method is GET", "the method is DELETE",
	} {
		if !names[want] {
			t.Errorf("no case %q among %d", want, len(cases))
		}
	}
}

func TestNegativeCasesFollowTheSchema(t *testing.T) {
	doc, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["RechargeStatusRequest"].Value
	nullable := *schema.Properties["referenceid"].Value
	nullable.Nullable = true
	nullable.MaxLength = nil
	nullable.Enum = []any{"A", "B"}
	schema.Properties["referenceid"] = openapi3.NewSchemaRef("", &nullable)

	cases, err := NegativeCases(doc, validEnquiry)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	for _, c := range cases {
		names[c.Name] = true
	}
	for name, want := range map[string]bool{
		"referenceid is null":                                      false, // nullable now
		"referenceid is outside its enum":                          true,
		"referenceid is 65 characters long, one over maxLength":    false,
		"RegistrationID is 65 characters long, one over maxLength": true,
		"the method is POST":                                       false,
	} {
		if names[name] != want {
			t.Errorf("case %q generated: %v, want %v", name, names[name], want)
		}
	}
}

func TestNegativeCasesNeedTheOperation(t *testing.T) {
	doc, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	doc.Paths.Find(rechargestatus.EnquiryPath).Post.RequestBody = nil
	if _, err := NegativeCases(doc, validEnquiry); err == nil {
		t.Error("want an error for an operation without a request body")
	}
}

// loadSpec parses openapi.yaml once for all the tests that only read it.
var loadSpec = sync.OnceValues(func() (*openapi3.T, error) { return conformance.LoadSpec("") })

func mustDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := loadSpec()
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// TestSandboxConstraintsAreMarked: every case malformed only by the
// sandbox's rule, and every request property whose constraints the page
// does not state, names a promise of x-sandbox-promises; the cases the page
// itself calls malformed name none.
func TestSandboxConstraintsAreMarked(t *testing.T) {
	v, err := conformance.LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	doc := v.Doc()
	promises, err := SandboxPromises(doc)
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, p := range promises {
		known[p] = true
	}
	if !known[PromiseRefusal] {
		t.Errorf("x-sandbox-promises lacks %s", PromiseRefusal)
	}
	cases, err := NegativeCases(doc, validEnquiry)
	if err != nil {
		t.Fatal(err)
	}
	bySandbox := map[string][]string{}
	for _, c := range cases {
		if c.Sandbox != "" && !known[c.Sandbox] {
			t.Errorf("%s: %s is not in x-sandbox-promises", c.Name, c.Sandbox)
		}
		bySandbox[c.Sandbox] = append(bySandbox[c.Sandbox], c.Name)
	}
	for _, want := range []struct{ promise, name string }{
		{PromiseRequestLimits, "referenceid is 65 characters long, one over maxLength"},
		{PromiseRequestLimits, "the body is 65536 bytes long"},
		{PromiseRequestContentType, "the Content-Type is text/plain"},
		{PromiseRequestContentType, "there is no Content-Type"},
		{"", "referenceid is missing"},
		{"", "the body is not valid JSON"},
	} {
		if !slices.Contains(bySandbox[want.promise], want.name) {
			t.Errorf("case %q is not marked %q: %v", want.name, want.promise, bySandbox)
		}
	}
	schema, err := requestSchema(doc.Paths.Find(rechargestatus.EnquiryPath).Post)
	if err != nil {
		t.Fatal(err)
	}
	for name, prop := range schema.Properties {
		marks, _ := prop.Value.Extensions[SandboxConstraintsExtension].([]any)
		if prop.Value.MaxLength != nil && len(marks) == 0 {
			t.Errorf("%s has a maxLength but no %s", name, SandboxConstraintsExtension)
		}
		for _, m := range marks {
			if s, _ := m.(string); !known[s] {
				t.Errorf("%s: %s names %v, not in x-sandbox-promises", name, SandboxConstraintsExtension, m)
			}
		}
	}
}
