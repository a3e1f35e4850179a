package dialect

import (
	"fmt"
	"strings"
)

// NotesFile is the record of the provider's known behaviour that dialect
// knowledge is cited from; a verbatim copy sits beside this package.
const NotesFile = "provider-notes.md"

// Citation is where a piece of dialect knowledge comes from: lines of
// provider-notes.md and the words on them.
type Citation struct {
	// From and To are the first and last line cited, counted from 1.
	From, To int
	// Quote is found on those lines, read as one line with single spaces.
	Quote string
	// Guess, when set, says why the value is a guess: the notes say GUESS,
	// or they are silent and the sandbox chose.
	Guess string
}

// Lines is where the citation points, such as provider-notes.md:18-19.
func (c Citation) Lines() string {
	if c.To <= c.From {
		return fmt.Sprintf("%s:%d", NotesFile, c.From)
	}
	return fmt.Sprintf("%s:%d-%d", NotesFile, c.From, c.To)
}

// String cites the lines and their words, and the guess if it is one.
func (c Citation) String() string {
	s := fmt.Sprintf("%s %q", c.Lines(), c.Quote)
	if c.Guess != "" {
		s += " (GUESS: " + c.Guess + ")"
	}
	return s
}

func cite(from, to int, quote string) Citation {
	return Citation{From: from, To: to, Quote: quote}
}

func guess(c Citation, why string) Citation {
	c.Guess = why
	return c
}

// QuotedIn reports whether c's quote is on its lines of notes.
func (c Citation) QuotedIn(notes string) bool {
	lines := strings.Split(notes, "\n")
	if c.From < 1 || c.To > len(lines) || c.Quote == "" {
		return false
	}
	last := max(c.To, c.From)
	text := strings.Join(strings.Fields(strings.Join(lines[c.From-1:last], " ")), " ")
	return strings.Contains(text, c.Quote)
}
