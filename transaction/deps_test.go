package transaction

import (
	"os/exec"
	"strings"
	"testing"
)

// TestALeafOfTheModule holds the package to what its documentation says:
// it imports the standard library and the root package only (the wire
// contract), so the domain, the admin API, the fixtures and the contract
// suite can all share it.
func TestALeafOfTheModule(t *testing.T) {
	t.Parallel()
	const module = "github.com/aopay-sandbox/rechargestatus"
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-f", "{{range .Imports}}{{.}} {{end}}", module+"/transaction").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	imports := strings.Fields(string(out))
	if len(imports) == 0 {
		t.Fatal("go list named no import")
	}
	for _, path := range imports {
		first, _, _ := strings.Cut(path, "/")
		if standard := !strings.Contains(first, "."); !standard && path != module {
			t.Errorf("transaction imports %s", path)
		}
	}
}
