package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore/boltstoretest"
)

// promptly bounds how long aopay-mock may take to give up on a damaged file
// or to stop on SIGTERM.
const promptly = 5 * time.Second

// TestBinaryHardening runs the aopay-mock binary, built once, against what
// would otherwise crash it or hold it up: damaged state files and a client
// that stops half-way through a body when the server is told to stop.
func TestBinaryHardening(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and runs the aopay-mock binary")
	}
	bin := testutil.BuildBinaryWithoutRace(t, ".")
	t.Run("damaged state files", func(t *testing.T) { testDamagedStateFiles(t, bin) })
	t.Run("SIGTERM while a body is half sent", func(t *testing.T) { testSIGTERMWithHalfSentBody(t, bin) })
}

// binaryDamages are the damage of each kind the binary is run on: cut
// short, garbage and zeros over page headers and item headers, and a flipped
// bit that makes reading fault. The boltstore tests open every damage of
// boltstoretest.Damages in process.
var binaryDamages = []string{
	"cut to 1 MiB",
	"cut to 8 KiB",
	"garbage over a branch page header",
	"zeros over a leaf page header",
	"garbage over a leaf page's item headers",
	"zeros over a freelist page's item headers",
	"a flipped bit sending a branch item past the end of the file",
}

func testDamagedStateFiles(t *testing.T, bin string) {
	sample := filepath.Join(t.TempDir(), "sample.db")
	// Over 1 MiB of pages, so that cutting the file to 1 MiB loses some.
	if err := boltstoretest.WriteState(sample, 5<<18); err != nil {
		t.Fatal(err)
	}
	undamaged, err := os.ReadFile(sample)
	if err != nil {
		t.Fatal(err)
	}
	damages := make(map[string]boltstoretest.Damage)
	for _, d := range boltstoretest.Damages() {
		damages[d.Name] = d
	}
	for _, name := range binaryDamages {
		d, ok := damages[name]
		if !ok {
			t.Fatalf("boltstoretest has no damage %q", name)
		}
		t.Run(d.Name, func(t *testing.T) {
			t.Parallel()
			state := filepath.Join(t.TempDir(), "state.db")
			if err := os.WriteFile(state, undamaged, 0o600); err != nil {
				t.Fatal(err)
			}
			if err := d.Apply(state); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(context.Background(), promptly)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "--state", state, "--addr", "127.0.0.1:0", "--log-level", "warn")
			cmd.Env = cleanEnv()
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			var ee *exec.ExitError
			if !errors.As(err, &ee) || ee.ExitCode() != 1 {
				t.Fatalf("ended with %v, want exit code 1; stderr:\n%s", err, &stderr)
			}
			want := regexp.MustCompile(`^aopay-mock: state file ` + regexp.QuoteMeta(state) + ` is corrupt: [^\n]+; move it aside or restore a backup\n$`)
			if !want.Match(stderr.Bytes()) {
				t.Errorf("stderr %q, want one line matching %s", &stderr, want)
			}
			for _, crash := range []string{"goroutine", "panic", "SIGSEGV", "SIGBUS"} {
				if out := stdout.String() + stderr.String(); strings.Contains(out, crash) {
					t.Errorf("output mentions %q:\n%s", crash, out)
				}
			}
		})
	}
}

// testSIGTERMWithHalfSentBody stops the server while a client has sent 10
// of the 1000 body bytes it announced: the server must not wait for the
// rest. Its state file starts empty, which makes a new store.
func testSIGTERMWithHalfSentBody(t *testing.T, bin string) {
	state := filepath.Join(t.TempDir(), "state.db")
	if err := os.WriteFile(state, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	p := startMock(t, bin, state)
	conn, err := net.Dial("tcp", strings.TrimPrefix(p.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	// Expect: 100-continue makes the server say when its handler starts
	// reading the body, so the signal is known to find it there.
	head := "POST " + rechargestatus.EnquiryPath + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n" +
		"Content-Length: 1000\r\nExpect: 100-continue\r\n\r\n"
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	_ = conn.SetReadDeadline(time.Now().Add(promptly))
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.HasPrefix(status, "HTTP/1.1 100 ") {
		t.Fatalf("before the body: %q %v, want 100 Continue", status, err)
	}
	if _, err := io.WriteString(conn, `{"referenc`); err != nil {
		t.Fatal(err)
	}
	stopsPromptly(t, p.Process)
}

// stopsPromptly sends p SIGTERM and fails the test unless it exits 0 within
// promptly; a process still running then is killed.
func stopsPromptly(t *testing.T, p *testutil.Process) {
	t.Helper()
	start := time.Now()
	stopped := make(chan error, 1)
	go func() { stopped <- p.Stop(syscall.SIGTERM) }()
	select {
	case err := <-stopped:
		if err != nil {
			t.Fatalf("ended with %v, want exit code 0; %s", err, p.Output())
		}
		t.Logf("stopped in %v", time.Since(start).Round(time.Millisecond))
	case <-time.After(promptly):
		_ = p.Kill()
		t.Fatalf("still running %v after SIGTERM", promptly)
	}
}
