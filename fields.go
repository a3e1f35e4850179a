package rechargestatus

import (
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// The rules of the wire's strings that a schema's regular expression cannot
// say exactly, written once: openapi.yaml's patterns say them as far as an
// ECMA-262 pattern can, conformance holds answers to them, and the mock and
// its domain hold requests and stored transactions to them.

// MaxIdentifierLength bounds a RegistrationID or a referenceid, in UTF-16
// units as openapi.yaml's maxLength counts. The sandbox's own limit: the
// provider's page states none.
const MaxIdentifierLength = 64

// CheckIdentifier holds v, the value of the request field named field (a
// RegistrationID or a referenceid), to the sandbox's rule for identifiers:
// 1 to MaxIdentifierLength characters of valid UTF-8, at least one of them
// visible (neither a Unicode space nor a format character such as U+200B),
// and no control characters (C0, DEL or C1). The error names field.
//
// An identifier of invalid UTF-8 is refused rather than read with its bad
// bytes replaced: two different ids would otherwise name one transaction.
func CheckIdentifier(field, v string) error {
	switch {
	case v == "":
		return fmt.Errorf("%s must not be empty", field)
	case UTF16Length(v) > MaxIdentifierLength:
		return fmt.Errorf("%s must be at most %d characters long", field, MaxIdentifierLength)
	case !utf8.ValidString(v):
		return fmt.Errorf("%s must be valid UTF-8", field)
	}
	visible := false
	for _, r := range v {
		if unicode.IsControl(r) {
			return fmt.Errorf("%s must have a visible character and no control characters", field)
		}
		visible = visible || !Invisible(r)
	}
	if !visible {
		return fmt.Errorf("%s must have a visible character and no control characters", field)
	}
	return nil
}

// Invisible reports whether r shows nothing of its own: a Unicode space
// (White_Space, which takes in U+0085 and NBSP) or a format character
// (category Cf: soft hyphen, zero-width space and joiners, BOM, bidi marks,
// tags). An identifier needs one character that is not.
func Invisible(r rune) bool {
	return unicode.In(r, unicode.White_Space, unicode.Cf)
}

// UTF16Length counts the characters of s as OpenAPI's maxLength does, in
// UTF-16 units (a character beyond U+FFFF is two; an invalid byte is one).
func UTF16Length(s string) int {
	n := 0
	for _, r := range s {
		n += max(utf16.RuneLen(r), 1)
	}
	return n
}

// IsDecimalString reports whether s is a money amount as the provider writes
// one: an optional minus, digits, and optionally a dot and more digits, such
// as "1" or "-0.50" (openapi.yaml's DecimalString).
func IsDecimalString(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	if s[0] == '-' {
		i = 1
	}
	digits, dot := 0, false
	for ; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case c == '.' && !dot && digits > 0 && i < len(s)-1:
			dot = true
		default:
			return false
		}
	}
	return digits > 0
}
