package testutil

import (
	"os"
	"os/exec"
	"testing"
)

// RequireToolsEnv, set to 1 (as .ci/run does once it has installed them),
// turns a missing external tool from a skip into a failure.
const RequireToolsEnv = "AOPAY_REQUIRE_TOOLS"

// LookTool returns the path of the external program name, which Debian's
// package pkg installs. When it is missing the test is skipped, naming the
// package, or fails under AOPAY_REQUIRE_TOOLS=1.
func LookTool(t testing.TB, name, pkg string) string {
	t.Helper()
	path, err := exec.LookPath(name)
	if err == nil {
		return path
	}
	if os.Getenv(RequireToolsEnv) == "1" {
		t.Fatalf("%s is not on PATH (%s=1): install Debian's package %s", name, RequireToolsEnv, pkg)
	}
	t.Skipf("%s is not on PATH: install Debian's package %s to run this test", name, pkg)
	return ""
}
