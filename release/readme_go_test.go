package release

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// goSnippet is one ```go block of README.md and the README line it starts on.
type goSnippet struct {
	line int
	code string
}

// readmeGoSnippets lists README.md's ```go blocks.
func readmeGoSnippets(t *testing.T) []goSnippet {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var snippets []goSnippet
	var block strings.Builder
	start, inGo := 0, false
	lines := bufio.NewScanner(f)
	for n := 1; lines.Scan(); n++ {
		line := lines.Text()
		fence, isFence := strings.CutPrefix(strings.TrimSpace(line), "```")
		switch {
		case isFence && !inGo && strings.TrimSpace(fence) == "go":
			inGo, start = true, n
			block.Reset()
		case isFence && inGo:
			inGo = false
			snippets = append(snippets, goSnippet{line: start, code: block.String()})
		case inGo:
			block.WriteString(line + "\n")
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return snippets
}

// TestReadmeGoSnippetsCompile holds every ```go block of README.md to be a
// whole file that compiles and vets against the module as it stands. The
// blocks become the test files of a module of their own in a temporary
// directory, which requires this repository's module, replaced by its
// working tree, so nothing is written into the repository.
func TestReadmeGoSnippetsCompile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("compiles README snippets with the go command; skipped under -short")
	}
	snippets := readmeGoSnippets(t)
	if len(snippets) == 0 {
		t.Fatal("README.md has no ```go block; this test would hold nothing")
	}
	root := repoRoot(t)
	// A snippet that uses the testcontainers module, a module of its own,
	// builds with that module's requirements; the others with the main
	// module's.
	bases := map[string]string{"": root, "testcontainers": filepath.Join(root, "testcontainers")}
	dirs := map[string]string{}
	for i, s := range snippets {
		if !strings.HasPrefix(strings.TrimSpace(s.code), "package ") {
			t.Errorf("README.md:%d: a Go snippet must be a whole file, starting with its package clause", s.line)
			continue
		}
		base := ""
		if strings.Contains(s.code, `"github.com/aopay-sandbox/rechargestatus/testcontainers"`) {
			base = "testcontainers"
		}
		dir, ok := dirs[base]
		if !ok {
			dir = t.TempDir()
			writeSnippetModule(t, bases[base], dir)
			dirs[base] = dir
		}
		// A line directive makes the compiler name README.md's own lines.
		code := fmt.Sprintf("//line README.md:%d\n%s", s.line+1, s.code)
		pkg := filepath.Join(dir, fmt.Sprintf("snippet%d", i))
		if err := os.Mkdir(pkg, 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(pkg, "snippet_test.go"), []byte(code), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if t.Failed() {
		return
	}
	for _, dir := range dirs {
		cmd := exec.Command("go", "vet", "./...")
		cmd.Dir = dir
		cmd.Env = append(os.Environ(), "GOWORK=off", "GOFLAGS=-mod=mod")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("README.md's Go snippets do not compile: %v\n%s", err, out)
		}
	}
}

// writeSnippetModule makes dir a module that requires the module at
// base, with base's own requirements and checksums, so the snippets build
// with what the repository builds with. Every module of the repository is
// replaced by its working tree.
func writeSnippetModule(t *testing.T, base, dir string) {
	t.Helper()
	mod, err := os.ReadFile(filepath.Join(base, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.SplitN(string(mod), "\n", 2)
	self := strings.TrimSpace(strings.TrimPrefix(lines[0], "module "))
	body := "module example.com/readme\n" + lines[1]
	const root = "github.com/aopay-sandbox/rechargestatus"
	body += fmt.Sprintf("\nrequire %s v0.0.0\n", self)
	// The main module may be replaced already (by the testcontainers one).
	if !strings.Contains(body, "replace "+root+" ") {
		repoRoot := base
		if self != root {
			repoRoot = filepath.Dir(base)
		}
		body += fmt.Sprintf("\nreplace %s => %s\n", root, repoRoot)
	} else {
		body = strings.ReplaceAll(body, "=> ../", "=> "+filepath.Dir(base)+"/")
		body = strings.ReplaceAll(body, "=> ..\n", "=> "+filepath.Dir(base)+"\n")
	}
	if self != root {
		body += fmt.Sprintf("\nreplace %s => %s\n", self, base)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.mod"), []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	sum, err := os.ReadFile(filepath.Join(base, "go.sum"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "go.sum"), sum, 0o644); err != nil {
		t.Fatal(err)
	}
}
