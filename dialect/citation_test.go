package dialect

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite README-table.md from the knowledge of the dialects")

func readNotes(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(NotesFile)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// citations are every citation of the package, by what cites it.
func citations() map[string]Citation {
	out := map[string]Citation{
		"answer code key trait": answerKeyTrait.Source,
		"error code key trait":  errorKeyTrait.Source,
	}
	for _, s := range upstreamKnowledge {
		out["knob "+s.knob] = s.source
	}
	for _, e := range upstreamErrors {
		out[fmt.Sprintf("known error %d/%d %q", e.status, e.code, e.message)] = e.source
	}
	return out
}

// TestCitationsQuoteTheNotes holds every citation to the notes: its words
// are on its lines, and a line that says GUESS is cited as a guess.
func TestCitationsQuoteTheNotes(t *testing.T) {
	notes := readNotes(t)
	lines := strings.Split(notes, "\n")
	for by, c := range citations() {
		if !c.QuotedIn(notes) {
			t.Errorf("%s cites %s, which does not say %q", by, c.Lines(), c.Quote)
			continue
		}
		if strings.Contains(strings.Join(lines[c.From-1:max(c.To, c.From)], " "), "GUESS") && c.Guess == "" {
			t.Errorf("%s cites %s, which says GUESS, as if it were known", by, c.Lines())
		}
	}
}

// TestEveryUpstreamDifferenceIsCited holds each knob where the upstream
// differs from the page to a citation.
func TestEveryUpstreamDifferenceIsCited(t *testing.T) {
	cited := map[string]bool{}
	for _, s := range upstreamKnowledge {
		cited[s.knob] = true
	}
	for _, kn := range knobTable {
		if kn.get(pageKnobs) != kn.get(upstreamKnobs) && !cited[kn.name] {
			t.Errorf("knob %s differs in the upstream dialect without a citation", kn.name)
		}
	}
}

// TestREADMETable keeps README-table.md as the knowledge writes it.
//
//	go test ./dialect -run TestREADMETable -update
func TestREADMETable(t *testing.T) {
	want := readmeTable()
	if *update {
		if err := os.WriteFile("README-table.md", []byte(want), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	got, err := os.ReadFile("README-table.md")
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != want {
		t.Fatalf("README-table.md is stale; rewrite it with go test ./dialect -run TestREADMETable -update\n\nwant:\n%s", want)
	}
}

func readmeTable() string {
	var b strings.Builder
	b.WriteString("| Knob (flag) | `page` | `upstream` | Lines of provider-notes.md | GUESS |\n|---|---|---|---|---|\n")
	sources := map[string]Citation{}
	for _, s := range upstreamKnowledge {
		sources[s.knob] = s.source
	}
	for _, kn := range knobTable {
		c, ok := sources[kn.name]
		source, guessed := "", ""
		if ok {
			source = fmt.Sprintf("%s: %s", strings.TrimPrefix(c.Lines(), NotesFile+":"), quoted(c.Quote))
			guessed = escape(c.Guess)
		}
		fmt.Fprintf(&b, "| `--%s` | `%s` | `%s` | %s | %s |\n", kn.name, kn.get(pageKnobs), kn.get(upstreamKnobs), source, guessed)
	}
	b.WriteString("\nAnswers the `upstream` dialect is known to give, which the contract suite and the proxy recognise:\n\n")
	b.WriteString("| HTTP | Code | Message | Lines of provider-notes.md | GUESS |\n|---|---|---|---|---|\n")
	fmt.Fprintf(&b, "| 200 | 1 or 2, spelt `responsecode` | | %s: %s | |\n",
		strings.TrimPrefix(answerKeyTrait.Source.Lines(), NotesFile+":"), quoted(answerKeyTrait.Source.Quote))
	for _, e := range upstreamErrors {
		message := "any"
		if e.message != "" {
			message = "`" + e.message + "`"
		}
		fmt.Fprintf(&b, "| %d | %d | %s | %s: %s | %s |\n", e.status, e.code, message,
			strings.TrimPrefix(e.source.Lines(), NotesFile+":"), quoted(e.source.Quote), escape(e.source.Guess))
	}
	fmt.Fprintf(&b, "| any above | spelt `responsecode` | | %s: %s | %s |\n",
		strings.TrimPrefix(errorKeyTrait.Source.Lines(), NotesFile+":"), quoted(errorKeyTrait.Source.Quote), escape(errorKeyTrait.Source.Guess))
	return b.String()
}

// quoted is the notes' words s in a Markdown table cell.
func quoted(s string) string { return "“" + escape(s) + "”" }

// escape makes s fit in a Markdown table cell.
func escape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }
