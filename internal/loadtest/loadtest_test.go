package loadtest

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/gobuild"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

func TestMeasureMemory(t *testing.T) {
	r, err := MeasureMemory(context.Background(), MemoryOptions{Enquiries: 3000, Existing: 20, Creations: 2000, MaxTransactions: 50})
	if err != nil {
		t.Fatal(err)
	}
	if r.HeapBefore == 0 || r.HeapAfter == 0 || r.BytesPerTransaction <= 0 {
		t.Fatalf("report %+v", r)
	}
	if r.JournalLen != mockserver.DefaultJournalSize {
		t.Fatalf("journal holds %d, want %d", r.JournalLen, mockserver.DefaultJournalSize)
	}
	if r.CapHeld != 50 || r.CapCreated != 150 {
		t.Fatalf("cap: %d held of %d created, want 50", r.CapHeld, r.CapCreated)
	}
	var out bytes.Buffer
	WriteMemoryReport(&out, r)
	if !strings.Contains(out.String(), "bytes each") {
		t.Fatalf("report:\n%s", out.String())
	}
}

func TestMeasureStartupOfTheBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds aopay-mock")
	}
	bin := filepath.Join(t.TempDir(), "aopay-mock")
	if err := gobuild.Command(t.Context(), "", nil, nil, mockPackage, bin); err != nil {
		t.Fatal(err)
	}
	r, err := MeasureStartup(context.Background(), StartupOptions{Binary: bin, Runs: 2, Timeout: 20 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	WriteStartupReport(&out, r)
	t.Log(strings.TrimSpace(out.String()))
	if len(r.Runs) != 2 || r.Median() <= 0 {
		t.Fatalf("runs %v", r.Runs)
	}
	if _, err := MeasureStartup(context.Background(), StartupOptions{Binary: filepath.Join(t.TempDir(), "missing"), Runs: 1, Timeout: time.Second}); err == nil {
		t.Fatal("a missing binary was timed")
	}
}

func TestMainUsage(t *testing.T) {
	tests := []struct {
		name     string
		args     []string
		wantCode int
		wantErr  string
	}{
		{"help", []string{"help"}, 0, ""},
		{"--help alone", []string{"--help"}, 0, ""},
		{"unknown subcommand", []string{"nope"}, 2, "unknown subcommand"},
		{"startup without binary", []string{"startup"}, 2, "--bin is required"},
		{"bad flag", []string{"compare", "--nope"}, 2, "nope"},
		{"stray argument", []string{"memory", "extra"}, 2, "unexpected argument"},
		{"impossible options", []string{"compare", "--conns", "0"}, 2, "must be positive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main(context.Background(), tt.args, &stdout, &stderr); code != tt.wantCode {
				t.Fatalf("exit %d, want %d; stderr %s", code, tt.wantCode, stderr.String())
			}
			if !strings.Contains(stderr.String(), tt.wantErr) {
				t.Fatalf("stderr %q, want %q", stderr.String(), tt.wantErr)
			}
		})
	}
}
