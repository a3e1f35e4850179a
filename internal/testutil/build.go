package testutil

import (
	"context"
	"os"
	"path"
	"path/filepath"
	"runtime/debug"
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
	bins map[buildKey]*binary
}

type binary struct {
	once sync.Once
	path string
	err  error
}

// Main runs the tests of a package that calls BuildBinary, then removes the
// binaries built: call it from TestMain.
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

// BuildBinary builds the main package pkg (an import path, or a directory
// relative to the test's) once per test binary and returns the binary's
// path. It builds with the race detector when the test binary has it, so the
// build reuses the packages the test was compiled from. Builds go through
// the go command's cache of executables (package gobuild): a binary built
// before with the same sources is copied, not linked again.
func BuildBinary(t testing.TB, pkg string) string {
	t.Helper()
	return buildOnce(t, pkg, raceEnabled())
}

// BuildBinaryWithoutRace is BuildBinary without the race detector, for
// tests whose subject is the process and its files (crashes, damaged state
// files, signals, replicas sharing a store) rather than its goroutines: the
// code they run is raced in process by the packages' own tests, and a
// race-instrumented binary starts, and serves, several times slower.
func BuildBinaryWithoutRace(t testing.TB, pkg string) string {
	t.Helper()
	return buildOnce(t, pkg, false)
}

func buildOnce(t testing.TB, pkg string, race bool) string {
	t.Helper()
	built.Lock()
	if !built.main {
		built.Unlock()
		t.Fatal("testutil.BuildBinary needs func TestMain(m *testing.M) { testutil.Main(m) } to remove what it builds")
	}
	if built.bins == nil {
		built.bins = map[buildKey]*binary{}
	}
	key := buildKey{pkg: pkg, race: race}
	b := built.bins[key]
	if b == nil {
		b = &binary{}
		built.bins[key] = b
	}
	built.Unlock()
	b.once.Do(func() { b.path, b.err = build(pkg, race) })
	if b.err != nil {
		t.Fatal(b.err)
	}
	return b.path
}

// buildKey is one build of a package: with the race detector or without.
type buildKey struct {
	pkg  string
	race bool
}

func build(pkg string, race bool) (string, error) {
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
	var flags []string
	if race {
		flags = append(flags, "-race")
	}
	bin := filepath.Join(out, commandName(pkg))
	if err := gobuild.Command(context.Background(), "", nil, flags, pkg, bin); err != nil {
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

// raceEnabled tells whether the running test binary has the race detector.
func raceEnabled() bool {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return false
	}
	for _, s := range info.Settings {
		if s.Key == "-race" {
			return s.Value == "true"
		}
	}
	return false
}
