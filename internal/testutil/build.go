package testutil

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/internal/gobuild"
)

// built holds the binaries built by this test binary, by package.
var built struct {
	sync.Mutex
	dir  string // removed by Main
	main bool   // Main runs the tests
	bins map[string]*binary
}

type binary struct {
	once sync.Once
	path string
	err  error
}

// Main runs the tests of a package that calls BuildBinaryWithoutRace, then
// removes the binaries built: call it from TestMain.
func Main(m *testing.M) {
	built.Lock()
	built.main = true
	built.Unlock()
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// BuildBinaryWithoutRace builds the main package pkg (an import path, or a
// directory relative to the test's) once per test binary, without the race
// detector, and returns the binary's path. It serves tests whose subject is
// the process and its files (crashes, damaged state files, signals,
// replicas sharing a store, a command's verdict) rather than its
// goroutines: the code they run is raced in process by the packages' own
// tests, and a race-instrumented binary starts, and serves, several times
// slower. Builds go through the go command's cache of executables (package
// gobuild): a binary built before with the same sources is copied, not
// linked again.
func BuildBinaryWithoutRace(t testing.TB, pkg string) string {
	t.Helper()
	built.Lock()
	if !built.main {
		built.Unlock()
		t.Fatal("testutil.BuildBinaryWithoutRace needs func TestMain(m *testing.M) { testutil.Main(m) } to remove what it builds")
	}
	if built.bins == nil {
		built.bins = map[string]*binary{}
	}
	b := built.bins[pkg]
	if b == nil {
		b = &binary{}
		built.bins[pkg] = b
	}
	built.Unlock()
	b.once.Do(func() { b.path, b.err = build(pkg) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

func build(pkg string) (string, error) {
	built.Lock()
	var err error
	if built.dir == "" {
		built.dir, err = os.MkdirTemp("", "testutil-bin-")
	}
	dir := built.dir
	built.Unlock()
	if err != nil {
		return "", err
	}
	out, err := os.MkdirTemp(dir, "")
	if err != nil {
		return "", err
	}
	bin := filepath.Join(out, commandName(pkg))
	if err := gobuild.Command(context.Background(), "", nil, nil, pkg, bin); err != nil {
		return "", err
	}
	return bin, nil
}

// commandName is the name go build gives the binary of pkg: the last
// element of its import path or directory.
func commandName(pkg string) string {
	if strings.HasPrefix(pkg, ".") {
		if abs, err := filepath.Abs(pkg); err == nil {
			return filepath.Base(abs)
		}
	}
	return path.Base(pkg)
}
