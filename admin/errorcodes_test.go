package admin

import (
	"slices"
	"testing"
)

// TestDocumentNamesEveryErrorCode holds the admin document's AdminError
// codes to those the API sends: a code missing from the enum makes a
// client generated from the document refuse a real answer.
func TestDocumentNamesEveryErrorCode(t *testing.T) {
	doc, err := LoadSpec()
	if err != nil {
		t.Fatal(err)
	}
	schema := doc.Components.Schemas["AdminError"].Value.Properties["error"].Value.Properties["code"].Value
	var documented []string
	for _, v := range schema.Enum {
		documented = append(documented, v.(string))
	}
	sent := []string{CodeInvalid, CodeNotFound, CodeConflict, CodeUnauthorized, CodeForbidden, CodeInternal, CodeUnavailable}
	slices.Sort(documented)
	slices.Sort(sent)
	if !slices.Equal(documented, sent) {
		t.Fatalf("AdminError codes in admin/openapi.yaml %v, sent by the API %v", documented, sent)
	}
}
