package framework

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Bounds of what a dump shows of an answer, so that a hostile or broken
// endpoint cannot flood a terminal or a report: each cut says how much it
// left out.
const (
	dumpBodyLimit        = 2048 // bytes of a body
	dumpHeaderValueLimit = 256  // bytes of one header value
	dumpHeaderLimit      = 40   // header lines
)

// printable is s as it may reach a terminal or a report: every control
// character (C0, DEL, C1, so no escape sequence), and every byte that is not
// UTF-8, is written as a Go escape. Newlines are kept when keepLines is
// true, for text whose lines are the suite's own.
func printable(s string, keepLines bool) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\n' && keepLines:
			b.WriteByte('\n')
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t' && keepLines:
			b.WriteByte('\t')
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\x%02x`, r)
		case r >= 0x80 && r < 0xa0:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// cut is at most limit bytes of s, not splitting a character, and how many
// bytes it left out.
func cut(s string, limit int) (string, int) {
	if len(s) <= limit {
		return s, 0
	}
	end := limit
	for end > 0 && !utf8.RuneStart(s[end]) {
		end--
	}
	return s[:end], len(s) - end
}
