// Package podmantest runs podman for tests: an engine configured in a
// directory of its own (containers.conf, storage, networks, temporary
// files), so nothing system-wide changes, and local stand-ins for the
// Dockerfile's base images, which no registry serves where the tests run.
//
// The engine settings are those podman 4.3 and runc need on machines whose
// hard rlimits cannot be raised (default_ulimits = []), whose cgroups are in
// hybrid mode, which crun refuses (runtime = "runc"), and which run no
// systemd (cgroupfs, file events).
package podmantest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// debianPackages names the Debian package of each tool these tests use.
var debianPackages = map[string]string{
	"podman":         "podman",
	"runc":           "runc",
	"busybox":        "busybox-static",
	"podman-compose": "podman-compose",
}

// Require skips the test under -short, and when one of tools is missing,
// naming its Debian package; under AOPAY_REQUIRE_TOOLS=1 a missing tool
// fails the test instead.
func Require(t testing.TB, tools ...string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs containers with podman")
	}
	var missing []string
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			missing = append(missing, fmt.Sprintf("%s (Debian package %s)", tool, debianPackages[tool]))
		}
	}
	if len(missing) == 0 {
		return
	}
	msg := "not installed: " + strings.Join(missing, ", ")
	if os.Getenv("AOPAY_REQUIRE_TOOLS") == "1" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// Engine is podman with its configuration, storage, networks and temporary
// files in one directory.
type Engine struct {
	dir string
	env []string
}

// New configures an engine in dir, which it owns from then on.
func New(dir string) (*Engine, error) {
	for _, sub := range []string{"root", "run", "libpod", "networks", "tmp"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			return nil, err
		}
	}
	containers := fmt.Sprintf(`[containers]
default_ulimits = []

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
tmp_dir = %q

[network]
network_config_dir = %q
`, filepath.Join(dir, "libpod"), filepath.Join(dir, "networks"))
	storage := fmt.Sprintf(`[storage]
driver = "overlay"
graphroot = %q
runroot = %q
`, filepath.Join(dir, "root"), filepath.Join(dir, "run"))
	files := map[string]string{"containers.conf": containers, "storage.conf": storage}
	for name, text := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o600); err != nil {
			return nil, err
		}
	}
	env := withoutVars(os.Environ(), "CONTAINERS_CONF", "CONTAINERS_STORAGE_CONF", "TMPDIR", "DOCKER_HOST")
	env = append(env,
		"CONTAINERS_CONF="+filepath.Join(dir, "containers.conf"),
		"CONTAINERS_STORAGE_CONF="+filepath.Join(dir, "storage.conf"),
		// Build cache mounts and image copies land here, not in /var/tmp.
		"TMPDIR="+filepath.Join(dir, "tmp"),
	)
	return &Engine{dir: dir, env: env}, nil
}

// withoutVars is env without the variables named.
func withoutVars(env []string, names ...string) []string {
	var out []string
	for _, kv := range env {
		name, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, name) {
			out = append(out, kv)
		}
	}
	return out
}

// Dir is the engine's directory.
func (e *Engine) Dir() string { return e.dir }

// Env is the environment every podman command of the engine runs with,
// podman-compose and the API service included.
func (e *Engine) Env() []string { return append([]string(nil), e.env...) }

// Command is `podman args...` on the engine.
func (e *Engine) Command(ctx context.Context, args ...string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, "podman", args...)
	cmd.Env = e.Env()
	return cmd
}

// Podman runs `podman args...` to its end and returns its standard output,
// trimmed; its error carries the standard error.
func (e *Engine) Podman(ctx context.Context, args ...string) (string, error) {
	return run(e.Command(ctx, args...))
}

// run runs cmd and returns its trimmed standard output, or an error naming
// the command with its exit status and standard error.
func run(cmd *exec.Cmd) (string, error) {
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return string(out), fmt.Errorf("%s: %w\n%s%s", strings.Join(cmd.Args, " "), err, out, stderr.String())
	}
	return strings.TrimSpace(string(out)), nil
}

// ExitCode is the exit code an error of Podman reports, 0 for none and -1
// when the command did not run to an exit.
func ExitCode(err error) int {
	var exit *exec.ExitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &exit):
		return exit.ExitCode()
	}
	return -1
}

// Close removes every container, pod, volume and image of the engine, then
// its directory.
func (e *Engine) Close() error {
	ctx := context.Background()
	var errs []error
	for _, args := range [][]string{
		{"pod", "rm", "--all", "--force"},
		{"rm", "--all", "--force", "--time", "0"},
		{"system", "reset", "--force"},
	} {
		if _, err := e.Podman(ctx, args...); err != nil {
			errs = append(errs, err)
		}
	}
	errs = append(errs, os.RemoveAll(e.dir))
	return errors.Join(errs...)
}
