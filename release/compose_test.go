package release

import (
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/compose-spec/compose-go/v2/schema"
	"gopkg.in/yaml.v3"

	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
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
	Entrypoint  []string          `yaml:"entrypoint"`
	Command     []string          `yaml:"command"`
	Ports       []string          `yaml:"ports"`
	Environment map[string]string `yaml:"environment"`
	Volumes     []string          `yaml:"volumes"`
	Healthcheck *struct {
		Test []string `yaml:"test"`
	} `yaml:"healthcheck"`
	DependsOn map[string]struct {
		Condition string `yaml:"condition"`
	} `yaml:"depends_on"`
}

// The compose files: the single mock with the contract suite, and the
// replicas sharing one sandbox through Redis.
const (
	singleCompose   = "docker-compose.yml"
	replicasCompose = "docker-compose.replicas.yml"
)

func loadCompose(t *testing.T) composeFile {
	t.Helper()
	return loadComposeFile(t, singleCompose)
}

func loadComposeFile(t *testing.T, name string) composeFile {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), name))
	if err != nil {
		t.Fatal(err)
	}
	var c composeFile
	if err := yaml.Unmarshal(data, &c); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return c
}

// TestComposeFollowsTheSpec validates the compose files against the Compose
// Specification's JSON schema, as docker compose does before it runs
// anything: a misspelt or misplaced key fails here rather than on a user's
// machine.
func TestComposeFollowsTheSpec(t *testing.T) {
	for _, name := range []string{singleCompose, replicasCompose} {
		data, err := os.ReadFile(filepath.Join(repoRoot(t), name))
		if err != nil {
			t.Fatal(err)
		}
		var doc map[string]any
		if err := yaml.Unmarshal(data, &doc); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if err := schema.Validate(doc); err != nil {
			t.Errorf("%s does not follow the Compose Specification: %v", name, err)
		}
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
	if !slices.ContainsFunc(mock.Ports, func(p string) bool { _, _, container := publishedPort(p); return container == imagePort }) {
		t.Errorf("mock publishes %q, want the image's port %s", mock.Ports, imagePort)
	}
	if mock.Environment[cli.EnvName("admin-token")] == "" {
		for _, p := range mock.Ports {
			if ip, _, _ := publishedPort(p); !isLoopbackHost(ip) {
				t.Errorf("mock has no admin token and publishes %q beyond the host's loopback: publish 127.0.0.1:%s:%s", p, imagePort, imagePort)
			}
		}
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
	mockEnv := c.Services["mock"].Environment
	allowed := strings.Split(mockEnv[cli.EnvName("allowed-hosts")], ",")
	for i := range allowed {
		allowed[i] = strings.TrimSpace(allowed[i])
	}
	if mockEnv[cli.EnvName("admin-token")] == "" && !slices.Contains(allowed, "mock") {
		t.Errorf("mock has no admin token and %s=%q: it would refuse the contract's requests for Host mock", cli.EnvName("allowed-hosts"), mockEnv[cli.EnvName("allowed-hosts")])
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

// publishedPort splits a published port, [IP:]HOST_PORT:CONTAINER_PORT[/PROTO],
// as docker run -p and compose write it.
func publishedPort(spec string) (ip, hostPort, containerPort string) {
	spec, _, _ = strings.Cut(spec, "/")
	rest, containerPort, ok := cutLast(spec, ":")
	if !ok {
		return "", "", spec
	}
	ip, hostPort, ok = cutLast(rest, ":")
	if !ok {
		return "", rest, containerPort
	}
	return strings.Trim(ip, "[]"), hostPort, containerPort
}

func cutLast(s, sep string) (before, after string, found bool) {
	if i := strings.LastIndex(s, sep); i >= 0 {
		return s[:i], s[i+len(sep):], true
	}
	return "", s, false
}

// isLoopbackHost reports whether a published port's IP binds the host's
// loopback alone; an empty one binds every interface.
func isLoopbackHost(ip string) bool {
	addr, err := netip.ParseAddr(ip)
	return ip == "localhost" || (err == nil && addr.IsLoopback())
}

func TestPublishedPort(t *testing.T) {
	tests := []struct{ spec, ip, host, container string }{
		{"8080:8080", "", "8080", "8080"},
		{"127.0.0.1:8080:8080", "127.0.0.1", "8080", "8080"},
		{"[::1]:9090:8080/tcp", "::1", "9090", "8080"},
		{"8080", "", "", "8080"},
	}
	for _, tt := range tests {
		ip, host, container := publishedPort(tt.spec)
		if ip != tt.ip || host != tt.host || container != tt.container {
			t.Errorf("publishedPort(%q) = %q %q %q, want %q %q %q", tt.spec, ip, host, container, tt.ip, tt.host, tt.container)
		}
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
