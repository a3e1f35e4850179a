package contract_test

import (
	"os/exec"
	"strings"
	"testing"
)

// TestContractDoesNotDependOnTheMock proves that no package of the suite
// imports the mock it judges, directly or not: expectations come from
// openapi.yaml and the wire contract alone. Only test files and the
// aopay-contract command's main (internal/contractmain) wire an in-process
// mock.
func TestContractDoesNotDependOnTheMock(t *testing.T) {
	t.Parallel()
	const module = "github.com/aopay-sandbox/rechargestatus"
	out, err := exec.Command("go", "list", "-deps", "-f", "{{.ImportPath}}", module+"/contract/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	deps := strings.Fields(string(out))
	if len(deps) < 10 || !contains(deps, module+"/contract/framework") || !contains(deps, module+"/conformance") {
		t.Fatalf("go list named %d packages, not the suite's dependencies:\n%s", len(deps), out)
	}
	for _, dep := range deps {
		if dep == module+"/mockserver" || strings.HasPrefix(dep, module+"/mockserver/") {
			t.Errorf("a package of contract/ depends on %s", dep)
		}
	}
}
