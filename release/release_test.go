package release

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
)

// The image's layout, as the README, docker-compose.yml and the example
// workflows rely on it.
const (
	mockBinary     = "/aopay-mock"
	contractBinary = "/aopay-contract"
	// imageExecutable is the package built as mockBinary; contractBinary
	// is a symbolic link to it, and it runs as the command it is called by.
	imageExecutable = "./cmd/aopay-sandbox"
	imagePort       = "8080"
	stateDir        = "/data"
	versionVar      = "github.com/aopay-sandbox/rechargestatus/internal/buildinfo.Version"
)

// repoRoot is the repository's root, the main module's, above this one.
func repoRoot(t testing.TB) string {
	t.Helper()
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("no go.mod at the repository root %s: %v", root, err)
	}
	return root
}

// dockerfile is the repository's Dockerfile, parsed by BuildKit's own parser.
type dockerfile struct {
	stages   []instructions.Stage
	metaArgs []instructions.ArgCommand
}

func parseDockerfile(root string) (dockerfile, error) {
	f, err := os.Open(filepath.Join(root, "Dockerfile"))
	if err != nil {
		return dockerfile{}, err
	}
	defer f.Close()
	ast, err := parser.Parse(f)
	if err != nil {
		return dockerfile{}, fmt.Errorf("parse Dockerfile: %w", err)
	}
	for _, w := range ast.Warnings {
		return dockerfile{}, fmt.Errorf("Dockerfile: %s", w.Short)
	}
	// BuildKit's build checks, as `docker build --check` runs them.
	var lint []string
	stages, metaArgs, err := instructions.Parse(ast.AST, linter.New(&linter.Config{
		Warn: func(rule, _, _, msg string, at []parser.Range) {
			line := 0
			if len(at) > 0 {
				line = at[0].Start.Line
			}
			lint = append(lint, fmt.Sprintf("line %d: %s: %s", line, rule, msg))
		},
	}))
	if err != nil {
		return dockerfile{}, fmt.Errorf("Dockerfile instructions: %w", err)
	}
	if len(lint) > 0 {
		return dockerfile{}, fmt.Errorf("Dockerfile build checks:\n%s", strings.Join(lint, "\n"))
	}
	return dockerfile{stages: stages, metaArgs: metaArgs}, nil
}

func loadDockerfile(t testing.TB) dockerfile {
	t.Helper()
	df, err := parseDockerfile(repoRoot(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(df.stages) == 0 {
		t.Fatal("Dockerfile has no stage")
	}
	return df
}

// final is the stage the image is made of.
func (df dockerfile) final() instructions.Stage { return df.stages[len(df.stages)-1] }

// commandsOf lists the stage's instructions of type T, in order.
func commandsOf[T instructions.Command](s instructions.Stage) []T {
	var out []T
	for _, c := range s.Commands {
		if tc, ok := c.(T); ok {
			out = append(out, tc)
		}
	}
	return out
}

// stageEnv is what a stage's RUN instructions see: its ARGs (with their
// defaults unless overridden) and ENVs, in order.
func stageEnv(s instructions.Stage, overrides map[string]string) map[string]string {
	env := map[string]string{}
	for _, c := range s.Commands {
		switch c := c.(type) {
		case *instructions.ArgCommand:
			for _, a := range c.Args {
				if v, ok := overrides[a.Key]; ok {
					env[a.Key] = v
				} else {
					env[a.Key] = a.ValueString()
				}
			}
		case *instructions.EnvCommand:
			for _, kv := range c.Env {
				env[kv.Key] = kv.Value
			}
		}
	}
	return env
}

// lastUser is the user the stage's container runs as.
func lastUser(s instructions.Stage) string {
	users := commandsOf[*instructions.UserCommand](s)
	if len(users) == 0 {
		return ""
	}
	return users[len(users)-1].User
}

// isRootUser tells whether a USER value runs as root.
func isRootUser(user string) bool {
	name, _, _ := strings.Cut(user, ":")
	return slices.Contains([]string{"", "root", "0"}, name)
}

// envList is env as os/exec wants it, after base with every AOPAY_MOCK_
// variable of base dropped so the caller's environment cannot leak in.
func envList(base []string, env map[string]string) []string {
	var out []string
	for _, kv := range base {
		if !strings.HasPrefix(kv, "AOPAY_MOCK_") {
			out = append(out, kv)
		}
	}
	for k, v := range env {
		out = append(out, k+"="+v)
	}
	return out
}
