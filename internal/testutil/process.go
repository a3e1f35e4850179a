// Package testutil builds the module's commands and runs them in tests: a
// binary is built once per test binary, started, awaited until it answers
// and stopped when the test ends, with its output kept for the failure
// message.
package testutil

import (
	"bytes"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"regexp"
	"sync"
	"testing"
	"time"
)

const (
	// StartTimeout bounds how long a process may take to become ready: a
	// build under the race detector on a loaded 2-core machine included.
	StartTimeout = 30 * time.Second
	// StopTimeout bounds how long a signalled process may take to exit
	// before it is killed.
	StopTimeout = 20 * time.Second
	// pollInterval is how often a readiness condition is checked again.
	pollInterval = 10 * time.Millisecond
)

// Process is a command started by StartProcess.
type Process struct {
	// URL is the base URL the process serves, once a Ready condition has
	// learnt it.
	URL string

	cmd            *exec.Cmd
	stdout, stderr SyncBuffer
	exited         chan struct{}
	waitErr        error
	stopOnce       sync.Once
	stopErr        error
}

// Ready tells whether a started process is ready. It returns an error when
// waiting longer is pointless.
type Ready func(p *Process) (bool, error)

// StartProcess starts cmd (its Stdout and Stderr are the Process's own),
// waits until ready reports it ready, and kills it when the test ends unless
// it was stopped before. The process leads a process group of its own, so
// signals reach what it runs too (a shell's or go run's child). The test
// fails if the process exits before it is ready or StartTimeout passes.
func StartProcess(t testing.TB, cmd *exec.Cmd, ready Ready) *Process {
	t.Helper()
	p, err := TryStartProcess(t, cmd, ready)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TryStartProcess is StartProcess returning why the process did not become
// ready, its output included, instead of failing the test, for a caller
// that can try again.
func TryStartProcess(t testing.TB, cmd *exec.Cmd, ready Ready) (*Process, error) {
	t.Helper()
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = &p.stdout, &p.stderr
	ownProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %v", cmd, err)
	}
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		if p.Running() {
			p.Kill()
		}
		if t.Failed() {
			t.Logf("%s\n%s", cmd, p.Output())
		}
	})
	err := Poll(StartTimeout, func() (bool, error) {
		if !p.Running() {
			return false, fmt.Errorf("exited before it was ready: %v", p.waitErr)
		}
		return ready(p)
	})
	if err != nil {
		p.Kill()
		return nil, fmt.Errorf("%s: %v\n%s", cmd, err, p.Output())
	}
	return p, nil
}

// Running tells whether the process has not exited yet.
func (p *Process) Running() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Stop sends sig to the process's group and returns how the process ended:
// nil for exit code 0, an *exec.ExitError otherwise. A process still running
// StopTimeout later is killed, and Stop says so. Only the first Stop or Kill
// signals; later ones return what it returned.
func (p *Process) Stop(sig os.Signal) error {
	p.stopOnce.Do(func() { p.stopErr = p.stop(sig) })
	return p.stopErr
}

func (p *Process) stop(sig os.Signal) error {
	if p.Running() {
		signalGroup(p.cmd, sig)
	}
	select {
	case <-p.exited:
		return p.waitErr
	case <-time.After(StopTimeout):
		signalGroup(p.cmd, os.Kill)
		<-p.exited
		return fmt.Errorf("still running %s after %v; killed", StopTimeout, sig)
	}
}

// Kill ends the process's group at once and returns how the process ended.
func (p *Process) Kill() error { return p.Stop(os.Kill) }

// Stdout is what the process has written to its standard output so far.
func (p *Process) Stdout() string { return p.stdout.String() }

// Stderr is what the process has written to its standard error so far.
func (p *Process) Stderr() string { return p.stderr.String() }

// Output is the process's standard output and error, for failure messages.
func (p *Process) Output() string {
	return "stdout:\n" + p.Stdout() + "\nstderr:\n" + p.Stderr()
}

// listening finds the URL a command of this module logs once it listens,
// in its text (url=...) or JSON ("url":"...") log format.
var listening = regexp.MustCompile(`(?:\burl=|"url":")(https?://[^"\s]+)`)

// ListeningURL is the first URL a log says the process listens on, or "".
func ListeningURL(log string) string {
	if m := listening.FindStringSubmatch(log); m != nil {
		return m[1]
	}
	return ""
}

// LoggedURL is ready once the process has logged the URL it listens on (on
// either output) and GET of that URL plus path gets an HTTP answer, whatever
// its status. It sets the Process's URL.
func LoggedURL(path string) Ready {
	return func(p *Process) (bool, error) {
		if p.URL == "" {
			if p.URL = ListeningURL(p.Stdout()); p.URL == "" {
				p.URL = ListeningURL(p.Stderr())
			}
		}
		return p.URL != "" && answers(p.URL+path), nil
	}
}

// Answers is ready once GET of url gets an HTTP answer, whatever its status.
// It sets the Process's URL to base.
func Answers(base, path string) Ready {
	return func(p *Process) (bool, error) {
		p.URL = base
		return answers(base + path), nil
	}
}

var probe = &http.Client{Timeout: time.Second}

func answers(url string) bool {
	res, err := probe.Get(url)
	if err != nil {
		return false
	}
	res.Body.Close()
	return true
}

// Poll calls check until it reports done or fails, or timeout passes.
func Poll(timeout time.Duration, check func() (bool, error)) error {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	tick := time.NewTicker(pollInterval)
	defer tick.Stop()
	for {
		done, err := check()
		if err != nil || done {
			return err
		}
		select {
		case <-deadline.C:
			return fmt.Errorf("not ready after %s", timeout)
		case <-tick.C:
		}
	}
}

// SyncBuffer collects output written from other goroutines (a process's
// output copier, a server's logger) while the test reads it.
type SyncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *SyncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *SyncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
