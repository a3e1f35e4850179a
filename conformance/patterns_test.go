package conformance

import (
	"path/filepath"
	"regexp"
	"regexp/syntax"
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
		// Go's regexp reads \uHHHH as \x{HHHH}, as kin-openapi has it read.
		anyChar, visible := identifierClasses(t, regexp.MustCompile(`\\u([0-9A-F]{4})`).ReplaceAllString(schema.Pattern, `\x{$1}`))
		mismatches := 0
		for r := rune(0); r < 0x10000 && mismatches < 10; r++ {
			if utf16.IsSurrogate(r) {
				continue
			}
			if visible(r) && !anyChar(r) {
				t.Errorf("%s: U+%04X is visible to the pattern yet not allowed", field, r)
			}
			// A string matches ^[any]*[visible][any]*$ when every character
			// is allowed and one is visible.
			for _, c := range []struct {
				v   string
				got bool
			}{{string(r), anyChar(r) && visible(r)}, {"A" + string(r), anyChar(r)}} {
				want := rechargestatus.CheckIdentifier(field, c.v) == nil
				if r%499 == 0 {
					// The schema itself, on a sample, reads the pattern so.
					if viaSchema := schema.VisitJSON(c.v) == nil; viaSchema != c.got {
						t.Errorf("%s %q: the schema accepts it: %v, its classes say %v", field, c.v, viaSchema, c.got)
					}
				}
				if c.got != want {
					t.Errorf("%s %q (U+%04X): the pattern accepts it: %v, the rule: %v", field, c.v, r, c.got, want)
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

// identifierClasses reads a pattern of the form ^[any]*[visible][any]*$ as
// Go's regexp parses it and returns its two character classes.
func identifierClasses(t *testing.T, pattern string) (anyChar, visible func(rune) bool) {
	t.Helper()
	re, err := syntax.Parse(pattern, syntax.Perl)
	if err != nil {
		t.Fatal(err)
	}
	re = re.Simplify()
	sub := re.Sub
	if re.Op != syntax.OpConcat || len(sub) != 5 || sub[0].Op != syntax.OpBeginText || sub[4].Op != syntax.OpEndText ||
		sub[1].Op != syntax.OpStar || sub[3].Op != syntax.OpStar || sub[2].Op != syntax.OpCharClass ||
		sub[1].Sub[0].Op != syntax.OpCharClass || sub[1].Sub[0].String() != sub[3].Sub[0].String() {
		t.Fatalf("pattern %s is not ^[any]*[visible][any]*$", pattern)
	}
	in := func(ranges []rune) func(rune) bool {
		return func(r rune) bool {
			for i := 0; i+1 < len(ranges); i += 2 {
				if ranges[i] <= r && r <= ranges[i+1] {
					return true
				}
			}
			return false
		}
	}
	return in(sub[1].Sub[0].Rune), in(sub[2].Rune)
}
