package mockserver

import (
	"os/exec"
	"strings"
	"testing"
)

// TestDependenciesPointOneWay holds the imports to their direction: the
// mock never builds on the contract suite that judges it, and the admin
// API's package and the fixtures, which the suite and Go users import, never
// bring the server with them.
func TestDependenciesPointOneWay(t *testing.T) {
	t.Parallel()
	const module = "github.com/aopay-sandbox/rechargestatus"
	rules := []struct {
		packages  string
		forbidden string
	}{
		{module + "/mockserver/...", module + "/contract"},
		{module + "/admin", module + "/mockserver"},
		{module + "/fixtures", module + "/mockserver"},
	}
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	for _, rule := range rules {
		out, err := exec.Command(goTool, "list", "-deps", "-f", "{{.ImportPath}}", rule.packages).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %s: %v\n%s", rule.packages, err, out)
		}
		deps := strings.Fields(string(out))
		if len(deps) < 10 {
			t.Fatalf("go list -deps %s listed only %v", rule.packages, deps)
		}
		for _, dep := range deps {
			if dep == rule.forbidden || strings.HasPrefix(dep, rule.forbidden+"/") {
				t.Errorf("%s depends on %s", rule.packages, dep)
			}
		}
	}
}
