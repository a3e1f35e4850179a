package cli

import (
	"bytes"
	"context"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
)

func TestVersion(t *testing.T) {
	stamped := buildinfo.Version
	t.Cleanup(func() { buildinfo.Version = stamped })
	buildinfo.Version = "v9.8.7-test"
	cases := []struct {
		name     string
		args     []string
		wantCode int
		wantOut  string
	}{
		{"subcommand", []string{"version"}, 0, "v9.8.7-test\n"},
		{"flag", []string{"--version"}, 0, "v9.8.7-test\n"},
		{"single-dash flag", []string{"-version"}, 0, "v9.8.7-test\n"},
		{"extra argument", []string{"version", "--short"}, 2, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Run(context.Background(), tc.args, probeEnv(nil), &stdout, &stderr)
			if code != tc.wantCode {
				t.Fatalf("exit %d, want %d; stderr %q", code, tc.wantCode, stderr.String())
			}
			if stdout.String() != tc.wantOut {
				t.Errorf("stdout %q, want %q", stdout.String(), tc.wantOut)
			}
		})
	}
}
