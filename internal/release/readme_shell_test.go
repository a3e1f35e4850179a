package release

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
)

// shellBlock is a ```sh block of README.md.
type shellBlock struct {
	line    int    // of its first command line
	section string // the `## ` heading it is under
	text    string
	// output is the ```json block that follows it, separated by prose
	// only: what its last command answers.
	output string
}

// readmeShellBlocks reads every ```sh block of README.md.
func readmeShellBlocks(t *testing.T, readme string) []shellBlock {
	t.Helper()
	var blocks []shellBlock
	section := ""
	lines := strings.Split(readme, "\n")
	for i := 0; i < len(lines); i++ {
		line := lines[i]
		if h, ok := strings.CutPrefix(line, "## "); ok {
			section = h
		}
		if !strings.HasPrefix(line, "```") {
			continue
		}
		lang := strings.TrimPrefix(line, "```")
		start := i + 1
		for i++; i < len(lines) && lines[i] != "```"; i++ {
		}
		if i == len(lines) {
			t.Fatalf("README.md:%d: a ``` block that never closes", start)
		}
		body := strings.Join(lines[start:i], "\n") + "\n"
		switch lang {
		case "sh":
			blocks = append(blocks, shellBlock{line: start + 1, section: section, text: body})
		case "json":
			// Output shown after a block: nothing but prose between them.
			if n := len(blocks); n > 0 && blocks[n-1].output == "" && blocks[n-1].section == section {
				between := strings.Join(lines[blocks[n-1].line:start-1], "\n")
				if strings.Count(between, "```") == 1 {
					blocks[n-1].output = body
				}
			}
		}
	}
	return blocks
}

// wordPart is a piece of a shell word: literal text, or a variable.
type wordPart struct{ lit, variable string }

type shellWord []wordPart

// String is the word as the README writes it.
func (w shellWord) String() string {
	var b strings.Builder
	for _, p := range w {
		if p.variable != "" {
			b.WriteString("$" + p.variable)
		} else {
			b.WriteString(p.lit)
		}
	}
	return b.String()
}

// shellCommand is one command line of a block, continuation lines joined.
type shellCommand struct {
	line  int
	words []shellWord
	// output is the JSON shown as its answer: `# {...}` comment lines right
	// after it, or the ```json block after its block.
	output string
	// comments are the comments before it (up to the command before) and
	// on its line.
	comments []string
}

// String is the command as the README writes it, on one line.
func (c shellCommand) String() string {
	words := make([]string, len(c.words))
	for i, w := range c.words {
		words[i] = w.String()
	}
	return strings.Join(words, " ")
}

// parseShell splits a block into commands the way a POSIX shell does for
// the subset the README uses: quotes (possibly over several lines),
// backslash continuations, $VAR and "$VAR", comments. Anything else (pipes,
// redirections, command substitution) is refused, since this test could not
// tell what it does.
func parseShell(text string, firstLine int) ([]shellCommand, error) {
	var (
		cmds      []shellCommand
		words     []shellWord
		word      shellWord
		inWord    bool
		line      = firstLine
		cmdLine   = firstLine
		inOutput  bool // the comments after a command hold its JSON answer
		lastCmdAt = -1
		leading   []string // comments before the next command
	)
	lit := func(s string) {
		inWord = true
		if n := len(word); n > 0 && word[n-1].variable == "" {
			word[n-1].lit += s
			return
		}
		word = append(word, wordPart{lit: s})
	}
	endWord := func() {
		if inWord {
			words = append(words, word)
		}
		word, inWord = nil, false
	}
	endCommand := func() {
		endWord()
		if len(words) > 0 {
			cmds = append(cmds, shellCommand{line: cmdLine, words: words, comments: leading})
			lastCmdAt = line
			leading = nil
		}
		words = nil
	}
	readVar := func(i int) (string, int, error) {
		if i < len(text) && text[i] == '{' {
			end := strings.IndexByte(text[i:], '}')
			if end < 0 {
				return "", 0, fmt.Errorf("line %d: unclosed ${", line)
			}
			return text[i+1 : i+end], i + end + 1, nil
		}
		j := i
		for j < len(text) && (text[j] == '_' || text[j] >= 'A' && text[j] <= 'Z' || text[j] >= 'a' && text[j] <= 'z' || j > i && text[j] >= '0' && text[j] <= '9') {
			j++
		}
		if j == i {
			return "", 0, fmt.Errorf("line %d: $%c is not a variable this test expands (command substitution and special parameters are not interpreted)", line, text[i])
		}
		return text[i:j], j, nil
	}
	for i := 0; i < len(text); {
		c := text[i]
		switch {
		case c == '\n':
			endCommand()
			line++
			i++
		case c == ' ' || c == '\t':
			endWord()
			i++
		case c == '#' && !inWord:
			end := strings.IndexByte(text[i:], '\n')
			if end < 0 {
				end = len(text) - i
			}
			comment := strings.TrimSpace(text[i+1 : i+end])
			commandBefore := len(words) > 0
			endCommand()
			switch {
			case commandBefore:
				cmds[len(cmds)-1].comments = append(cmds[len(cmds)-1].comments, comment)
			case len(cmds) > 0 && lastCmdAt == line-1 && (inOutput || strings.HasPrefix(comment, "{")):
				last := &cmds[len(cmds)-1]
				last.output += comment + "\n"
				inOutput = !json.Valid([]byte(last.output))
				lastCmdAt = line
			default:
				inOutput = false
				leading = append(leading, comment)
			}
			i += end
		case c == '\'':
			end := strings.IndexByte(text[i+1:], '\'')
			if end < 0 {
				return nil, fmt.Errorf("line %d: unclosed '", line)
			}
			s := text[i+1 : i+1+end]
			lit(s)
			line += strings.Count(s, "\n")
			i += end + 2
		case c == '"':
			inWord = true
			i++
			for {
				if i >= len(text) {
					return nil, fmt.Errorf("line %d: unclosed \"", line)
				}
				c := text[i]
				if c == '"' {
					i++
					break
				}
				switch {
				case c == '\\' && i+1 < len(text) && strings.IndexByte("$`\"\\\n", text[i+1]) >= 0:
					if text[i+1] != '\n' {
						lit(string(text[i+1]))
					} else {
						line++
					}
					i += 2
				case c == '$':
					name, next, err := readVar(i + 1)
					if err != nil {
						return nil, err
					}
					word = append(word, wordPart{variable: name})
					i = next
				case c == '`':
					return nil, fmt.Errorf("line %d: command substitution is not interpreted", line)
				default:
					if c == '\n' {
						line++
					}
					lit(string(c))
					i++
				}
			}
		case c == '\\':
			if i+1 < len(text) && text[i+1] == '\n' {
				line++
				i += 2
				continue
			}
			if i+1 < len(text) {
				lit(string(text[i+1]))
			}
			i += 2
		case c == '$':
			name, next, err := readVar(i + 1)
			if err != nil {
				return nil, err
			}
			inWord = true
			word = append(word, wordPart{variable: name})
			i = next
		case c == '&' && i+1 < len(text) && text[i+1] == '&':
			// `a && b` runs b only when a succeeds, as this test runs a
			// README's commands one after the other.
			endCommand()
			i += 2
		case strings.IndexByte("|&;<>`()", c) >= 0:
			return nil, fmt.Errorf("line %d: %q: pipes, redirections, lists and subshells are not interpreted", line, c)
		default:
			if !inWord && len(words) == 0 {
				cmdLine = line
				inOutput = false
			}
			lit(string(c))
			i++
		}
	}
	endCommand()
	return cmds, nil
}

// TestParseShell holds the README's shell parser to what a shell does with
// the forms the README uses.
func TestParseShell(t *testing.T) {
	cases := []struct {
		name   string
		text   string
		words  [][]string // each word as the README writes it
		output []string
	}{
		{"continuation and quotes over lines", "curl -X PUT \"$MOCK/x\" \\\n  -d '{\n \"a\": 1}'\n", [][]string{{"curl", "-X", "PUT", "$MOCK/x", "-d", "{\n \"a\": 1}"}}, []string{""}},
		{"comments", "# about\nMOCK=http://h   # where\n", [][]string{{"MOCK=http://h"}}, []string{""}},
		{"shown answer", "curl \"$MOCK/c\"\n# {\"count\":3}\n\n# next\ncurl b\n", [][]string{{"curl", "$MOCK/c"}, {"curl", "b"}}, []string{"{\"count\":3}\n", ""}},
		{"shown answer over lines", "curl a\n# {\"a\":[1,\n#   2]}\n", [][]string{{"curl", "a"}}, []string{"{\"a\":[1,\n2]}\n"}},
		{"prose comment after a command", "curl a\n# or at once: b\n", [][]string{{"curl", "a"}}, []string{""}},
		{"and list", "go build -o x ./cmd/x && x --y\n", [][]string{{"go", "build", "-o", "x", "./cmd/x"}, {"x", "--y"}}, []string{"", ""}},
		{"escapes in double quotes", `echo "a\"b\$c"` + "\n", [][]string{{"echo", `a"b$c`}}, []string{""}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmds, err := parseShell(tc.text, 1)
			if err != nil {
				t.Fatal(err)
			}
			var got [][]string
			var outputs []string
			for _, c := range cmds {
				var words []string
				for _, w := range c.words {
					words = append(words, w.String())
				}
				got = append(got, words)
				outputs = append(outputs, c.output)
			}
			if fmt.Sprint(got) != fmt.Sprint(tc.words) || !slices.Equal(outputs, tc.output) {
				t.Errorf("parsed %q with answers %q, want %q with %q", got, outputs, tc.words, tc.output)
			}
		})
	}
	t.Run("comments go with the command they describe", func(t *testing.T) {
		cmds, err := parseShell("# a\ncurl x # b\n# {\"n\":1}\n# c (kill -HUP <pid>)\ncurl y\n", 1)
		if err != nil {
			t.Fatal(err)
		}
		if len(cmds) != 2 || !slices.Equal(cmds[0].comments, []string{"a", "b"}) || cmds[0].output != "{\"n\":1}\n" || !slices.Equal(cmds[1].comments, []string{"c (kill -HUP <pid>)"}) || cmds[1].line != 5 {
			t.Errorf("parsed %+v", cmds)
		}
	})
	for _, refused := range []string{"curl a | jq .\n", "curl a & curl b\n", "echo $(id -u)\n", "curl a > out\n", "echo 'open\n"} {
		if _, err := parseShell(refused, 1); err == nil {
			t.Errorf("%q parsed, want a refusal", refused)
		}
	}
}
