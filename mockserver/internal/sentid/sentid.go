// Package sentid reads the identifiers of an enquiry as the client sent
// them, before a JSON decoder replaces what it cannot represent (invalid
// UTF-8, lone surrogates), and holds them to the identifier rule.
package sentid

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// Check holds an enquiry's referenceid and RegistrationID, as
// the client sent them, to the wire's rule for identifiers
// (rechargestatus.CheckIdentifier), which the domain holds every stored key
// to as well. The spec's validator has already held the decoded values to
// the schema; this sees what decoding hides: invalid UTF-8 and lone
// surrogates, which encoding/json turns into U+FFFD, so that two different
// referenceids would name one transaction, and the format characters
// beyond U+FFFF that the schema's pattern cannot name. body is the
// canonical body, a JSON object the validator accepted.
func Check(body []byte) error {
	if plainASCII(body) {
		// Such a body decodes to exactly what was sent, which the schema
		// has held to the rule already.
		return nil
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(body, &members); err != nil {
		return nil // the validator words what is wrong with the body
	}
	for _, field := range []string{"referenceid", "RegistrationID"} {
		v, ok := sentString(members[field])
		if !ok {
			continue
		}
		if err := rechargestatus.CheckIdentifier(field, v); err != nil {
			return err
		}
	}
	return nil
}

// sentString is the JSON string literal lit as it was sent: unlike
// encoding/json, it keeps invalid UTF-8 as it is and writes a lone surrogate
// escape (\ud800) as the three bytes UTF-8 would give it, itself invalid
// UTF-8, instead of replacing either with U+FFFD. ok is false when lit is not
// a well-formed string literal.
func sentString(lit []byte) (s string, ok bool) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", false
	}
	lit = lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(lit); i++ {
		if lit[i] != '\\' {
			b.WriteByte(lit[i])
			continue
		}
		if i++; i == len(lit) {
			return "", false
		}
		switch c := lit[i]; c {
		case '"', '\\', '/':
			b.WriteByte(c)
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'u':
			r, ok := hex4(lit[i+1:])
			if !ok {
				return "", false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if low, ok := lowSurrogate(lit[i+1:]); ok && r < 0xDC00 {
					b.WriteRune(utf16.DecodeRune(r, low))
					i += 6
					continue
				}
				b.Write([]byte{0xE0 | byte(r>>12), 0x80 | byte(r>>6)&0x3F, 0x80 | byte(r)&0x3F})
				continue
			}
			b.WriteRune(r)
		default:
			return "", false
		}
	}
	return b.String(), true
}

// lowSurrogate reads a \uDC00 to \uDFFF escape at the start of rest.
func lowSurrogate(rest []byte) (rune, bool) {
	if len(rest) < 6 || rest[0] != '\\' || rest[1] != 'u' {
		return 0, false
	}
	r, ok := hex4(rest[2:])
	return r, ok && r >= 0xDC00 && r <= 0xDFFF
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	n, err := strconv.ParseUint(string(b[:4]), 16, 32)
	return rune(n), err == nil
}

// plainASCII reports whether body is ASCII without \u escapes.
func plainASCII(body []byte) bool {
	for i, c := range body {
		if c >= utf8.RuneSelf || c == '\\' && i+1 < len(body) && body[i+1] == 'u' {
			return false
		}
	}
	return true
}
