package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// runMainEnv makes the test binary run main instead of the tests, so a
// link to it runs as the image's executable would.
const runMainEnv = "RUN_AOPAY_SANDBOX_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(runMainEnv) == "1" {
		main()
		return
	}
	os.Exit(m.Run())
}

func TestInvokedAs(t *testing.T) {
	cases := map[string]string{
		"/aopay-contract":           "aopay-contract",
		"aopay-contract":            "aopay-contract",
		"/usr/local/bin/aopay-mock": "aopay-mock",
		`aopay-contract.exe`:        "aopay-contract",
		"/aopay-contract-old":       "aopay-contract-old",
	}
	for argv0, want := range cases {
		if got := invokedAs(argv0); got != want {
			t.Errorf("invokedAs(%q) = %q, want %q", argv0, got, want)
		}
	}
}

// TestLinksRunTheCommandTheyName runs the executable through links named as
// the image names them, with --help, whose usage line names the command
// that answered.
func TestLinksRunTheCommandTheyName(t *testing.T) {
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cases := []struct {
		link, usage string
	}{
		{"aopay-mock", "Usage: aopay-mock "},
		{"aopay-contract", "Usage: aopay-contract "},
		// Any other name, the file's own included, runs the mock.
		{"aopay-sandbox", "Usage: aopay-mock "},
	}
	for _, tc := range cases {
		t.Run(tc.link, func(t *testing.T) {
			link := filepath.Join(dir, tc.link)
			if err := os.Symlink(self, link); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command(link, "--help")
			cmd.Env = append(os.Environ(), runMainEnv+"=1")
			out, err := cmd.CombinedOutput()
			if err != nil {
				t.Fatalf("%s --help: %v\n%s", tc.link, err, out)
			}
			if !strings.HasPrefix(string(out), tc.usage) {
				t.Errorf("%s --help printed\n%s\nwant it to begin %q", tc.link, out, tc.usage)
			}
		})
	}
}
