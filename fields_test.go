package rechargestatus

import (
	"strings"
	"testing"
)

func TestIsDecimalString(t *testing.T) {
	for s, want := range map[string]bool{"1": true, "0.00": true, "-5.5": true, "1000.25": true, "": false, "1.": false, ".5": false, "1,00": false, "1e3": false, "abc": false, "1.2.3": false, "-": false} {
		if got := IsDecimalString(s); got != want {
			t.Errorf("IsDecimalString(%q) = %v, want %v", s, got, want)
		}
	}
}

func TestCheckIdentifier(t *testing.T) {
	tests := []struct {
		value string
		// want is what the error says after the field's name; "" when the
		// identifier is accepted.
		want string
	}{
		{"12345678", ""},
		{"a b", ""},
		{" x ", ""},
		{"a\u00a0b", ""},
		{"x\u200b", ""},
		{"\ufffd", ""},
		{strings.Repeat("x", 64), ""},
		{strings.Repeat("x", 65), "must be at most 64 characters long"},
		{strings.Repeat("😀", 32), ""},
		{strings.Repeat("😀", 33), "must be at most 64 characters long"},
		{"", "must not be empty"},
		{"   ", "must have a visible character"},
		{"a\x00b", "must have a visible character"},
		{"a\tb", "must have a visible character"},
		{"del\x7f", "must have a visible character"},
		// Unicode spaces and format characters show nothing.
		{"\u00a0", "must have a visible character"},
		{"\u00a0\u00a0\u2003", "must have a visible character"},
		{"\u200b", "must have a visible character"},
		{"\u200b\u200d\ufeff\u2060", "must have a visible character"},
		{"\u3000", "must have a visible character"},
		{"\U000e0041", "must have a visible character"},
		// C1 controls, NEL among them.
		{"a\u0085b", "must have a visible character"},
		{"\u0080x", "must have a visible character"},
		{"x\u009f", "must have a visible character"},
		// Invalid UTF-8 is refused, not read with its bytes replaced.
		{"\xff", "must be valid UTF-8"},
		{"\xff\xfeABC", "must be valid UTF-8"},
		{"\xc0\xafABC", "must be valid UTF-8"},
		{"\xed\xa0\x80ABC", "must be valid UTF-8"},
	}
	for _, tt := range tests {
		err := CheckIdentifier("referenceid", tt.value)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckIdentifier(%q) = %v, want it accepted", tt.value, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), "referenceid "+tt.want)):
			t.Errorf("CheckIdentifier(%q) = %v, want %q", tt.value, err, "referenceid "+tt.want)
		}
	}
}
