package admin

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBuiltInSpecIsValid validates the admin document once here, so that a
// mock need not each time it starts (BuiltInSpec).
func TestBuiltInSpecIsValid(t *testing.T) {
	if _, err := LoadSpec(); err != nil {
		t.Fatal(err)
	}
}

// TestSandboxComponentsAreTheDocuments holds the sections of the admin
// document that WithSandboxHeaders parses alone to the same sections of the
// whole document, parsed and validated.
func TestSandboxComponentsAreTheDocuments(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	cut, err := sandboxComponents()
	if err != nil {
		t.Fatal(err)
	}
	sections := map[string][2]any{
		"securitySchemes": {doc.Components.SecuritySchemes, cut.SecuritySchemes},
		"headers":         {doc.Components.Headers, cut.Headers},
		"parameters":      {doc.Components.Parameters, cut.Parameters},
	}
	for _, name := range sandboxComponentSections {
		both, ok := sections[name]
		if !ok {
			t.Fatalf("no comparison of components.%s", name)
		}
		whole, err := json.Marshal(both[0])
		if err != nil {
			t.Fatal(err)
		}
		alone, err := json.Marshal(both[1])
		if err != nil {
			t.Fatal(err)
		}
		if string(whole) != string(alone) {
			t.Errorf("components.%s parsed alone:\n%s\nin the whole document:\n%s", name, alone, whole)
		}
		if len(whole) < 100 {
			t.Errorf("components.%s is nearly empty: %s", name, whole)
		}
	}
	marked := 0
	for _, p := range cut.Parameters {
		if isMarked(p.Value.Extensions) {
			marked++
		}
	}
	if marked == 0 {
		t.Error("no header parameter is marked " + providerOperationsExtension)
	}
}

// TestAdminPathsAreTheAdminAPIs: the mock sends every request to a path of
// the admin document to the admin API (IsAdminPath), and holds every other
// to the provider's document alone.
func TestAdminPathsAreTheAdminAPIs(t *testing.T) {
	doc, err := BuiltInSpec()
	if err != nil {
		t.Fatal(err)
	}
	for path := range doc.Paths.Map() {
		if !IsAdminPath(path) {
			t.Errorf("%s is not an admin path", path)
		}
	}
}

func TestComponentSectionsNeedsEachSection(t *testing.T) {
	spec := "openapi: 3.0.3\npaths: {}\ncomponents:\n  headers:\n    X-A:\n      schema:\n        type: string\n  schemas: {}\n"
	got, err := componentSections([]byte(spec), []string{"headers"})
	if err != nil {
		t.Fatal(err)
	}
	if want := "openapi: 3.0.3\ninfo:\n  title: components\n  version: '1'\npaths: {}\ncomponents:\n  headers:\n    X-A:\n      schema:\n        type: string\n"; string(got) != want {
		t.Errorf("cut\n%s\nwant\n%s", got, want)
	}
	if _, err := componentSections([]byte(spec), []string{"headers", "parameters"}); err == nil || !strings.Contains(err.Error(), "parameters") {
		t.Errorf("a missing section: %v", err)
	}
	if _, err := componentSections([]byte("paths: {}\n"), nil); err == nil {
		t.Error("a document without its openapi version was cut")
	}
}
