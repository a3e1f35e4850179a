package release

import (
	"context"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// composeProject names the containers, network and volumes the test brings up.
const composeProject = "aopayreleasetest"

// testCompose brings docker-compose.yml up with Debian's podman-compose:
// the mock until it is healthy, then the contract service against it, then
// everything down.
//
// podman-compose 1.0.3 ignores depends_on's condition and wraps a
// healthcheck in /bin/sh -c, which the image does not have: the test waits
// for the mock's health with `podman exec` before it starts the suite, as a
// user of podman-compose must.
func testCompose(t *testing.T, img sandboxImage) {
	dir := composeCopy(t, img.ref)
	compose := func(args ...string) (string, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
		defer cancel()
		cmd := exec.CommandContext(ctx, "podman-compose", append([]string{"--project-name", composeProject, "--file", filepath.Join(dir, "docker-compose.yml")}, args...)...)
		cmd.Dir = dir
		cmd.Env = envWithout(img.engine.Env(), "VERSION", "AOPAY_UID", "AOPAY_GID")
		// A file, not a pipe: podman children of podman-compose may hold
		// its output open after it exits.
		log, err := os.CreateTemp(dir, "podman-compose-*.log")
		if err != nil {
			t.Fatal(err)
		}
		defer log.Close()
		cmd.Stdout, cmd.Stderr = log, log
		err = cmd.Run()
		out, _ := os.ReadFile(log.Name())
		return string(out), err
	}
	t.Cleanup(func() {
		if out, err := compose("down", "--volumes"); err != nil {
			t.Errorf("podman-compose down: %v\n%s", err, out)
		}
		// podman-compose 1.0.3 leaves its network behind.
		img.engine.Podman(context.Background(), "network", "rm", composeProject+"_default")
		left, err := img.engine.Podman(context.Background(), "ps", "--all", "--quiet", "--filter", "label=io.podman.compose.project="+composeProject)
		if err != nil || left != "" {
			t.Errorf("after podman-compose down: containers %q left (%v)", left, err)
		}
	})
	out, err := compose("up", "--detach", "mock")
	if err != nil {
		images, _ := img.engine.Podman(context.Background(), "images")
		t.Fatalf("podman-compose up --detach mock: %v\n%s\nimages:\n%s", err, out, images)
	}
	mock := img.podman(t, "ps", "--all", "--format", "{{.Names}}",
		"--filter", "label=io.podman.compose.project="+composeProject, "--filter", "label=com.docker.compose.service=mock")
	if mock == "" || strings.Contains(mock, "\n") {
		t.Fatalf("podman-compose up --detach mock: containers %q of service mock\n%s", mock, out)
	}
	var last error
	err = testutil.Poll(testutil.StartTimeout, func() (bool, error) {
		_, last = img.engine.Podman(t.Context(), "exec", mock, mockBinary, "healthcheck")
		return last == nil, nil
	})
	if err != nil {
		logs, _ := img.engine.Podman(context.Background(), "logs", mock)
		t.Fatalf("the compose mock never became healthy: %v\nlogs:\n%s", last, logs)
	}

	// --no-deps: the mock is up, and podman-compose would attach to it.
	out, err = compose("up", "--no-deps", "--exit-code-from", "contract", "contract")
	if err != nil {
		t.Fatalf("podman-compose up --exit-code-from contract: %v\n%s", err, out)
	}
	report, err := os.ReadFile(filepath.Join(dir, "reports", "junit.xml"))
	if err != nil {
		t.Fatalf("the contract service wrote no report: %v\n%s", err, out)
	}
	var suites struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
	}
	if err := xml.Unmarshal(report, &suites); err != nil {
		t.Fatalf("JUnit report: %v", err)
	}
	if suites.Tests == 0 || suites.Failures != 0 || suites.Errors != 0 {
		t.Errorf("JUnit report: %d tests, %d failures, %d errors; want tests and no failure", suites.Tests, suites.Failures, suites.Errors)
	}
}

// composeCopy writes docker-compose.yml into a directory of the test's own,
// where the contract's ./reports lands, with the mock's port published on a
// free loopback port instead of 8080, which may be taken, and both services
// on image, already built and named in full: podman-compose would build
// without the stand-ins' mounts, and podman 4.3 does not find the image
// the test built by the short name aopay-sandbox:compose.
func composeCopy(t *testing.T, image string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "docker-compose.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatal(err)
	}
	services, _ := doc["services"].(map[string]any)
	mock, _ := services["mock"].(map[string]any)
	if mock == nil {
		t.Fatal("docker-compose.yml has no mock service")
	}
	mock["ports"] = []string{"127.0.0.1::" + imagePort}
	for name, svc := range services {
		svc, _ := svc.(map[string]any)
		if svc == nil {
			t.Fatalf("docker-compose.yml: service %s is not a mapping", name)
		}
		svc["image"] = image
		delete(svc, "build")
		delete(svc, "<<")
	}
	out, err := yaml.Marshal(doc)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "docker-compose.yml"), out, 0o644); err != nil {
		t.Fatal(err)
	}
	// Docker creates a missing bind-mount source; podman-compose 1.0.3 may not.
	if err := os.Mkdir(filepath.Join(dir, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

// envWithout is env without the variables named.
func envWithout(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}
