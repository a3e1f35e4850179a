package admin

import (
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
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
	for _, doc := range []*openapi3.T{provider, adminDoc} {
		for path, item := range doc.Paths.Map() {
			if joined.Paths.Value(path) != item {
				t.Errorf("the joined document lacks %s", path)
			}
		}
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
}
