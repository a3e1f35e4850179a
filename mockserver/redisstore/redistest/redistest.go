// Package redistest starts a real redis-server for a test: on a free
// loopback port, its files in the test's temporary directory, stopped when
// the test ends.
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// Server is a running redis-server.
type Server struct {
	// URL is redis://127.0.0.1:PORT/0.
	URL string
	// Addr is 127.0.0.1:PORT.
	Addr string

	proc *testutil.Process
	bin  string
	dir  string
	port int
}

// Start starts a redis-server, skipping the test when Debian's package
// redis-server is not installed (failing under AOPAY_REQUIRE_TOOLS=1).
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{bin: testutil.LookTool(t, "redis-server", "redis-server"), dir: t.TempDir()}
	// A port found free may be taken before redis binds it; another is tried.
	var lastErr error
	for range 5 {
		s.port = freePort(t)
		if lastErr = s.start(t); lastErr == nil {
			return s
		}
	}
	t.Fatalf("redis-server did not start: %v", lastErr)
	return nil
}

func (s *Server) start(t testing.TB) error {
	s.Addr = fmt.Sprintf("127.0.0.1:%d", s.port)
	s.URL = "redis://" + s.Addr + "/0"
	cmd := exec.Command(s.bin, "--bind", "127.0.0.1", "--port", fmt.Sprint(s.port),
		"--dir", s.dir, "--save", "", "--appendonly", "no", "--protected-mode", "yes",
		"--logfile", filepath.Join(s.dir, "redis.log"))
	proc, err := testutil.TryStartProcess(t, cmd, func(p *testutil.Process) (bool, error) {
		return ping(s.Addr) == nil, nil
	})
	if err != nil {
		return err
	}
	s.proc = proc
	return nil
}

// Stop ends the server at once, as an outage would.
func (s *Server) Stop(t testing.TB) {
	t.Helper()
	s.proc.Kill()
}

// Restart starts the server again on the same port, empty.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if err := s.start(t); err != nil {
		t.Fatalf("restart redis-server on %s: %v", s.Addr, err)
	}
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// ping sends PING and reads +PONG.
func ping(addr string) error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	var d net.Dialer
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if !strings.HasPrefix(line, "+PONG") {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}
