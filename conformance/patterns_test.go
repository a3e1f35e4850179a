package conformance

import (
	"path/filepath"
	"regexp"
	"testing"
	"unicode/utf16"

	"github.com/getkin/kin-openapi/openapi3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// loadSpecFile reads openapi.yaml as any OpenAPI tool would, from its file.
func loadSpecFile(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromFile(filepath.Join("..", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// ecmaAndGoAlike matches a pattern whose every escape is \xHH or \uHHHH
// (upper-case hex, which kin-openapi rewrites for Go's regexp): ECMA-262,
// with or without the u flag, and Go read those alike, where \s, \d, \w
// and \p mean different things to each.
var ecmaAndGoAlike = regexp.MustCompile(`^(?:[^\\]|\\x[0-9A-F]{2}|\\u[0-9A-F]{4}|\\[.$^()\[\]-])*$`)

// TestIdentifierPatternIsTheRule holds the pattern openapi.yaml gives
// referenceid and RegistrationID to rechargestatus.CheckIdentifier, the rule
// the mock and its domain apply: for every character of the Basic
// Multilingual Plane, alone and beside a visible one, the schema accepts it
// exactly when the rule does.
func TestIdentifierPatternIsTheRule(t *testing.T) {
	t.Parallel()
	props := loadSpecFile(t).Components.Schemas["RechargeStatusRequest"].Value.Properties
	for _, field := range []string{"referenceid", "RegistrationID"} {
		schema := props[field].Value
		if !ecmaAndGoAlike.MatchString(schema.Pattern) {
			t.Errorf("%s: pattern %s has an escape ECMA-262 and Go read differently", field, schema.Pattern)
		}
		mismatches := 0
		for r := rune(0); r < 0x10000 && mismatches < 10; r++ {
			if utf16.IsSurrogate(r) {
				continue
			}
			for _, v := range []string{string(r), "A" + string(r)} {
				want := rechargestatus.CheckIdentifier(field, v) == nil
				if got := schema.VisitJSON(v) == nil; got != want {
					t.Errorf("%s %q (U+%04X): the schema accepts it: %v, the rule: %v", field, v, r, got, want)
					mismatches++
				}
			}
		}
	}
}

// TestDecimalPatternIsTheRule holds openapi.yaml's DecimalString to
// rechargestatus.IsDecimalString, which conformance and the domain apply.
func TestDecimalPatternIsTheRule(t *testing.T) {
	t.Parallel()
	schema := loadSpecFile(t).Components.Schemas["DecimalString"].Value
	for _, v := range []string{"1", "0.00", "-5.5", "1000.25", "007", "-0", "", "1.", ".5", "-.5", "1,00", "1e3", "abc", "1.2.3", "-", "+1", " 1", "1 ", "1\n", "١"} {
		if got, want := schema.VisitJSON(v) == nil, rechargestatus.IsDecimalString(v); got != want {
			t.Errorf("%q: the schema accepts it: %v, the rule: %v", v, got, want)
		}
	}
}
