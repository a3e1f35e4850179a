package main

import (
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// TestReloadOfWhatIsNotARegularFile reloads a fixtures directory holding a
// named pipe, or a .yaml symlinked to /dev/zero, through the admin API and
// SIGHUP: each reload is refused at once with a message naming the file,
// the previous fixtures stay in force, and SIGTERM still ends the process
// within its timeout.
func TestReloadOfWhatIsNotARegularFile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the aopay-mock binary")
	}
	bin := testutil.BuildBinaryWithoutRace(t, ".")
	tests := []struct {
		name string
		make func(path string) error
		want string
	}{
		{"named pipe", func(path string) error { return syscall.Mkfifo(path, 0o600) }, "is a named pipe (FIFO), not a regular file"},
		{"symlink to /dev/zero", func(path string) error { return os.Symlink("/dev/zero", path) }, "is a device, not a regular file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			fixture := "registrations:\n  - id: AOP-554\ntransactions:\n  - {registrationId: AOP-554, referenceId: KEPT-0001, state: success}\n"
			if err := os.WriteFile(filepath.Join(dir, "a.yaml"), []byte(fixture), 0o600); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(bin, "--fixtures", dir, "--addr", "127.0.0.1:0", "--log-format", "json")
			cmd.Env = cleanEnv()
			p := testutil.StartProcess(t, cmd, testutil.LoggedURL("/__admin/health"))
			special := filepath.Join(dir, "b.yaml")
			if err := tt.make(special); err != nil {
				t.Skipf("cannot make a %s here: %v", tt.name, err)
			}

			client := &http.Client{Timeout: promptly}
			res, err := client.Post(p.URL+admin.PathPrefix+"fixtures/reload", "application/json", nil)
			if err != nil {
				t.Fatalf("reload: %v", err)
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(string(body), special+" "+tt.want) {
				t.Fatalf("reload answered %d %s, want 422 naming %s", res.StatusCode, body, special)
			}

			if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
				t.Fatal(err)
			}
			err = testutil.Poll(promptly, func() (bool, error) {
				return strings.Contains(p.Stdout(), "fixtures reload on SIGHUP failed"), nil
			})
			if err != nil {
				t.Fatalf("no failed reload logged after SIGHUP: %v\n%s", err, p.Output())
			}
			if !strings.Contains(p.Stdout(), tt.want) {
				t.Errorf("the failed reload is logged without its reason: %s", p.Stdout())
			}

			stopsPromptly(t, p)
		})
	}
}
