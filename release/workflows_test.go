package release

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

const workflowDir = "examples/github-actions"

type workflow struct {
	On struct {
		Schedule []struct {
			Cron string `yaml:"cron"`
		} `yaml:"schedule"`
	} `yaml:"on"`
	Jobs map[string]workflowJob `yaml:"jobs"`
}

type workflowJob struct {
	Services map[string]struct {
		Image string            `yaml:"image"`
		Ports []string          `yaml:"ports"`
		Env   map[string]string `yaml:"env"`
	} `yaml:"services"`
	Steps []workflowStep `yaml:"steps"`
}

type workflowStep struct {
	Name string            `yaml:"name"`
	If   string            `yaml:"if"`
	Uses string            `yaml:"uses"`
	Run  string            `yaml:"run"`
	Env  map[string]string `yaml:"env"`
	With map[string]string `yaml:"with"`
}

func loadWorkflow(t *testing.T, name string) workflow {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), workflowDir, name))
	if err != nil {
		t.Fatal(err)
	}
	var w workflow
	if err := yaml.Unmarshal(data, &w); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(w.Jobs) != 1 {
		t.Fatalf("%s has %d jobs, want 1", name, len(w.Jobs))
	}
	return w
}

func (w workflow) job() workflowJob {
	for _, j := range w.Jobs {
		return j
	}
	return workflowJob{}
}

// contractRun is a step that runs aopay-contract from the sandbox image, with
// the suite's arguments.
type contractRun struct {
	step   workflowStep
	docker []string // docker run and its flags
	image  string
	args   []string
}

// findContractRun finds the `docker run ... --entrypoint /aopay-contract
// IMAGE args...` of a job.
func findContractRun(t *testing.T, j workflowJob) contractRun {
	t.Helper()
	for _, step := range j.Steps {
		cmds, err := shellCommands(step.Run, nil)
		if err != nil {
			t.Fatalf("step %q: %v", step.Name, err)
		}
		for _, c := range cmds {
			words := c.words
			if len(words) < 2 || words[0] != "docker" || words[1] != "run" {
				continue
			}
			if ep, _ := flagArg(words, "--entrypoint"); ep != contractBinary {
				continue
			}
			// The image is the first word after docker run's own flags,
			// which all take a value here except --rm.
			i := 2
			for i < len(words) && strings.HasPrefix(words[i], "-") {
				if words[i] == "--rm" || strings.Contains(words[i], "=") {
					i++
				} else {
					i += 2
				}
			}
			if i >= len(words) {
				t.Fatalf("step %q: docker run names no image", step.Name)
			}
			return contractRun{step: step, docker: words[:i], image: words[i], args: words[i+1:]}
		}
	}
	t.Fatalf("no step runs %s from the image with docker run", contractBinary)
	return contractRun{}
}

// imageExpr is what an image reference expands to: a step's environment
// variable or a literal.
func (r contractRun) imageExpr() string {
	if name, ok := strings.CutPrefix(r.image, "${"); ok {
		return r.step.Env[strings.TrimSuffix(name, "}")]
	}
	return r.image
}

// checkUploadsReport checks that a job uploads the directory the suite's
// JUnit report is written to, even when the suite failed.
func checkUploadsReport(t *testing.T, j workflowJob, run contractRun) {
	t.Helper()
	report, ok := flagArg(run.args, "--junit-report")
	if !ok {
		t.Fatalf("the suite writes no --junit-report: %q", run.args)
	}
	// The host directory mounted over the report's directory.
	var hostDir string
	words := run.docker
	for i, w := range words {
		if (w == "--volume" || w == "-v") && i+1 < len(words) {
			source, target := mount(words[i+1])
			if strings.HasPrefix(report, strings.TrimSuffix(target, "/")+"/") {
				hostDir = strings.TrimPrefix(source, "${PWD}/")
			}
		}
	}
	if hostDir == "" {
		t.Fatalf("the JUnit report %s is written outside every mounted volume", report)
	}
	for _, step := range j.Steps {
		if !strings.HasPrefix(step.Uses, "actions/upload-artifact@") {
			continue
		}
		if path := strings.TrimSuffix(step.With["path"], "/"); path != strings.TrimSuffix(hostDir, "/") && path != filepath.Join(hostDir, filepath.Base(report)) {
			t.Errorf("upload-artifact path %q, want the report's directory %s", step.With["path"], hostDir)
		}
		if !strings.Contains(step.If, "always()") && !strings.Contains(step.If, "!cancelled()") {
			t.Errorf("upload-artifact if %q: the report of a failed suite would not be uploaded", step.If)
		}
		return
	}
	t.Error("no actions/upload-artifact step uploads the JUnit report")
}

func TestWorkflowAgainstTheMock(t *testing.T) {
	const name = "contract-against-mock.yml"
	j := loadWorkflow(t, name).job()
	var serviceImage string
	var hostPort string
	for _, svc := range j.Services {
		if strings.Contains(svc.Image, "rechargestatus") {
			serviceImage = svc.Image
			for _, p := range svc.Ports {
				ip, host, container := publishedPort(p)
				if container == imagePort {
					hostPort = host
				}
				if svc.Env[cli.EnvName("admin-token")] == "" && !isLoopbackHost(ip) {
					t.Errorf("the mock service has no admin token and publishes %q beyond the runner's loopback: publish 127.0.0.1:%s:%s", p, imagePort, imagePort)
				}
			}
		}
	}
	if serviceImage == "" {
		t.Fatalf("%s runs no service container from the sandbox image: %+v", name, j.Services)
	}
	if hostPort == "" {
		t.Fatalf("the mock service publishes no port for the container's %s", imagePort)
	}
	run := findContractRun(t, j)
	if run.imageExpr() != serviceImage {
		t.Errorf("the suite runs image %q, the service %q: want the same", run.imageExpr(), serviceImage)
	}
	if target, _ := flagArg(run.args, "--target"); target != "mock" {
		t.Errorf("--target %q, want mock", target)
	}
	if base, _ := flagArg(run.args, "--base-url"); base != "http://127.0.0.1:"+hostPort && base != "http://localhost:"+hostPort {
		t.Errorf("--base-url %q, want the service's published port %s on loopback", base, hostPort)
	}
	checkUploadsReport(t, j, run)
	checkContractFlags(t, name, run.args)
}

func TestWorkflowAgainstAOPay(t *testing.T) {
	const name = "contract-against-aopay.yml"
	w := loadWorkflow(t, name)
	// actionlint checks the cron syntax; this, that there is one.
	if len(w.On.Schedule) == 0 {
		t.Fatalf("%s has no schedule", name)
	}
	j := w.job()
	run := findContractRun(t, j)
	if target, _ := flagArg(run.args, "--target"); target != "real" {
		t.Errorf("--target %q, want real", target)
	}
	if strings.Contains(run.step.Run, "${{") {
		t.Error("the step's script interpolates expressions: pass them through env, so a secret never becomes shell code")
	}
	words := run.docker
	for _, setting := range []string{"base-url", "registration-id", "reference"} {
		// A setting reaches the suite as its flag or as its variable,
		// AOPAY_CONTRACT_BASE_URL for --base-url, passed into the container.
		variable := "AOPAY_CONTRACT_" + strings.ToUpper(strings.ReplaceAll(setting, "-", "_"))
		if value, ok := flagArg(run.args, "--"+setting); ok {
			variable = strings.Trim(value, "${}")
		} else if !containsPair(words, "--env", variable) && !containsPair(words, "-e", variable) {
			t.Errorf("the suite is given neither --%s nor %s", setting, variable)
			continue
		}
		if expr := run.step.Env[variable]; !strings.HasPrefix(expr, "${{ secrets.") {
			t.Errorf("--%s comes from %s = %q, want a repository secret", setting, variable, expr)
		}
	}
	checkUploadsReport(t, j, run)
	checkContractFlags(t, name, run.args)
}

// containsPair tells whether words hold flag immediately followed by value.
func containsPair(words []string, flag, value string) bool {
	for i := 0; i+1 < len(words); i++ {
		if words[i] == flag && words[i+1] == value {
			return true
		}
	}
	return false
}

// checkContractFlags checks that every flag given to aopay-contract in where
// is one the built binary documents.
func checkContractFlags(t *testing.T, where string, args []string) {
	t.Helper()
	b := binaries(t)
	cmd := exec.Command(b.contract, "--help")
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	_ = cmd.Run() // the flag package exits 0 or 2 on --help
	help := out.String()
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		documented := regexp.MustCompile(`(^|[\s,])--?` + regexp.QuoteMeta(name) + `([\s=,]|$)`)
		if !documented.MatchString(help) {
			t.Errorf("%s gives aopay-contract %s, which its --help does not list:\n%s", where, a, help)
		}
	}
	if !slices.ContainsFunc(args, func(a string) bool { return strings.HasPrefix(a, "--") }) {
		t.Errorf("%s gives aopay-contract no flags", where)
	}
}
