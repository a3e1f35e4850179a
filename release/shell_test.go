package release

import (
	"fmt"
	"io"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// shellCommand is a simple command of a shell script: its words as the
// shell passes them, quotes removed.
type shellCommand struct {
	line  uint
	words []string
}

func (c shellCommand) String() string {
	quoted := make([]string, len(c.words))
	for i, w := range c.words {
		if q, err := syntax.Quote(w, syntax.LangBash); err == nil {
			quoted[i] = q
		} else {
			quoted[i] = w
		}
	}
	return strings.Join(quoted, " ")
}

// key tells two commands apart by their words alone.
func (c shellCommand) key() string { return strings.Join(c.words, "\x00") }

// shellCommands parses script as the shell does and lists its simple
// commands, nested ones included (after &&, in a pipeline or subshell), in
// order: assignments, export and the program with its arguments, a leading
// exec dropped. A variable expands to vars[name] when vars has it, and
// stays ${name} otherwise.
func shellCommands(script string, vars map[string]string) ([]shellCommand, error) {
	file, err := syntax.NewParser().Parse(strings.NewReader(script), "")
	if err != nil {
		return nil, err
	}
	cfg := &expand.Config{
		Env: expand.FuncEnviron(func(name string) string {
			if v, ok := vars[name]; ok {
				return v
			}
			return "${" + name + "}"
		}),
		// A command substitution is left as written: nothing is run.
		CmdSubst: func(w io.Writer, cs *syntax.CmdSubst) error {
			_, err := io.WriteString(w, script[cs.Pos().Offset():cs.End().Offset()])
			return err
		},
	}
	literal := func(w *syntax.Word) string {
		if w == nil {
			return ""
		}
		s, err2 := expand.Literal(cfg, w)
		if err2 != nil && err == nil {
			err = fmt.Errorf("line %d: %w", w.Pos().Line(), err2)
		}
		return s
	}
	assignment := func(a *syntax.Assign) string {
		if a.Naked {
			return a.Name.Value
		}
		return a.Name.Value + "=" + literal(a.Value)
	}
	var cmds []shellCommand
	syntax.Walk(file, func(node syntax.Node) bool {
		var words []string
		switch n := node.(type) {
		case *syntax.CallExpr:
			for _, a := range n.Assigns {
				words = append(words, assignment(a))
			}
			for _, w := range n.Args {
				words = append(words, literal(w))
			}
			if len(words) > 1 && words[0] == "exec" && len(n.Assigns) == 0 {
				words = words[1:]
			}
		case *syntax.DeclClause:
			words = append(words, n.Variant.Value)
			for _, a := range n.Args {
				words = append(words, assignment(a))
			}
		default:
			return true
		}
		cmds = append(cmds, shellCommand{line: node.Pos().Line(), words: words})
		return true
	})
	return cmds, err
}
