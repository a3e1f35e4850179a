package rechargestatus

import (
	"testing"
)

func TestEmbeddedSpecValidates(t *testing.T) {
	doc, err := LoadSpec("")
	if err != nil {
		t.Fatalf("LoadSpec: %v", err)
	}
	if doc.Paths.Value(EnquiryPath) == nil {
		t.Fatalf("spec has no %s", EnquiryPath)
	}
}

func TestLoadSpecFromFileAndErrors(t *testing.T) {
	if _, err := LoadSpec("openapi.yaml"); err != nil {
		t.Fatalf("LoadSpec(openapi.yaml): %v", err)
	}
	if _, err := LoadSpec("does-not-exist.yaml"); err == nil {
		t.Fatal("LoadSpec of a missing file succeeded")
	}
}

func TestDeclaredExamplesMatchTheirSchemas(t *testing.T) {
	doc, err := LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			for code, resp := range op.Responses.Map() {
				for ct, media := range resp.Value.Content {
					for name, ex := range media.Examples {
						if err := media.Schema.Value.VisitJSON(ex.Value.Value); err != nil {
							t.Errorf("%s %s %s %s example %q: %v", method, path, code, ct, name, err)
						}
					}
				}
			}
		}
	}
}
