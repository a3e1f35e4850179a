package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

func TestStateFileThatStartsANewStoreIsLogged(t *testing.T) {
	tests := []struct {
		name    string
		prepare func(path string) error
		want    string
	}{
		{"empty", func(path string) error { return os.WriteFile(path, nil, 0o600) }, "state file is empty: it starts a new store"},
		{"missing", func(string) error { return nil }, "state file does not exist: it is created and starts a new store"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "state.db")
			if err := tt.prepare(path); err != nil {
				t.Fatal(err)
			}
			_, out := startMock(t, []string{"--state", path, "--log-level", "warn"}, nil)
			if log := out.String(); !strings.Contains(log, tt.want) || !strings.Contains(log, path) {
				t.Fatalf("log %q, want %q for %s", log, tt.want, path)
			}
		})
	}
}

func TestCorruptStateFileIsOneLineAndExitOne(t *testing.T) {
	path := filepath.Join(t.TempDir(), "state.db")
	// Not a bbolt file at all: two pages of text.
	if err := os.WriteFile(path, bytes.Repeat([]byte("not a database "), 600), 0o600); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"--state", path, "--addr", "127.0.0.1:0"}, envOf(nil), &stdout, &stderr)
	want := regexp.MustCompile(`^aopay-mock: state file ` + regexp.QuoteMeta(path) + ` is corrupt: [^\n]+; move it aside or restore a backup\n$`)
	if code != 1 || !want.Match(stderr.Bytes()) {
		t.Fatalf("exit %d, stderr %q; want 1 and one line matching %s", code, &stderr, want)
	}
	if strings.Contains(stdout.String(), "listening") {
		t.Fatalf("served from a corrupt file: %s", &stdout)
	}
}

// TestStateDirectoryIsSaidToBeOne: --state naming a directory is one line
// saying so, not a corrupt database.
func TestStateDirectoryIsSaidToBeOne(t *testing.T) {
	dir := t.TempDir()
	var stdout, stderr bytes.Buffer
	code := Run(context.Background(), []string{"--state", dir, "--addr", "127.0.0.1:0"}, envOf(nil), &stdout, &stderr)
	want := "aopay-mock: state file " + dir + " is a directory: --state names the file to keep the state in, such as " + filepath.Join(dir, "state.db") + "\n"
	if code != 1 || stderr.String() != want {
		t.Fatalf("exit %d, stderr %q; want 1 and %q", code, &stderr, want)
	}
}
