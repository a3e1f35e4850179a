package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// oapiCodegen is the client generator both documents must suit, pinned so
// that a new release of it cannot turn this check red on its own.
const oapiCodegen = "github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen@v2.8.2"

// TestGeneratedClientsCompile generates a Go client (types and client) from
// each of the two documents with oapi-codegen, as an integrator would, with
// no import mapping, and builds them: names in a document that clash in Go,
// or a reference out of a document, fail here. The provider's client, which
// teams ship, must name nothing of the sandbox's own.
func TestGeneratedClientsCompile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("downloads and runs oapi-codegen, then builds its clients")
	}
	dir := t.TempDir()
	goCommand(t, dir, "mod", "init", "example.com/aopayclient")
	generated := map[string][]byte{}
	for pkg, doc := range map[string]string{"aopay": "openapi.yaml", "aopayadmin": filepath.Join("admin", "openapi.yaml")} {
		spec, err := filepath.Abs(filepath.Join("..", doc))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(spec); err != nil {
			t.Fatalf("the document %s: %v", doc, err)
		}
		client := goCommand(t, dir, "run", oapiCodegen, "-generate", "types,client", "-package", pkg, spec)
		if err := os.Mkdir(filepath.Join(dir, pkg), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, pkg, pkg+".gen.go"), client, 0o644); err != nil {
			t.Fatal(err)
		}
		generated[pkg] = client
	}
	goCommand(t, dir, "mod", "tidy")
	goCommand(t, dir, "build", "./...")
	if !bytes.Contains(generated["aopay"], []byte("EnquireRechargeStatusParams")) {
		t.Fatalf("the provider's client has no EnquireRechargeStatusParams:\n%s", generated["aopay"])
	}
	for _, line := range strings.Split(string(generated["aopay"]), "\n") {
		if strings.Contains(strings.ToLower(line), "xmock") {
			t.Errorf("the provider's client names the sandbox: %s", strings.TrimSpace(line))
		}
	}
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
