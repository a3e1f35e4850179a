package release

import (
	"bytes"
	"debug/buildinfo"
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

func TestBinariesAreStatic(t *testing.T) {
	t.Parallel()
	b := binaries(t)
	cases := []struct {
		name, path string
	}{
		{"aopay-mock", b.mock},
		{"aopay-contract", b.contract},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f, err := elf.Open(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			for _, p := range f.Progs {
				if p.Type == elf.PT_INTERP {
					t.Error("has a PT_INTERP program header: it needs a dynamic loader, which a distroless static or scratch image lacks")
				}
				if p.Type == elf.PT_DYNAMIC {
					t.Error("has a PT_DYNAMIC program header: it is dynamically linked")
				}
			}
			libs, err := f.ImportedLibraries()
			if err != nil {
				t.Fatal(err)
			}
			if len(libs) > 0 {
				t.Errorf("needs shared libraries (DT_NEEDED) %v", libs)
			}

			info, err := buildinfo.ReadFile(tc.path)
			if err != nil {
				t.Fatal(err)
			}
			settings := map[string]string{}
			for _, s := range info.Settings {
				settings[s.Key] = s.Value
			}
			if settings["CGO_ENABLED"] != "0" {
				t.Errorf("built with CGO_ENABLED=%q, want 0", settings["CGO_ENABLED"])
			}
			if settings["-trimpath"] != "true" {
				t.Error("built without -trimpath: the binary records the builder's paths")
			}
		})
	}
}

// TestImageExecutableRunsAsItsName runs the image's one executable by its
// own name and through the link beside it: each answers --help as the
// command it is called by.
func TestImageExecutableRunsAsItsName(t *testing.T) {
	t.Parallel()
	b := binaries(t)
	target, err := os.Readlink(b.contract)
	if err != nil || target != filepath.Base(b.mock) {
		t.Fatalf("%s: %q, %v; want a symbolic link to %s beside it", filepath.Base(b.contract), target, err, filepath.Base(b.mock))
	}
	for _, path := range []string{b.mock, b.contract} {
		name := filepath.Base(path)
		out, err := exec.Command(path, "--help").CombinedOutput()
		if err != nil {
			t.Fatalf("%s --help: %v\n%s", name, err, out)
		}
		if want := "Usage: " + name + " "; !strings.HasPrefix(string(out), want) {
			t.Errorf("%s --help printed\n%s\nwant it to begin %q", name, out, want)
		}
	}
}

// TestImageExecutableFitsTheGoal holds the executable to what leaves the
// image within imageGoal on its real base, without building the image.
func TestImageExecutableFitsTheGoal(t *testing.T) {
	t.Parallel()
	info, err := os.Stat(binaries(t).mock)
	if err != nil {
		t.Fatal(err)
	}
	if budget := int64(imageGoal - baseAllowance); info.Size() > budget {
		// The usual cause, worth megabytes: a call of reflect's Method or
		// MethodByName with a name computed at run time (text/template's
		// execution, gomega's HaveField), after which the linker keeps every
		// exported method of every type.
		t.Errorf("the image's executable is %d bytes, over %d; if the linker keeps every exported method, this names the caller:\n"+
			"  go build -ldflags=-dumpdep -o /dev/null %s 2>&1 | grep ReflectMethod", info.Size(), budget, imageExecutable)
	}
}

func TestBinariesPrintTheStampedVersion(t *testing.T) {
	b := binaries(t)
	cases := []struct {
		name, path string
		args       []string
	}{
		{"aopay-mock version", b.mock, []string{"version"}},
		{"aopay-mock --version", b.mock, []string{"--version"}},
		{"aopay-contract --version", b.contract, []string{"--version"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(tc.path, tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				t.Fatalf("%v; stderr %q", err, stderr.String())
			}
			if got := string(out); got != stampedVersion+"\n" {
				t.Errorf("printed %q, want exactly %q", got, stampedVersion+"\n")
			}
		})
	}
}

// imageEnv is the final stage's environment, moved from the container to
// this machine: listening on a free loopback port, keeping its state in dir.
func imageEnv(t *testing.T, df dockerfile, dir string) map[string]string {
	t.Helper()
	env := stageEnv(df.final(), nil)
	if env["AOPAY_MOCK_ADDR"] == "" {
		t.Fatal("the image sets no AOPAY_MOCK_ADDR")
	}
	env["AOPAY_MOCK_ADDR"] = "127.0.0.1:0"
	for k, v := range env {
		if rest, ok := strings.CutPrefix(v, stateDir+"/"); ok {
			env[k] = filepath.Join(dir, rest)
		}
	}
	env["AOPAY_MOCK_LOG_FORMAT"] = "json"
	return env
}

// healthcheckArgs are the arguments of the image's HEALTHCHECK after the
// binary. They name no address: the probe follows AOPAY_MOCK_ADDR, so a
// container started with another address stays healthy.
func healthcheckArgs(t *testing.T, df dockerfile) []string {
	t.Helper()
	checks := commandsOf[*instructions.HealthCheckCommand](df.final())
	if len(checks) != 1 {
		t.Fatalf("the final stage has %d HEALTHCHECKs, want 1", len(checks))
	}
	test := checks[0].Health.Test
	if len(test) < 3 || test[0] != "CMD" || test[1] != mockBinary {
		t.Fatalf("HEALTHCHECK %q, want CMD %s healthcheck ...", test, mockBinary)
	}
	args := slices.Clone(test[2:])
	for _, pinned := range []string{"--addr", "--url"} {
		if slices.Contains(args, pinned) {
			t.Fatalf("HEALTHCHECK %q names %s: it would probe the wrong port when %s is changed", test, pinned, cli.EnvName("addr"))
		}
	}
	return args
}

// runExit runs the binary to its end and returns its exit code.
func runExit(t *testing.T, path string, env []string, args ...string) (int, string) {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = env
	out, err := cmd.CombinedOutput()
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		return exit.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// startMock runs the mock as the image does (its entrypoint, with args
// as `docker run IMAGE ARGS...` passes them) with env, until the test ends.
func startMock(t *testing.T, path string, env []string, args ...string) *testutil.Process {
	t.Helper()
	cmd := exec.Command(path, args...)
	cmd.Env = env
	return testutil.StartProcess(t, cmd, testutil.LoggedURL("/__admin/health"))
}

// TestImageHealthcheck runs the mock as the image does and the image's
// HEALTHCHECK against it while it serves and once it has stopped.
func TestImageHealthcheck(t *testing.T) {
	t.Parallel()
	b := binaries(t)
	df := loadDockerfile(t)
	cases := []struct {
		name       string
		adminToken string
	}{
		{"open admin API", ""},
		{"admin API behind a token", "image-test-token"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vars := imageEnv(t, df, t.TempDir())
			if tc.adminToken != "" {
				// docker run -e AOPAY_MOCK_ADMIN_TOKEN=...: the server and
				// the HEALTHCHECK, run in the same container, both see it.
				vars["AOPAY_MOCK_ADMIN_TOKEN"] = tc.adminToken
			}
			env := envList(os.Environ(), vars)
			mock := startMock(t, b.mock, env)
			addr := strings.TrimPrefix(mock.URL, "http://")
			args := healthcheckArgs(t, df)
			// The server listens on a free port here; the probe, like the
			// image's, learns it from the environment.
			vars[cli.EnvName("addr")] = addr
			env = envList(os.Environ(), vars)

			if code, out := runExit(t, b.mock, env, args...); code != 0 {
				t.Fatalf("healthcheck of the serving mock: exit %d, want 0\n%s", code, out)
			}
			if tc.adminToken != "" {
				delete(vars, "AOPAY_MOCK_ADMIN_TOKEN")
				if code, out := runExit(t, b.mock, envList(os.Environ(), vars), args...); code != 1 {
					t.Fatalf("healthcheck without the admin token: exit %d, want 1\n%s", code, out)
				}
			}

			if err := mock.Stop(syscall.SIGTERM); err != nil {
				t.Fatalf("aopay-mock on SIGTERM: %v, want a clean exit\n%s", err, mock.Output())
			}
			start := time.Now()
			code, out := runExit(t, b.mock, env, args...)
			if code != 1 {
				t.Fatalf("healthcheck of the stopped mock: exit %d, want 1\n%s", code, out)
			}
			if elapsed := time.Since(start); elapsed > 3*time.Second {
				t.Errorf("healthcheck of the stopped mock took %s", elapsed)
			}
			if !strings.Contains(out, addr) {
				t.Errorf("healthcheck output %q does not name %s", out, addr)
			}
		})
	}
}
