package release

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// releaseOnlyModules are the modules these checks need and a project
// importing the sandbox's Go packages must not get.
var releaseOnlyModules = []string{
	"github.com/moby/buildkit",
	"github.com/moby/patternmatcher",
	"github.com/compose-spec/compose-go",
	"mvdan.cc/sh",
	"rsc.io/script",
	"github.com/chromedp/chromedp",
	// The testcontainers module's.
	"github.com/testcontainers/testcontainers-go",
	"github.com/docker/docker",
	"github.com/moby/moby",
}

// TestMainModuleLeavesOutTheReleaseTooling checks the main module's own
// module graph, without go.work, as a project requiring it sees it.
func TestMainModuleLeavesOutTheReleaseTooling(t *testing.T) {
	cmd := exec.Command("go", "list", "-m", "all")
	cmd.Dir = repoRoot(t)
	cmd.Env = append(os.Environ(), "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list -m all: %v", err)
	}
	if !strings.HasPrefix(string(out), "github.com/aopay-sandbox/rechargestatus\n") {
		t.Fatalf("go list -m all lists %.200q, want the main module first", out)
	}
	for line := range strings.Lines(string(out)) {
		for _, m := range releaseOnlyModules {
			if strings.HasPrefix(line, m) {
				t.Errorf("the main module's graph holds %s", strings.TrimSpace(line))
			}
		}
	}
}
