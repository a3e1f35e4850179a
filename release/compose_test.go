package release

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/schema"
	"gopkg.in/yaml.v3"
)

type composeFile struct {
	Services map[string]composeService `yaml:"services"`
	Volumes  map[string]any            `yaml:"volumes"`
}

type composeService struct {
	Image string `yaml:"image"`
	Build *struct {
		Context    string            `yaml:"context"`
		Dockerfile string            `yaml:"dockerfile"`
		Args       map[string]string `yaml:"args"`
	} `yaml:"build"`
	Entrypoint  []string `yaml:"entrypoint"`
	Command     []string `yaml:"command"`
	Ports       []string `yaml:"ports"`
	Volumes     []string `yaml:"volumes"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	return c
}

// TestComposeFollowsTheSpec validates docker-compose.yml against the Compose
// Specification's JSON schema, as docker compose does before it runs
// anything: a misspelt or misplaced key fails here rather than on a user's
// machine.
func TestComposeFollowsTheSpec(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("docker-compose.yml: %v", err)
	}
	if err := schema.Validate(doc); err != nil {
		t.Errorf("docker-compose.yml does not follow the Compose Specification: %v", err)
	}
}

// mount is a service volume's source and target.
func mount(spec string) (source, target string) {
	parts := strings.Split(spec, ":")
	if len(parts) < 2 {
		return "", parts[0]
	}
	return parts[0], parts[1]
}

// flagArg is the value following flag in args.
func flagArg(args []string, flag string) (string, bool) {
	at := slices.Index(args, flag)
	if at < 0 || at+1 >= len(args) {
		return "", false
	}
	return args[at+1], true
}

func TestComposeMock(t *testing.T) {
	c := loadCompose(t)
	mock, ok := c.Services["mock"]
	if !ok {
		t.Fatalf("no mock service; services %v", keys(c.Services))
	}
	if mock.Build == nil || filepath.Clean(mock.Build.Context) != "." || (mock.Build.Dockerfile != "" && mock.Build.Dockerfile != "Dockerfile") {
		t.Errorf("mock is not built from this repository's Dockerfile: %+v", mock.Build)
	}
	if mock.Build != nil && mock.Build.Args["VERSION"] == "" {
		t.Error("mock's build does not pass the VERSION build argument")
	}
	if len(mock.Entrypoint) > 0 {
		t.Errorf("mock overrides the image's entrypoint with %q", mock.Entrypoint)
	}
	if !slices.ContainsFunc(mock.Ports, func(p string) bool { return strings.HasSuffix(p, ":"+imagePort) }) {
		t.Errorf("mock publishes %q, want the image's port %s", mock.Ports, imagePort)
	}
	var stateVolume string
	for _, v := range mock.Volumes {
		if source, target := mount(v); target == stateDir {
			stateVolume = source
		}
	}
	if stateVolume == "" {
		t.Errorf("mock mounts nothing at %s: its state would be lost with the container", stateDir)
	} else if _, named := c.Volumes[stateVolume]; !named {
		t.Errorf("mock's %s is %q, want a named volume declared under volumes:", stateDir, stateVolume)
	}
	if mock.Healthcheck == nil {
		t.Fatal("mock has no healthcheck, so nothing can wait for it to be ready")
	}
	df := loadDockerfile(t)
	imageTest := healthcheckArgs(t, df)
	want := append([]string{"CMD", mockBinary}, imageTest...)
	if !slices.Equal(mock.Healthcheck.Test, want) {
		t.Errorf("mock healthcheck %q, want the image's own %q", mock.Healthcheck.Test, want)
	}
}

func TestComposeContract(t *testing.T) {
	c := loadCompose(t)
	contract, ok := c.Services["contract"]
	if !ok {
		t.Fatalf("no contract service; services %v", keys(c.Services))
	}
	if contract.Image != c.Services["mock"].Image || contract.Image == "" {
		t.Errorf("contract runs image %q, want the mock's %q", contract.Image, c.Services["mock"].Image)
	}
	if !slices.Equal(contract.Entrypoint, []string{contractBinary}) {
		t.Errorf("contract entrypoint %q, want [%q]", contract.Entrypoint, contractBinary)
	}
	if base, _ := flagArg(contract.Command, "--base-url"); base != "http://mock:"+imagePort {
		t.Errorf("contract --base-url %q, want http://mock:%s", base, imagePort)
	}
	if target, ok := flagArg(contract.Command, "--target"); ok && target != "mock" {
		t.Errorf("contract --target %q against the mock", target)
	}
	report, ok := flagArg(contract.Command, "--junit-report")
	if !ok {
		t.Fatalf("contract command %q writes no --junit-report", contract.Command)
	}
	if !slices.ContainsFunc(contract.Volumes, func(v string) bool {
		source, target := mount(v)
		return source != "" && strings.HasPrefix(report, strings.TrimSuffix(target, "/")+"/")
	}) {
		t.Errorf("contract writes %s, outside every volume %q: the report would be lost with the container", report, contract.Volumes)
	}
	if dep, ok := contract.DependsOn["mock"]; !ok || dep.Condition != "service_healthy" {
		t.Errorf("contract depends_on %+v, want mock with condition service_healthy", contract.DependsOn)
	}
	checkContractFlags(t, "docker-compose.yml", contract.Command)
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
