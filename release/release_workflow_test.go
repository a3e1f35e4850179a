package release

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

const releaseWorkflow = "release.yml"

// releaseTargets are the platforms a release publishes binaries for.
var releaseTargets = []string{"linux/amd64", "linux/arm64", "darwin/amd64", "darwin/arm64", "windows/amd64", "windows/arm64"}

type releaseFile struct {
	On struct {
		Push struct {
			Tags []string `yaml:"tags"`
		} `yaml:"push"`
	} `yaml:"on"`
	Jobs map[string]struct {
		Permissions map[string]string `yaml:"permissions"`
		Env         map[string]string `yaml:"env"`
		Steps       []workflowStep    `yaml:"steps"`
	} `yaml:"jobs"`
}

func loadReleaseWorkflow(t *testing.T) releaseFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), workflowDir, releaseWorkflow))
	if err != nil {
		t.Fatal(err)
	}
	var w releaseFile
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", releaseWorkflow, err)
	}
	return w
}

func TestReleaseWorkflowBinaries(t *testing.T) {
	w := loadReleaseWorkflow(t)
	if !slices.ContainsFunc(w.On.Push.Tags, func(p string) bool { return strings.HasPrefix(p, "v") }) {
		t.Errorf("%s runs on tags %q, want version tags v*", releaseWorkflow, w.On.Push.Tags)
	}
	var script string
	var published bool
	for _, job := range w.Jobs {
		for _, step := range job.Steps {
			if strings.Contains(step.Run, "go build") {
				script = step.Run
			}
			if strings.Contains(step.Run, "gh release create") {
				published = true
				if job.Permissions["contents"] != "write" {
					t.Errorf("the release is created by a job with contents: %q, want write", job.Permissions["contents"])
				}
			}
		}
	}
	if script == "" {
		t.Fatal("no step runs go build")
	}
	for _, target := range releaseTargets {
		if !strings.Contains(script, target) {
			t.Errorf("the binaries are not built for %s", target)
		}
	}
	for _, want := range []string{"CGO_ENABLED=0", "-trimpath", "-X " + versionVar + "=", "GOWORK=off", "./cmd/${cmd}", "sha256sum"} {
		if !strings.Contains(script, want) {
			t.Errorf("the build step lacks %q, which the Dockerfile's build and a checksum file need", want)
		}
	}
	for _, bin := range []string{mockBinary, contractBinary} {
		if !strings.Contains(script, strings.TrimPrefix(bin, "/")) {
			t.Errorf("the build step does not build %s", bin)
		}
	}
	if !published {
		t.Error("no step publishes a GitHub release")
	}
}

func TestReleaseWorkflowImage(t *testing.T) {
	w := loadReleaseWorkflow(t)
	mockImage := ""
	for _, svc := range loadWorkflow(t, "contract-against-mock.yml").job().Services {
		mockImage = svc.Image
	}
	var pushed, signed bool
	for name, job := range w.Jobs {
		image := job.Env["IMAGE"]
		for _, step := range job.Steps {
			if strings.HasPrefix(step.Uses, "docker/build-push-action@") {
				pushed = true
				if image == "" || !strings.Contains(mockImage, image+":") {
					t.Errorf("job %s pushes %q; the mock workflow pulls %s", name, image, mockImage)
				}
				if platforms := strings.Split(step.With["platforms"], ","); !slices.Contains(platforms, "linux/amd64") || !slices.Contains(platforms, "linux/arm64") {
					t.Errorf("the image is built for %q, want linux/amd64 and linux/arm64", platforms)
				}
				for key, want := range map[string]string{"push": "true", "sbom": "true", "context": "."} {
					if step.With[key] != want {
						t.Errorf("build-push-action %s: %q, want %q", key, step.With[key], want)
					}
				}
				if p := step.With["provenance"]; p == "" || p == "false" {
					t.Errorf("build-push-action provenance %q: want an attestation", p)
				}
				if !strings.Contains(step.With["build-args"], "VERSION=") {
					t.Error("the image's build does not pass the VERSION build argument")
				}
			}
			if strings.Contains(step.Run, "cosign sign") {
				signed = true
				if !strings.Contains(step.Run, "@${DIGEST}") || !strings.Contains(step.Env["DIGEST"], "steps.build.outputs.digest") {
					t.Errorf("cosign signs %q, want the pushed digest, not a tag that can move", step.Run)
				}
				if job.Permissions["id-token"] != "write" {
					t.Errorf("job %s signs without id-token: write, which keyless signing needs", name)
				}
			}
		}
	}
	if !pushed {
		t.Error("no step pushes the image")
	}
	if !signed {
		t.Error("no step signs the image")
	}
}
