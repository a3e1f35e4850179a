package loadtest

import (
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

func TestCompareDrivesBothTargets(t *testing.T) {
	opts := CompareOptions{Connections: 4, Rounds: 2, RoundTime: 2 * time.Second, RoundRequests: 200, Warmup: 50 * time.Millisecond}
	r, err := Compare(context.Background(), opts, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.FirstError != nil {
		t.Fatalf("a request failed: %v", r.FirstError)
	}
	if len(r.Turns) != 4 {
		t.Fatalf("%d turns, want 4", len(r.Turns))
	}
	// Rounds alternate which target goes first.
	if r.Turns[0].Target != "bare" || r.Turns[2].Target != "mock" {
		t.Fatalf("turn order %s, %s", r.Turns[0].Target, r.Turns[2].Target)
	}
	for _, turn := range append(r.Turns, r.Bare, r.Mock) {
		if turn.Requests == 0 || turn.Requests > opts.RoundRequests*opts.Rounds || turn.P50 <= 0 || turn.P99 < turn.P50 {
			t.Fatalf("turn %+v", turn)
		}
	}
	if r.ThroughputRatio() <= 0 || r.P99Ratio() <= 0 || len(r.RoundRatios()) != 2 {
		t.Fatalf("ratios %v %v %v", r.ThroughputRatio(), r.P99Ratio(), r.RoundRatios())
	}
	var out bytes.Buffer
	WriteCompareReport(&out, r)
	if !strings.Contains(out.String(), "mock/bare: throughput") {
		t.Fatalf("report:\n%s", out.String())
	}
}

func TestPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 100; i >= 1; i-- {
		d = append(d, time.Duration(i))
	}
	if p50, p99 := percentiles(d); p50 != 50 || p99 != 99 {
		t.Fatalf("p50 %d p99 %d, want 50 and 99", p50, p99)
	}
	if p50, p99 := percentiles(nil); p50 != 0 || p99 != 0 {
		t.Fatal("percentiles of nothing")
	}
}

func TestMisses(t *testing.T) {
	tests := []struct {
		name       string
		bare, mock Turn
		want       int
	}{
		{"met", Turn{Requests: 100, Elapsed: time.Second, P99: 10}, Turn{Requests: 60, Elapsed: time.Second, P99: 40}, 0},
		{"slow", Turn{Requests: 100, Elapsed: time.Second, P99: 10}, Turn{Requests: 40, Elapsed: time.Second, P99: 40}, 1},
		{"slow and late", Turn{Requests: 100, Elapsed: time.Second, P99: 10}, Turn{Requests: 40, Elapsed: time.Second, P99: 60}, 2},
		{"errors", Turn{Requests: 100, Elapsed: time.Second, P99: 10}, Turn{Requests: 90, Errors: 1, Elapsed: time.Second, P99: 10}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &CompareReport{Bare: tt.bare, Mock: tt.mock}
			if got := r.Misses(); len(got) != tt.want {
				t.Fatalf("misses %v, want %d", got, tt.want)
			}
		})
	}
}

func TestMeasureMemory(t *testing.T) {
	r, err := MeasureMemory(context.Background(), MemoryOptions{Enquiries: 3000, Existing: 20, Creations: 500, MaxTransactions: 50})
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
	build := exec.Command("go", "build", "-o", bin, "github.com/aopay-sandbox/rechargestatus/cmd/aopay-mock")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
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
		{"impossible options", []string{"compare", "--conns", "0"}, 1, "must be positive"},
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
