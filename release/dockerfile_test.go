package release

import (
	"bufio"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/patternmatcher"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

// goDirective is the Go version go.mod asks for.
func goDirective(t *testing.T, root string) string {
	t.Helper()
	f, err := os.Open(filepath.Join(root, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		if v, ok := strings.CutPrefix(strings.TrimSpace(lines.Text()), "go "); ok {
			return strings.TrimSpace(v)
		}
	}
	t.Fatal("go.mod has no go directive")
	return ""
}

func TestDockerfileStages(t *testing.T) {
	root := repoRoot(t)
	df := loadDockerfile(t)
	if len(df.stages) < 2 {
		t.Fatalf("%d stage(s), want a builder and a final stage", len(df.stages))
	}
	earlier := map[string]bool{}
	for i, s := range df.stages {
		if s.BaseName != "scratch" && !earlier[strings.ToLower(s.BaseName)] && !pinned(s.BaseName) {
			t.Errorf("stage %d FROM %s: want an image pinned by an exact tag or a digest", i, s.BaseName)
		}
		if s.Name != "" {
			earlier[strings.ToLower(s.Name)] = true
		}
	}

	b, err := findGoBuild(df, map[string]string{"VERSION": stampedVersion})
	if err != nil {
		t.Fatal(err)
	}
	builder := df.stages[slices.IndexFunc(df.stages, func(s instructions.Stage) bool { return s.Name == b.stage })]
	if !strings.HasPrefix(builder.BaseName, "golang:") {
		t.Errorf("the go build runs FROM %s, want an official golang image", builder.BaseName)
	} else if tag := strings.TrimPrefix(builder.BaseName, "golang:"); !strings.HasPrefix(tag, goDirective(t, root)+"-") {
		t.Errorf("builder golang:%s, want Go %s as go.mod asks", tag, goDirective(t, root))
	}
	if b.stage == df.final().Name {
		t.Error("the go build runs in the final stage, which then carries the toolchain")
	}
	if b.env["CGO_ENABLED"] != "0" {
		t.Errorf("go build runs with CGO_ENABLED=%q, want 0 for static binaries", b.env["CGO_ENABLED"])
	}
	if !b.hasFlag("trimpath") {
		t.Errorf("go build %q lacks -trimpath", b.args)
	}
	ldflags, _ := b.flagValue("ldflags")
	if want := "-X " + versionVar + "=" + stampedVersion; !strings.Contains(ldflags, want) {
		t.Errorf("-ldflags %q does not stamp the VERSION build argument (%q)", ldflags, want)
	}
	out, err := b.output()
	if err != nil {
		t.Fatal(err)
	}
	if pkg := b.packages()[0]; pkg != imageExecutable || path.Base(out) != path.Base(mockBinary) {
		t.Errorf("go build %q builds %s as %s, want %s as %s", b.args, pkg, out, imageExecutable, path.Base(mockBinary))
	}
	links, err := symlinks(df)
	if err != nil {
		t.Fatal(err)
	}
	// Relative, so that it names the executable beside it in the image too.
	link := path.Join(path.Dir(out), path.Base(contractBinary))
	if target := links[link]; target != path.Base(mockBinary) {
		t.Errorf("%s links to %q, want a symbolic link to %s beside it (ln -s %[3]s %[1]s)", link, target, path.Base(mockBinary))
	}
}

// pinned tells whether an image reference names one release: a digest, or
// a tag other than latest that no build argument can change.
func pinned(image string) bool {
	if strings.Contains(image, "@sha256:") {
		return true
	}
	_, tag, ok := strings.Cut(image[strings.LastIndex(image, "/")+1:], ":")
	return ok && tag != "" && tag != "latest" && !strings.Contains(tag, "$")
}

func TestDockerfileFinalStage(t *testing.T) {
	df := loadDockerfile(t)
	final := df.final()
	if base := final.BaseName; base != "scratch" && !strings.HasPrefix(base, "gcr.io/distroless/static") {
		t.Errorf("final stage FROM %s, want distroless static or scratch", base)
	}

	user := lastUser(final)
	if isRootUser(user) {
		t.Errorf("final stage USER %q: the image must not run as root", user)
	}

	outDir, outNames, err := outputDir(df)
	if err != nil {
		t.Fatal(err)
	}
	links, err := symlinks(df)
	if err != nil {
		t.Fatal(err)
	}
	var copied []string
	var stateOwner string
	for _, c := range commandsOf[*instructions.CopyCommand](final) {
		for _, src := range c.SourcePaths {
			if _, isLink := links[path.Clean(src)]; isLink {
				t.Errorf("final stage COPY names the link %s: COPY copies a link it names as its target, a second executable", src)
			}
			if strings.HasSuffix(src, "/") && path.Clean(src) == outDir {
				// The directory's contents, its links kept as links.
				for _, name := range outNames {
					copied = append(copied, path.Join(c.DestPath, name))
				}
				continue
			}
			dest := c.DestPath
			if strings.HasSuffix(dest, "/") {
				dest += filepath.Base(src)
			}
			copied = append(copied, dest)
			if dest == stateDir {
				stateOwner = c.Chown
			}
		}
		if c.From == "" {
			t.Errorf("final stage COPY %q from the build context: want only the builder's output", c.SourcePaths)
		}
	}
	for _, bin := range []string{mockBinary, contractBinary} {
		if !slices.Contains(copied, bin) {
			t.Errorf("final stage does not COPY %s (copies %q)", bin, copied)
		}
	}
	if !slices.Contains(copied, stateDir) {
		t.Errorf("final stage does not COPY %s: it would be created owned by root, and the non-root user could not write its state", stateDir)
	} else if stateOwner != user {
		t.Errorf("%s is owned by %q, want the image's user %q", stateDir, stateOwner, user)
	}

	var exposed []string
	for _, e := range commandsOf[*instructions.ExposeCommand](final) {
		exposed = append(exposed, e.Ports...)
	}
	if !slices.Contains(exposed, imagePort) && !slices.Contains(exposed, imagePort+"/tcp") {
		t.Errorf("EXPOSE %q, want %s", exposed, imagePort)
	}
	var volumes []string
	for _, v := range commandsOf[*instructions.VolumeCommand](final) {
		volumes = append(volumes, v.Volumes...)
	}
	if !slices.Contains(volumes, stateDir) {
		t.Errorf("VOLUME %q, want %s", volumes, stateDir)
	}

	env := stageEnv(final, nil)
	if want := "0.0.0.0:" + imagePort; env[cli.EnvName("addr")] != want {
		t.Errorf("%s=%q, want %q so the published port reaches the mock", cli.EnvName("addr"), env[cli.EnvName("addr")], want)
	}
	if state := env[cli.EnvName("state")]; !strings.HasPrefix(state, stateDir+"/") {
		t.Errorf("%s=%q, want the state kept under the %s volume", cli.EnvName("state"), state, stateDir)
	}

	checks := commandsOf[*instructions.HealthCheckCommand](final)
	if len(checks) != 1 {
		t.Fatalf("%d HEALTHCHECKs, want 1", len(checks))
	}
	health := checks[0].Health
	if len(health.Test) < 3 || health.Test[0] != "CMD" || health.Test[1] != mockBinary || health.Test[2] != "healthcheck" {
		t.Errorf("HEALTHCHECK %q, want the exec form CMD [%q, \"healthcheck\", ...]: the image has no shell, curl or wget", health.Test, mockBinary)
	}
	if slices.Contains(health.Test, "--addr") || slices.Contains(health.Test, "--url") {
		t.Errorf("HEALTHCHECK %q pins an address; without one it probes %s, port %s in the image", health.Test, cli.EnvName("addr"), imagePort)
	}
	if health.Timeout != 0 && health.Timeout <= cli.DefaultHealthcheckTimeout {
		t.Errorf("HEALTHCHECK --timeout=%s, want more than the probe's own %s so the probe reports a hang itself", health.Timeout, cli.DefaultHealthcheckTimeout)
	}

	entrypoints := commandsOf[*instructions.EntrypointCommand](final)
	if len(entrypoints) == 0 {
		t.Fatal("no ENTRYPOINT")
	}
	ep := entrypoints[len(entrypoints)-1]
	if ep.PrependShell || !slices.Equal(ep.CmdLine, []string{mockBinary}) {
		t.Errorf("ENTRYPOINT %q (shell form %v), want the exec form [%q] so flags given to docker run reach the mock", ep.CmdLine, ep.PrependShell, mockBinary)
	}
}

// TestDockerIgnore checks that the build context leaves out what the image
// does not need and keeps every file the binaries are built from.
func TestDockerIgnore(t *testing.T) {
	root := repoRoot(t)
	matcher := dockerIgnore(t, root)
	ignored := func(path string) bool {
		t.Helper()
		m, err := matcher.MatchesOrParentMatches(path)
		if err != nil {
			t.Fatal(err)
		}
		return m
	}
	// go.work names ./release, which the build does not need: without
	// both, the builder's go build uses go.mod alone, as the static binary
	// checks do (GOWORK=off).
	for _, path := range []string{".git/HEAD", "bin/aopay-mock", "reports/junit.xml", "mockserver/cli/cli.test", "cover.out",
		"go.work", "go.work.sum", "release/go.mod"} {
		if !ignored(path) {
			t.Errorf("%s is sent to the builder", path)
		}
	}

	cmd := exec.Command("go", "list", "-deps",
		"-f", `{{if .Module}}{{if .Module.Main}}{{.Dir}}{{range .GoFiles}} {{.}}{{end}}{{range .EmbedFiles}} {{.}}{{end}}{{end}}{{end}}`,
		"./cmd/...")
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	needed := []string{"go.mod", "go.sum"}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		dir, err := filepath.Rel(root, fields[0])
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range fields[1:] {
			needed = append(needed, filepath.ToSlash(filepath.Join(dir, name)))
		}
	}
	if len(needed) < 10 {
		t.Fatalf("go list found only %q", needed)
	}
	for _, path := range needed {
		if ignored(path) {
			t.Errorf(".dockerignore leaves out %s, which the build needs", path)
		}
	}
}

// dockerIgnore matches the paths .dockerignore leaves out of the build
// context.
func dockerIgnore(t *testing.T, root string) *patternmatcher.PatternMatcher {
	t.Helper()
	f, err := os.Open(filepath.Join(root, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		t.Fatal(err)
	}
	matcher, err := patternmatcher.New(patterns)
	if err != nil {
		t.Fatal(err)
	}
	return matcher
}

// copyBuildContext copies what `docker build` sends from root to dir: the
// main module, without what .dockerignore leaves out.
func copyBuildContext(t *testing.T, root, dir string) {
	t.Helper()
	matcher := dockerIgnore(t, root)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(root, path)
		if err != nil || rel == "." {
			return err
		}
		if ignored, err := matcher.MatchesOrParentMatches(filepath.ToSlash(rel)); err != nil || ignored {
			if d.IsDir() && err == nil {
				return filepath.SkipDir
			}
			return err
		}
		target := filepath.Join(dir, rel)
		switch {
		case d.IsDir():
			return os.MkdirAll(target, 0o755)
		case d.Type().IsRegular():
			data, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			return os.WriteFile(target, data, 0o644)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("copy the build context: %v", err)
	}
}
