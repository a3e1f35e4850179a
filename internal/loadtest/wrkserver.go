package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/internal/gobuild"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

const (
	mockPackage = "github.com/aopay-sandbox/rechargestatus/cmd/aopay-mock"
	barePackage = "github.com/aopay-sandbox/rechargestatus/cmd/aopay-bare"
	// readyTimeout bounds the wait for a started server's first answer.
	readyTimeout = 15 * time.Second
)

// buildBinaries returns the binaries opts names, building into dir with go
// build those it leaves empty.
func buildBinaries(ctx context.Context, opts WrkOptions, dir string) (mock, bare string, err error) {
	mock, bare = opts.MockBinary, opts.BareBinary
	var pkgs []string
	if mock == "" && opts.MockURL == "" {
		mock = filepath.Join(dir, "aopay-mock")
		pkgs = append(pkgs, mockPackage)
	}
	if bare == "" {
		bare = filepath.Join(dir, "aopay-bare")
		pkgs = append(pkgs, barePackage)
	}
	if len(pkgs) == 0 {
		return mock, bare, nil
	}
	// Stripped as the container image's are, which also links them faster.
	for _, pkg := range pkgs {
		if err := gobuild.Command(ctx, "", nil, []string{"-ldflags=-s -w"}, pkg, filepath.Join(dir, path.Base(pkg))); err != nil {
			return "", "", fmt.Errorf("%w (or give built binaries with --bin and --bare-bin)", err)
		}
	}
	return mock, bare, nil
}

// serverProcess is a server started on a free loopback port.
type serverProcess struct {
	name    string
	url     string
	cmd     *exec.Cmd
	exited  chan error
	logPath string
}

// startServer starts binary with --addr on a free loopback port and args,
// its output kept in dir.
func startServer(name, binary, dir string, args ...string) (*serverProcess, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return nil, err
	}
	p := &serverProcess{
		name:    name,
		url:     "http://" + addr + rechargestatus.EnquiryPath,
		exited:  make(chan error, 1),
		logPath: filepath.Join(dir, name+".log"),
	}
	log, err := os.Create(p.logPath)
	if err != nil {
		return nil, err
	}
	defer log.Close()
	p.cmd = exec.Command(binary, append([]string{"--addr", addr}, args...)...)
	p.cmd.Stdout, p.cmd.Stderr = log, log
	if err := p.cmd.Start(); err != nil {
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	go func() { p.exited <- p.cmd.Wait() }()
	return p, nil
}

// waitReady polls until the server answers the page's example enquiry.
func (p *serverProcess) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, readyTimeout)
	defer cancel()
	// A fresh connection per poll: a refused dial must not be cached.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: time.Second}
	poll := time.NewTicker(5 * time.Millisecond)
	defer poll.Stop()
	for {
		ok, err := answersPageExample(ctx, client, p.url)
		if ok {
			return nil
		}
		select {
		case exit := <-p.exited:
			p.exited <- exit
			return fmt.Errorf("%s exited before answering (%v): %s", p.name, exit, p.logTail())
		case <-ctx.Done():
			return fmt.Errorf("%s did not answer the page's example within %s: %v", p.name, readyTimeout, err)
		case <-poll.C:
		}
	}
}

// logTail is the end of what the server printed.
func (p *serverProcess) logTail() string {
	b, err := os.ReadFile(p.logPath)
	if err != nil {
		return err.Error()
	}
	const most = 2048
	if len(b) > most {
		b = b[len(b)-most:]
	}
	return strings.TrimSpace(string(b))
}

// stop ends the server, asking first; one the measurement did not start
// is left running.
func (p *serverProcess) stop() {
	if p.cmd == nil {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	var exit error
	select {
	case exit = <-p.exited:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		exit = <-p.exited
	}
	p.exited <- exit
}

// serverPair is the mock and the bare server answering the same bytes.
type serverPair struct {
	mock, bare  *serverProcess
	contentType string
	answer      []byte
}

// startPair starts the mock as a user would (or takes the running one at
// opts.MockURL), takes its answer to the page's example, and starts the
// bare server answering those bytes with the mock's http.Server timeouts.
func startPair(ctx context.Context, opts WrkOptions, mockBin, bareBin, dir string) (_ *serverPair, err error) {
	s := &serverPair{}
	defer func() {
		if err != nil {
			s.stop()
		}
	}()
	if opts.MockURL != "" {
		s.mock = &serverProcess{name: "aopay-mock at " + opts.MockURL, url: opts.MockURL}
	} else if s.mock, err = startServer("aopay-mock", mockBin, dir,
		// warn: no request logs, the way to run it under load.
		append([]string{"--log-level", "warn"}, opts.MockArgs...)...); err != nil {
		return nil, err
	}
	if err := s.mock.waitReady(ctx); err != nil {
		return nil, err
	}
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	if s.contentType, s.answer, err = fetch(ctx, client, s.mock.url); err != nil {
		return nil, fmt.Errorf("aopay-mock's answer to the page's example: %w", err)
	}
	bodyFile := filepath.Join(dir, "answer.json")
	if err := os.WriteFile(bodyFile, s.answer, 0o644); err != nil {
		return nil, err
	}
	s.bare, err = startServer("aopay-bare", bareBin, dir,
		"--content-type", s.contentType, "--body-file", bodyFile,
		"--read-header-timeout", mockserver.ReadHeaderTimeout.String(),
		"--read-timeout", mockserver.ReadTimeout.String(),
		"--write-timeout", mockserver.WriteTimeout.String(),
		"--idle-timeout", mockserver.IdleTimeout.String())
	if err != nil {
		return nil, err
	}
	if err := s.bare.waitReady(ctx); err != nil {
		return nil, err
	}
	return s, s.checkSameAnswer(ctx)
}

func (s *serverPair) url(target string) string {
	if target == "mock" {
		return s.mock.url
	}
	return s.bare.url
}

// checkSameAnswer asks both for the page's example and compares each
// answer, Content-Type and body, with the mock's first one byte for byte.
func (s *serverPair) checkSameAnswer(ctx context.Context) error {
	client := &http.Client{Transport: &http.Transport{Proxy: nil}, Timeout: 5 * time.Second}
	defer client.CloseIdleConnections()
	var errs []error
	for _, p := range []*serverProcess{s.mock, s.bare} {
		contentType, body, err := fetch(ctx, client, p.url)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("%s: %w", p.name, err))
		case contentType != s.contentType || !bytes.Equal(body, s.answer):
			errs = append(errs, fmt.Errorf("%s answered %q %q, want %q %q", p.name, contentType, body, s.contentType, s.answer))
		}
	}
	return errors.Join(errs...)
}

func (s *serverPair) stop() {
	for _, p := range []*serverProcess{s.mock, s.bare} {
		if p != nil {
			p.stop()
		}
	}
}
