package release

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// oapiCodegen is the client generator the provider's document must suit,
// pinned so that a new release of it cannot turn this check red on its own.
const oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"

// TestGeneratedClientCompiles generates a Go client from openapi.yaml with
// oapi-codegen (types and client), as an integrator would, and builds it:
// names in the document that clash in Go fail here.
func TestGeneratedClientCompiles(t *testing.T) {
	if testing.Short() {
		t.Skip("downloads and runs oapi-codegen, then builds its client")
	}
	spec, err := filepath.Abs(filepath.Join("..", "openapi.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(spec); err != nil {
		t.Fatalf("the provider's document: %v", err)
	}
	dir := t.TempDir()
	goCommand(t, dir, "mod", "init", "example.com/aopayclient")
	client := goCommand(t, dir, "run", oapiCodegen, "-generate", "types,client", "-package", "aopay", spec)
	if err := os.WriteFile(filepath.Join(dir, "aopay.gen.go"), client, 0o644); err != nil {
		t.Fatal(err)
	}
	goCommand(t, dir, "mod", "tidy")
	goCommand(t, dir, "build", "./...")
}

// goCommand runs the go command in dir, outside any workspace, and returns
// its standard output; it fails the test with everything the command said.
func goCommand(t *testing.T, dir string, args ...string) []byte {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go %s: %v\n%s%s", strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}
