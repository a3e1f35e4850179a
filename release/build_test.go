package release

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/aopay-sandbox/rechargestatus/internal/gobuild"
)

// stampedVersion is the VERSION build argument the tests build with.
const stampedVersion = "v0.0.0-release-test"

// goBuild is the `go build` of the Dockerfile: the environment it runs in
// and its arguments.
type goBuild struct {
	stage string
	env   map[string]string
	args  []string
}

var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// findGoBuild finds the Dockerfile's `go build` and expands it as the
// builder would, with buildArgs as --build-arg values.
func findGoBuild(df dockerfile, buildArgs map[string]string) (goBuild, error) {
	for _, stage := range df.stages {
		env := stageEnv(stage, buildArgs)
		for _, run := range commandsOf[*instructions.RunCommand](stage) {
			if !slices.ContainsFunc(run.CmdLine, func(s string) bool { return strings.Contains(s, "go build") }) {
				continue
			}
			if !run.PrependShell {
				return goBuild{}, errors.New("the go build RUN is in exec form: it cannot expand ${VERSION}")
			}
			var vars []string
			for k, v := range env {
				vars = append(vars, k+"="+v)
			}
			words, err := shell.NewLex('\\').ProcessWords(strings.Join(run.CmdLine, " "), shell.EnvsFromSlice(vars))
			if err != nil {
				return goBuild{}, fmt.Errorf("expand %q: %w", run.CmdLine, err)
			}
			at := slices.Index(words, "go")
			if at < 0 || at+1 >= len(words) || words[at+1] != "build" {
				return goBuild{}, fmt.Errorf("RUN %q: want `go build` as its command", run.CmdLine)
			}
			for _, w := range words[:at] {
				if !assignment.MatchString(w) {
					return goBuild{}, fmt.Errorf("RUN %q: %q before go build: want only VAR=value prefixes", run.CmdLine, w)
				}
				k, v, _ := strings.Cut(w, "=")
				env[k] = v
			}
			args := words[at+2:]
			if end := slices.IndexFunc(args, func(w string) bool { return w == "&&" || w == "||" || w == ";" }); end >= 0 {
				args = args[:end]
			}
			return goBuild{stage: stage.Name, env: env, args: args}, nil
		}
	}
	return goBuild{}, errors.New("the Dockerfile runs no go build")
}

// flagValue is the value of a go build flag given as -f v, -f=v, --f v or --f=v.
func (b goBuild) flagValue(name string) (string, bool) {
	for i, a := range b.args {
		for _, dash := range []string{"-", "--"} {
			if a == dash+name && i+1 < len(b.args) {
				return b.args[i+1], true
			}
			if v, ok := strings.CutPrefix(a, dash+name+"="); ok {
				return v, true
			}
		}
	}
	return "", false
}

func (b goBuild) hasFlag(name string) bool {
	return slices.ContainsFunc(b.args, func(a string) bool {
		return a == "-"+name || a == "--"+name || a == "-"+name+"=true" || a == "--"+name+"=true"
	})
}

// packages are the build's package arguments.
func (b goBuild) packages() []string {
	var pkgs []string
	for _, a := range b.args {
		if strings.HasPrefix(a, "./") {
			pkgs = append(pkgs, a)
		}
	}
	return pkgs
}

// output is the file the build writes, its -o: one package built to one
// executable.
func (b goBuild) output() (string, error) {
	out, ok := b.flagValue("o")
	if !ok || strings.HasSuffix(out, "/") {
		return "", fmt.Errorf("go build %q: want -o naming the executable's file", b.args)
	}
	if pkgs := b.packages(); len(pkgs) != 1 {
		return "", fmt.Errorf("go build %q builds %q: want the image's one executable", b.args, pkgs)
	}
	return out, nil
}

// symlinks are the symbolic links the Dockerfile's RUNs make with
// `ln -s TARGET LINK`: LINK's path to TARGET as written.
func symlinks(df dockerfile) (map[string]string, error) {
	links := map[string]string{}
	for _, stage := range df.stages {
		for _, run := range commandsOf[*instructions.RunCommand](stage) {
			if !run.PrependShell {
				continue
			}
			words, err := shell.NewLex('\\').ProcessWords(strings.Join(run.CmdLine, " "), shell.EnvsFromSlice(nil))
			if err != nil {
				return nil, fmt.Errorf("expand %q: %w", run.CmdLine, err)
			}
			for i := 0; i+3 < len(words); i++ {
				if words[i] == "ln" && words[i+1] == "-s" && (i == 0 || slices.Contains([]string{"&&", "||", ";"}, words[i-1])) {
					links[words[i+3]] = words[i+2]
				}
			}
		}
	}
	return links, nil
}

// outputDir is the directory the Dockerfile's go build writes the image's
// executable to, and the names it holds once the Dockerfile's links beside
// it are made.
func outputDir(df dockerfile) (string, []string, error) {
	b, err := findGoBuild(df, map[string]string{"VERSION": stampedVersion})
	if err != nil {
		return "", nil, err
	}
	out, err := b.output()
	if err != nil {
		return "", nil, err
	}
	links, err := symlinks(df)
	if err != nil {
		return "", nil, err
	}
	dir := path.Dir(out)
	names := []string{path.Base(out)}
	for link := range links {
		if path.Dir(link) == dir {
			names = append(names, path.Base(link))
		}
	}
	return dir, names, nil
}

// builtBinaries are the binaries built as the Dockerfile builds them: the
// executable, as mock, and the link beside it, as contract.
type builtBinaries struct {
	mock, contract string
	dir            string // holding both, and nothing else
}

var (
	buildOnce sync.Once
	built     builtBinaries
	buildErr  error
)

func TestMain(m *testing.M) {
	code := m.Run()
	if built.dir != "" {
		os.RemoveAll(built.dir)
	}
	os.Exit(code)
}

// binaries builds aopay-mock and aopay-contract once for every test, with
// the Dockerfile's own go build command and environment, for this machine.
func binaries(t *testing.T) builtBinaries {
	t.Helper()
	buildOnce.Do(func() { built, buildErr = buildBinaries(repoRoot(t)) })
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return built
}

func buildBinaries(root string) (builtBinaries, error) {
	df, err := parseDockerfile(root)
	if err != nil {
		return builtBinaries{}, err
	}
	b, err := findGoBuild(df, map[string]string{
		"VERSION":    stampedVersion,
		"TARGETOS":   runtime.GOOS,
		"TARGETARCH": runtime.GOARCH,
	})
	if err != nil {
		return builtBinaries{}, err
	}
	out, err := b.output()
	if err != nil {
		return builtBinaries{}, err
	}
	links, err := symlinks(df)
	if err != nil {
		return builtBinaries{}, err
	}
	dir, err := os.MkdirTemp("", "aopay-release-")
	if err != nil {
		return builtBinaries{}, err
	}
	result := builtBinaries{
		mock:     filepath.Join(dir, filepath.Base(mockBinary)),
		contract: filepath.Join(dir, filepath.Base(contractBinary)),
		dir:      dir,
	}
	// The Dockerfile's go build, through the go command's cache of
	// executables, and the links it makes beside the executable.
	var flags []string
	for i := 0; i < len(b.args); i++ {
		switch arg := b.args[i]; {
		case arg == "-o" || arg == "--o":
			i++
		case !strings.HasPrefix(arg, "./"):
			flags = append(flags, arg)
		}
	}
	// The image's build context leaves go.work out (.dockerignore): the
	// main module builds alone, from its own go.mod.
	env := append(envList(os.Environ(), b.env), "GOWORK=off")
	if err := gobuild.Command(context.Background(), root, env, flags, b.packages()[0], filepath.Join(dir, path.Base(out))); err != nil {
		return result, err
	}
	for link, target := range links {
		if path.Dir(link) == path.Dir(out) {
			if err := os.Symlink(target, filepath.Join(dir, path.Base(link))); err != nil {
				return result, err
			}
		}
	}
	for _, bin := range []string{result.mock, result.contract} {
		if _, err := os.Stat(bin); err != nil {
			return result, fmt.Errorf("the Dockerfile's build makes no %s beside %s: %w", filepath.Base(bin), out, err)
		}
	}
	return result, nil
}
