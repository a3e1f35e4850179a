package mockserver

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDependenciesPointOneWay holds the imports to their direction: the
// mock never builds on the contract suite that judges it, and the admin
// API's package and the fixtures, which the suite and Go users import, never
// bring the server with them; the admin API's HTTP handlers serve the
// admin.Admin interface, never its in-process implementation, which never
// builds on them.
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
		{module + "/mockserver/adminhttp", module + "/mockserver/internal/control"},
		{module + "/mockserver/internal/control", module + "/mockserver/adminhttp"},
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

// TestDomainLeavesTheSpecEngineOut holds the wire contract and the domain
// to what they need: the root package imports the standard library alone,
// and the domain and its store, which need only the wire contract, never
// link the spec engine and its router.
func TestDomainLeavesTheSpecEngineOut(t *testing.T) {
	t.Parallel()
	const module = "github.com/aopay-sandbox/rechargestatus"
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list dependencies: %v", err)
	}
	nonStandard := func(packages ...string) []string {
		t.Helper()
		args := append([]string{"list", "-deps", "-f", "{{if not .Standard}}{{.ImportPath}}{{end}}"}, packages...)
		out, err := exec.Command(goTool, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("go list -deps %v: %v\n%s", packages, err, out)
		}
		return strings.Fields(string(out))
	}
	if deps := nonStandard(module); !slices.Equal(deps, []string{module}) {
		t.Errorf("the root package depends on more than the standard library: %v", deps)
	}
	domain := nonStandard(module+"/mockserver/recharge", module+"/mockserver/boltstore")
	if !slices.Contains(domain, module) || !slices.Contains(domain, "go.etcd.io/bbolt") {
		t.Fatalf("go list named %v, not the domain's dependencies", domain)
	}
	for _, dep := range domain {
		for _, forbidden := range []string{"github.com/getkin/kin-openapi", "github.com/gorilla/mux"} {
			if dep == forbidden || strings.HasPrefix(dep, forbidden+"/") {
				t.Errorf("mockserver/recharge or mockserver/boltstore depends on %s", dep)
			}
		}
	}
}

// maxRootLines bounds the root package: request serving and the wiring of
// the parts. A concern that grows beyond it gets a package of its own, as
// the control plane (internal/control) and the store adapters have.
const maxRootLines = 1500

// TestRootPackageStaysSmall holds the root package, its tests left out, to
// maxRootLines lines.
func TestRootPackageStaysSmall(t *testing.T) {
	t.Parallel()
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	lines := 0
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		lines += bytes.Count(data, []byte("\n"))
	}
	if lines == 0 || lines > maxRootLines {
		t.Fatalf("package mockserver has %d lines outside its tests, want 1 to %d: move a concern into a package of its own", lines, maxRootLines)
	}
	t.Logf("package mockserver: %d lines outside its tests", lines)
}
