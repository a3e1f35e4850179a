package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRefusesWhatItCannotServe(t *testing.T) {
	body := filepath.Join(t.TempDir(), "answer.json")
	if err := os.WriteFile(body, []byte(`{}`), 0o644); err != nil {
		t.Fatal(err)
	}
	// Cancelled: a server that starts anyway stops at once and exits 0.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--addr", "0.0.0.0:0", "--body-file", body}, "loopback"},
		{[]string{"--addr", "localhost:0", "--body-file", body}, "loopback"},
		{[]string{"--addr", "127.0.0.1:0"}, "--body-file is required"},
		{[]string{"--addr", "127.0.0.1:0", "--body-file", filepath.Join(t.TempDir(), "missing")}, "missing"},
	} {
		var stderr bytes.Buffer
		if code := run(ctx, tt.args, &stderr); code != 1 || !strings.Contains(stderr.String(), tt.want) {
			t.Errorf("%v: exit %d, stderr %q, want 1 and %q", tt.args, code, stderr.String(), tt.want)
		}
	}
}
