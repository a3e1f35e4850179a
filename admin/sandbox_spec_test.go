package admin

import (
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

func TestSandboxSpecJoinsBothDocuments(t *testing.T) {
	provider, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	adminDoc, err := builtInAdminSpec()
	if err != nil {
		t.Fatal(err)
	}
	joined, err := SandboxSpec(provider)
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range adminDoc.Paths.Map() {
		if joined.Paths.Value(path) != item {
			t.Errorf("the joined document lacks %s", path)
		}
	}
	for path := range provider.Paths.Map() {
		if joined.Paths.Value(path) == nil {
			t.Errorf("the joined document lacks %s", path)
		}
	}
	for _, doc := range []*openapi3.T{provider, adminDoc} {
		for name := range doc.Components.SecuritySchemes {
			if joined.Components.SecuritySchemes[name] == nil {
				t.Errorf("the joined document lacks the security scheme %s", name)
			}
		}
	}
	if provider.Paths.Len() != 1 || provider.Components.SecuritySchemes["adminToken"] != nil {
		t.Fatal("joining changed the provider's document")
	}
}

// TestSandboxSpecJoinsTheSandboxHeadersToTheProvidersOperation: the mock
// holds the sandbox's own headers to admin/openapi.yaml on the provider's
// operation, which the provider's document itself never names.
func TestSandboxSpecJoinsTheSandboxHeadersToTheProvidersOperation(t *testing.T) {
	provider, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	joined, err := SandboxSpec(provider)
	if err != nil {
		t.Fatal(err)
	}
	names := func(op *openapi3.Operation) (out []string) {
		for _, p := range op.Parameters {
			out = append(out, p.Value.Name)
		}
		return out
	}
	own := provider.Paths.Value(rechargestatus.EnquiryPath).Post
	if got, want := names(joined.Paths.Value(rechargestatus.EnquiryPath).Post), append(names(own), dialect.Header, FaultHeader, ScenarioHeader); !slices.Equal(got, want) {
		t.Errorf("the joined operation declares %v, want %v", got, want)
	}
	if got := names(own); slices.Contains(got, FaultHeader) || slices.Contains(got, dialect.Header) || slices.Contains(got, ScenarioHeader) {
		t.Errorf("joining changed the provider's operation: %v", got)
	}
	for code, resp := range joined.Paths.Value(rechargestatus.EnquiryPath).Post.Responses.Map() {
		if resp.Value.Headers[dialect.Header] == nil {
			t.Errorf("the joined HTTP %s answer does not declare %s", code, dialect.Header)
		}
		if own.Responses.Value(code).Value.Headers[dialect.Header] != nil {
			t.Errorf("joining changed the provider's HTTP %s answer", code)
		}
	}
	if retry := joined.Paths.Value(rechargestatus.EnquiryPath).Post.Responses.Status(429).Value.Headers["Retry-After"]; retry == nil {
		t.Error("the joined HTTP 429 answer lost its Retry-After")
	}
}

// TestSandboxSpecRefusesAdminPathsInTheProviderDocument keeps a --spec
// document that still holds the admin API, as openapi.yaml once did, from
// silently replacing the built-in admin document.
func TestSandboxSpecRefusesAdminPathsInTheProviderDocument(t *testing.T) {
	provider, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	withAdmin := *provider
	withAdmin.Paths = openapi3.NewPaths()
	withAdmin.Paths.Set(rechargestatus.EnquiryPath, provider.Paths.Value(rechargestatus.EnquiryPath))
	withAdmin.Paths.Set("/__admin/health", &openapi3.PathItem{Get: &openapi3.Operation{}})
	if _, err := SandboxSpec(&withAdmin); err == nil {
		t.Fatal("a provider document describing /__admin/health was joined")
	}
	// The mock sends every path under the admin API's prefix to the admin
	// API, so a provider's operation there would never be served.
	for _, path := range []string{"/__admin/health", "/__admin/not-an-operation", MetricsPath} {
		doc := *provider
		doc.Paths = openapi3.NewPaths()
		doc.Paths.Set(path, &openapi3.PathItem{Get: &openapi3.Operation{}})
		if _, err := WithSandboxHeaders(&doc); err == nil {
			t.Errorf("a provider document describing %s was taken", path)
		}
	}
}

// TestWithSandboxHeadersRefusesTheAdminSecurityScheme: the joined document
// holds both documents' security schemes, so neither may name one of the
// other's.
func TestWithSandboxHeadersRefusesTheAdminSecurityScheme(t *testing.T) {
	provider, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	doc := *provider
	components := *provider.Components
	components.SecuritySchemes = openapi3.SecuritySchemes{"adminToken": &openapi3.SecuritySchemeRef{Value: openapi3.NewJWTSecurityScheme()}}
	doc.Components = &components
	if _, err := WithSandboxHeaders(&doc); err == nil {
		t.Fatal("a provider document with the security scheme adminToken was taken")
	}
	if _, err := WithSandboxHeaders(provider); err != nil {
		t.Fatalf("the built-in provider document: %v", err)
	}
}
