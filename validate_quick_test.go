package rechargestatus

import (
	"strings"
	"testing"
)

func TestQuickSchemaCoversTheEnquiry(t *testing.T) {
	v, err := LoadValidator("")
	if err != nil {
		t.Fatal(err)
	}
	doc := v.Doc()
	schema := doc.Components.Schemas["RechargeStatusRequest"].Value
	q := v.quick[schema]
	if q == nil {
		t.Fatal("the enquiry's schema is not checked quickly")
	}
	tests := []struct {
		name  string
		value any
		want  bool
	}{
		{"page example", map[string]any{"referenceid": "12345678", "RegistrationID": "AOP-554"}, true},
		{"extra property", map[string]any{"referenceid": "1", "RegistrationID": "A", "extra": []any{1.0}}, true},
		{"64 characters", map[string]any{"referenceid": strings.Repeat("x", 64), "RegistrationID": "A"}, true},
		{"65 characters", map[string]any{"referenceid": strings.Repeat("x", 65), "RegistrationID": "A"}, false},
		{"blank", map[string]any{"referenceid": "   ", "RegistrationID": "A"}, false},
		{"control character", map[string]any{"referenceid": "a\x00b", "RegistrationID": "A"}, false},
		{"inner space", map[string]any{"referenceid": "a b", "RegistrationID": "A"}, true},
		{"empty", map[string]any{"referenceid": "", "RegistrationID": "A"}, false},
		{"missing", map[string]any{"referenceid": "1"}, false},
		{"number", map[string]any{"referenceid": 1.0, "RegistrationID": "A"}, false},
		{"null", map[string]any{"referenceid": nil, "RegistrationID": "A"}, false},
		{"array", []any{}, false},
		{"string", "x", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := q.accepts(tt.value); got != tt.want {
				t.Fatalf("accepts %v", got)
			}
			// Whatever it accepts, the visitor must accept too.
			if tt.want {
				if err := schema.VisitJSON(tt.value); err != nil {
					t.Fatalf("accepted what the schema rejects: %v", err)
				}
			}
		})
	}
	for name, ref := range doc.Components.Schemas {
		if q := compileQuick(ref.Value); q != nil && name != "RechargeStatusRequest" {
			for prop := range q.properties {
				if ref.Value.Properties[prop].Value.Pattern != "" || ref.Value.Properties[prop].Value.Format != "" {
					t.Fatalf("%s.%s has a pattern or format but is checked quickly", name, prop)
				}
			}
		}
	}
}
