package testutil

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a small server: it listens on a
// free loopback port, logs its URL as the module's commands do, and exits
// with the code the variable holds on SIGINT. "early" exits at once.
const helperEnv = "TESTUTIL_HELPER_EXIT"

func TestMain(m *testing.M) {
	if code := os.Getenv(helperEnv); code != "" {
		helper(code)
		return
	}
	Main(m)
}

func helper(code string) {
	if code == "early" {
		fmt.Fprintln(os.Stderr, "cannot start")
		os.Exit(1)
	}
	interrupted := make(chan os.Signal, 1)
	signal.Notify(interrupted, os.Interrupt)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hello") }))
	fmt.Printf(`{"msg":"listening","url":"http://%s"}`+"\n", l.Addr())
	<-interrupted
	n, _ := strconv.Atoi(code)
	os.Exit(n)
}

func helperCommand(exitCode string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), helperEnv+"="+exitCode)
	return cmd
}

func TestStartProcessWaitsForTheLoggedURL(t *testing.T) {
	p := StartProcess(t, helperCommand("0"), LoggedURL("/"))
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		t.Fatalf("URL %q, want the logged loopback URL", p.URL)
	}
	res, err := http.Get(p.URL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if err := p.Stop(os.Interrupt); err != nil {
		t.Fatalf("Stop: %v, want the clean exit\n%s", err, p.Output())
	}
	if p.Running() {
		t.Fatal("running after Stop")
	}
}

func TestStopReportsTheExitCode(t *testing.T) {
	p := StartProcess(t, helperCommand("3"), LoggedURL("/"))
	err := p.Stop(os.Interrupt)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 3 {
		t.Fatalf("Stop: %v, want exit code 3", err)
	}
	if again := p.Kill(); again != err {
		t.Fatalf("Kill after Stop: %v, want Stop's %v", again, err)
	}
}

// TestStopReachesTheProcessGroup stops a shell that runs the server as its
// child, as go run does: the signal must reach the child too.
func TestStopReachesTheProcessGroup(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no process groups")
	}
	cmd := helperCommand("0")
	cmd.Args = []string{"sh", "-c", `"$0" -test.run='^$'; echo after`, os.Args[0]}
	cmd.Path = "/bin/sh"
	p := StartProcess(t, cmd, LoggedURL("/"))
	start := time.Now()
	if err := p.Stop(os.Interrupt); err != nil && strings.Contains(err.Error(), "killed") {
		t.Fatalf("Stop: %v: the shell's child did not get the signal", err)
	}
	if elapsed := time.Since(start); elapsed > StopTimeout/2 {
		t.Errorf("Stop took %s", elapsed)
	}
	if answers(p.URL) {
		t.Errorf("%s still answers after Stop", p.URL)
	}
}

func TestStartProcessFailsWhenTheProcessExitsFirst(t *testing.T) {
	ft := &fatalTB{TB: t}
	start := time.Now()
	ft.run(func() { StartProcess(ft, helperCommand("early"), LoggedURL("/")) })
	if ft.fatal == "" {
		t.Fatal("StartProcess returned for a process that exited before it was ready")
	}
	if !strings.Contains(ft.fatal, "exited before it was ready") || !strings.Contains(ft.fatal, "cannot start") {
		t.Errorf("failure %q, want the reason and the process's output", ft.fatal)
	}
	if elapsed := time.Since(start); elapsed > StartTimeout/2 {
		t.Errorf("took %s to notice the exit", elapsed)
	}
}

func TestPoll(t *testing.T) {
	calls := 0
	if err := Poll(time.Second, func() (bool, error) { calls++; return calls == 3, nil }); err != nil || calls != 3 {
		t.Fatalf("Poll: %v after %d calls, want done at the third", err, calls)
	}
	stop := errors.New("stop")
	if err := Poll(time.Second, func() (bool, error) { return false, stop }); err != stop {
		t.Fatalf("Poll: %v, want the check's error", err)
	}
	if err := Poll(30*time.Millisecond, func() (bool, error) { return false, nil }); err == nil {
		t.Fatal("Poll of a check never done returned no error")
	}
}

func TestListeningURL(t *testing.T) {
	for log, want := range map[string]string{
		`time=x level=INFO msg="aopay-mock listening" url=http://127.0.0.1:4321 endpoint=/api`: "http://127.0.0.1:4321",
		`{"level":"INFO","msg":"aopay-mock listening","url":"http://127.0.0.1:4321"}`:          "http://127.0.0.1:4321",
		`msg="starting" curl=nothing`: "",
	} {
		if got := ListeningURL(log); got != want {
			t.Errorf("ListeningURL(%q) = %q, want %q", log, got, want)
		}
	}
}

// fatalTB records the first Fatal and ends the goroutine as testing.T does.
type fatalTB struct {
	testing.TB
	mu    sync.Mutex
	fatal string
}

func (f *fatalTB) Fatalf(format string, args ...any) {
	f.mu.Lock()
	f.fatal = fmt.Sprintf(format, args...)
	f.mu.Unlock()
	runtime.Goexit()
}

func (f *fatalTB) Fatal(args ...any) { f.Fatalf("%s", fmt.Sprint(args...)) }

func (f *fatalTB) run(fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	<-done
}
