package release

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"golang.org/x/tools/txtar"
	"rsc.io/script"
	"rsc.io/script/scripttest"

	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

const readmeScript = "testdata/readme.txt"

// scriptStandsFor maps the script's variables to the README's literal
// addresses they stand for.
var scriptStandsFor = map[string]string{
	"MOCK_URL":     "http://127.0.0.1:8080",
	"PROVIDER_URL": "https://api.aopay.co.in",
}

// notRun is the script's file of commands it does not run.
const notRun = "not-run.sh"

// readmeCommands lists the commands of README.md's shell blocks, with the
// README's line of each.
func readmeCommands(t *testing.T) []shellCommand {
	t.Helper()
	f, err := os.Open(filepath.Join(repoRoot(t), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var cmds []shellCommand
	var block strings.Builder
	blockLine, inBlock := uint(0), false
	lines := bufio.NewScanner(f)
	for n := uint(1); lines.Scan(); n++ {
		line := lines.Text()
		fence, isFence := strings.CutPrefix(strings.TrimSpace(line), "```")
		switch {
		case isFence && !inBlock:
			inBlock = true
			blockLine = n
			block.Reset()
			if !slices.Contains([]string{"sh", "bash", "shell"}, strings.TrimSpace(fence)) {
				blockLine = 0 // not a shell block: skipped
			}
		case isFence:
			inBlock = false
			if blockLine == 0 {
				continue
			}
			found, err := shellCommands(block.String(), nil)
			if err != nil {
				t.Fatalf("README.md:%d: %v", blockLine, err)
			}
			for _, c := range found {
				c.line += blockLine
				cmds = append(cmds, c)
			}
		case inBlock:
			block.WriteString(line + "\n")
		}
	}
	if err := lines.Err(); err != nil {
		t.Fatal(err)
	}
	return cmds
}

// scriptCommands lists the commands of the script's .sh files by file, the
// script's variables standing for the README's addresses.
func scriptCommands(t *testing.T) map[string][]shellCommand {
	t.Helper()
	archive, err := txtar.ParseFile(readmeScript)
	if err != nil {
		t.Fatal(err)
	}
	files := map[string][]shellCommand{}
	for _, f := range archive.Files {
		if !strings.HasSuffix(f.Name, ".sh") {
			continue
		}
		cmds, err := shellCommands(string(f.Data), scriptStandsFor)
		if err != nil {
			t.Fatalf("%s, %s: %v", readmeScript, f.Name, err)
		}
		files[f.Name] = cmds
	}
	return files
}

// TestReadmeCommandsAreInTheScript holds every command the README shows to
// one the script runs (or lists in not-run.sh with its reason), so the
// README cannot gain a command nothing tries; and not-run.sh to commands
// the README still shows.
func TestReadmeCommandsAreInTheScript(t *testing.T) {
	readme := readmeCommands(t)
	if len(readme) == 0 {
		t.Fatal("found no command in README.md's ```sh blocks")
	}
	scripted := map[string]string{}
	for name, cmds := range scriptCommands(t) {
		for _, c := range cmds {
			scripted[c.key()] = name
		}
	}
	shown := map[string]bool{}
	for _, c := range readme {
		shown[c.key()] = true
		if _, ok := scripted[c.key()]; !ok {
			t.Errorf("README.md:%d: %s\n\tis in no .sh file of %s: run it there (with $MOCK_URL for %s), or list it in %s with the reason",
				c.line, c, readmeScript, scriptStandsFor["MOCK_URL"], notRun)
		}
	}
	for _, c := range scriptCommands(t)[notRun] {
		if !shown[c.key()] {
			t.Errorf("%s, %s:%d: %s is no longer in README.md", readmeScript, notRun, c.line, c)
		}
	}
}

// TestCIRunsTheReadmeTestCommand holds the README's `go test -race`
// commands, which the script cannot run (they run it), to .ci/run, which
// runs them with -count=1 to defeat the test cache.
func TestCIRunsTheReadmeTestCommand(t *testing.T) {
	data, err := os.ReadFile(filepath.Join(repoRoot(t), ".ci", "run"))
	if err != nil {
		t.Fatal(err)
	}
	ci, err := shellCommands(string(data), nil)
	if err != nil {
		t.Fatalf(".ci/run: %v", err)
	}
	checked := 0
	for _, c := range readmeCommands(t) {
		if len(c.words) < 3 || c.words[0] != "go" || c.words[1] != "test" || !slices.Contains(c.words, "-race") {
			continue
		}
		checked++
		runs := func(r shellCommand) bool {
			without := slices.DeleteFunc(slices.Clone(r.words), func(w string) bool { return w == "-count=1" })
			return len(without) == len(r.words)-1 && slices.Equal(without, c.words)
		}
		if !slices.ContainsFunc(ci, runs) {
			t.Errorf("README.md:%d: %s\n\t.ci/run does not run it with -count=1", c.line, c)
		}
	}
	if checked == 0 {
		t.Error("README.md shows no `go test -race` command")
	}
}

// TestReadmeScript runs testdata/readme.txt.
func TestReadmeScript(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("runs the README's commands: servers, go run and the contract suite")
	}
	if _, err := exec.LookPath("curl"); err != nil {
		if os.Getenv("AOPAY_REQUIRE_TOOLS") == "1" {
			t.Fatal("curl is not installed (Debian package curl)")
		}
		t.Skip("curl is not installed (Debian package curl)")
	}
	archive, err := txtar.ParseFile(readmeScript)
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	state, err := script.NewState(context.Background(), work, scriptEnv(t, work))
	if err != nil {
		t.Fatal(err)
	}
	if err := state.ExtractFiles(archive); err != nil {
		t.Fatal(err)
	}
	copyBuildContext(t, repoRoot(t), filepath.Join(work, "repo"))
	scripttest.Run(t, scriptEngine(t), state, readmeScript, strings.NewReader(string(archive.Comment)))
}

// scriptEnv is the script's whole environment: the image's binaries first
// on PATH, curl's configuration in the script's home, the go command's
// settings, and the addresses the script's servers listen on.
func scriptEnv(t *testing.T, work string) []string {
	t.Helper()
	b := binaries(t)
	mock, provider := freeLoopbackAddr(t), freeLoopbackAddr(t)
	env := []string{
		"PATH=" + b.dir + string(os.PathListSeparator) + os.Getenv("PATH"),
		"HOME=" + filepath.Join(work, "home"),
		"WORK=" + work,
		"TMPDIR=" + t.TempDir(),
		"AOPAY_MOCK_ADDR=" + mock,
		"MOCK_URL=http://" + mock,
		"PROVIDER_ADDR=" + provider,
		"PROVIDER_URL=http://" + provider,
		// The suite's read-only run paces itself to one request a second
		// against the provider; the stand-in takes more.
		"AOPAY_CONTRACT_RPS=100",
		"AOPAY_CONTRACT_NO_COLOR=true",
		// Request logs would bury a failure's cause in its output.
		"AOPAY_MOCK_LOG_LEVEL=warn",
		// Go builds as the Dockerfile's, so they share its compiled packages
		// whatever the copy's directory, and the main module alone.
		"CGO_ENABLED=0",
		"GOWORK=off",
	}
	out, err := exec.Command("go", "env", "GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOSUMDB", "GOTOOLCHAIN", "GOFLAGS").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	values := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	for i, name := range []string{"GOCACHE", "GOMODCACHE", "GOPATH", "GOPROXY", "GOSUMDB", "GOTOOLCHAIN", "GOFLAGS"} {
		value := values[i]
		if name == "GOFLAGS" {
			value = strings.TrimSpace(value + " -trimpath")
		}
		env = append(env, name+"="+value)
	}
	return env
}

// freeLoopbackAddr is a loopback address no one listens on, for a server
// the script starts on an address it is given.
func freeLoopbackAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// scriptEngine is rsc.io/script's engine with the script's two commands of
// its own, serve and stop, over processes the test stops at its end.
func scriptEngine(t *testing.T) *script.Engine {
	servers := map[string]*testutil.Process{}
	e := script.NewEngine()
	e.Cmds = scripttest.DefaultCmds()
	e.Conds = scripttest.DefaultConds()
	e.Cmds["serve"] = script.Command(
		script.CmdUsage{Summary: "run a shell file as a server until stop NAME; wait until URL answers", Args: "name url file"},
		func(s *script.State, args ...string) (script.WaitFunc, error) {
			if len(args) != 3 {
				return nil, script.ErrUsage
			}
			if servers[args[0]] != nil {
				return nil, fmt.Errorf("%s is already serving", args[0])
			}
			cmd := exec.Command("sh", s.Path(args[2]))
			cmd.Dir, cmd.Env = s.Getwd(), s.Environ()
			servers[args[0]] = testutil.StartProcess(t, cmd, testutil.Answers(args[1], ""))
			return nil, nil
		})
	e.Cmds["stop"] = script.Command(
		script.CmdUsage{Summary: "stop a server with SIGINT; fail unless it exits 0", Args: "name"},
		func(s *script.State, args ...string) (script.WaitFunc, error) {
			if len(args) != 1 {
				return nil, script.ErrUsage
			}
			p := servers[args[0]]
			if p == nil {
				return nil, fmt.Errorf("no server %s", args[0])
			}
			delete(servers, args[0])
			err := p.Stop(os.Interrupt)
			return func(*script.State) (string, string, error) { return p.Stdout(), p.Stderr(), err }, nil
		})
	return e
}
