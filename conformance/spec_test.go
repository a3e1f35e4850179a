package conformance

import (
	"context"
	"net/http"
	"slices"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// TestEmbeddedSpecDescribesTheProviderAlone holds openapi.yaml to the
// provider's one operation: the sandbox's own calls are admin/openapi.yaml's.
func TestEmbeddedSpecDescribesTheProviderAlone(t *testing.T) {
	doc, err := LoadSpec("")
	if err != nil {
		t.Fatalf("LoadSpec: %v", err)
	}
	var operations []string
	for path, item := range doc.Paths.Map() {
		for method := range item.Operations() {
			operations = append(operations, method+" "+path)
		}
	}
	if want := []string{http.MethodPost + " " + rechargestatus.EnquiryPath}; !slices.Equal(operations, want) {
		t.Fatalf("openapi.yaml describes %v; want %v alone", operations, want)
	}
}

// TestEmbeddedSpecIsValid validates the built-in openapi.yaml once here, so
// that LoadSpec need not each time a mock starts.
func TestEmbeddedSpecIsValid(t *testing.T) {
	doc, err := LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	if err := doc.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml: %v", err)
	}
}

func TestLoadSpecFromFileAndErrors(t *testing.T) {
	if _, err := LoadSpec("../openapi.yaml"); err != nil {
		t.Fatalf("LoadSpec(../openapi.yaml): %v", err)
	}
	if _, err := LoadSpec("does-not-exist.yaml"); err == nil {
		t.Fatal("LoadSpec of a missing file succeeded")
	}
}

// TestDeclaredExamplesMatchTheirSchemas checks that every answer of the
// operation shows at least one example, and that every example, of an
// answer or of the request, is valid against its schema.
func TestDeclaredExamplesMatchTheirSchemas(t *testing.T) {
	doc, err := LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				if len(resp.Value.Content) == 0 {
					t.Errorf("%s %s %s declares no body", method, path, code)
				}
				for ct, media := range resp.Value.Content {
					if len(media.Examples) == 0 {
						t.Errorf("%s %s %s %s has no example", method, path, code, ct)
					}
					for name, ex := range media.Examples {
						if err := media.Schema.Value.VisitJSON(ex.Value.Value, openapi3.VisitAsResponse()); err != nil {
							t.Errorf("%s %s %s %s example %q: %v", method, path, code, ct, name, err)
						}
					}
				}
			}
			if op.RequestBody == nil {
				continue
			}
			for ct, media := range op.RequestBody.Value.Content {
				for name, ex := range media.Examples {
					if err := media.Schema.Value.VisitJSON(ex.Value.Value, openapi3.VisitAsRequest()); err != nil {
						t.Errorf("%s %s request %s example %q: %v", method, path, ct, name, err)
					}
				}
			}
		}
	}
}
