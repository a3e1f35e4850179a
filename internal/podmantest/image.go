package podmantest

import (
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Stand-in images take the names of the Dockerfile's bases in the engine's
// own storage, and the build runs with --pull=never, so the Dockerfile is
// built unchanged:
//
//   - golang:* becomes busybox with the Go environment of the official
//     image, the host's Go toolchain (GOROOT), module downloads (as a
//     GOPROXY) and build cache mounted at build time: the builder stage
//     compiles for real, in the container, with warm caches;
//   - any other base becomes what distroless static nonroot holds: users
//     root and nonroot (65532), /tmp, CA certificates and no shell.
const (
	goRootMount  = "/usr/local/go"
	goProxyMount = "/goproxy"
	goCacheMount = "/gocache"
)

// NonrootUID is the user distroless's nonroot images, and the stand-in,
// run as.
const NonrootUID = 65532

// Bases are the images a Dockerfile's stages start FROM, leaving out
// scratch and its own earlier stages, read the way the builder reads them:
// flags such as --platform skipped.
func Bases(dockerfile string) ([]string, error) {
	f, err := os.Open(dockerfile)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var bases, stages []string
	lines := bufio.NewScanner(f)
	for lines.Scan() {
		words := strings.Fields(lines.Text())
		if len(words) < 2 || !strings.EqualFold(words[0], "FROM") {
			continue
		}
		words = slices.DeleteFunc(words[1:], func(w string) bool { return strings.HasPrefix(w, "--") })
		if len(words) == 0 {
			return nil, fmt.Errorf("%s: FROM without an image", dockerfile)
		}
		base := words[0]
		if len(words) >= 3 && strings.EqualFold(words[1], "AS") {
			stages = append(stages, strings.ToLower(words[2]))
		}
		if base != "scratch" && !slices.Contains(stages[:max(0, len(stages)-1)], strings.ToLower(base)) && !slices.Contains(bases, base) {
			bases = append(bases, base)
		}
	}
	return bases, lines.Err()
}

// fullName is how podman stores an image reference: with its registry,
// docker.io's library/ for official images.
func fullName(ref string) string {
	first, _, hasSlash := strings.Cut(ref, "/")
	if hasSlash && (strings.ContainsAny(first, ".:") || first == "localhost") {
		return ref
	}
	if !hasSlash {
		return "docker.io/library/" + ref
	}
	return "docker.io/" + ref
}

// BuildStandIns builds a stand-in for each base of dockerfile.
func (e *Engine) BuildStandIns(ctx context.Context, dockerfile string) error {
	bases, err := Bases(dockerfile)
	if err != nil {
		return err
	}
	for _, base := range bases {
		build := e.buildRuntimeStandIn
		if strings.HasPrefix(base, "golang:") {
			build = e.buildGoStandIn
		}
		if err := build(ctx, fullName(base)); err != nil {
			return fmt.Errorf("stand-in for %s: %w", base, err)
		}
	}
	return nil
}

// standInContext is a fresh build context directory for the stand-in tag.
func (e *Engine) standInContext(tag string) (string, error) {
	dir := filepath.Join(e.dir, "stand-ins", strings.NewReplacer("/", "_", ":", "_").Replace(tag))
	if err := os.RemoveAll(dir); err != nil {
		return "", err
	}
	return dir, os.MkdirAll(dir, 0o755)
}

func (e *Engine) buildGoStandIn(ctx context.Context, tag string) error {
	dir, err := e.standInContext(tag)
	if err != nil {
		return err
	}
	busybox, err := staticBusybox()
	if err != nil {
		return err
	}
	if err := copyFile(busybox, filepath.Join(dir, "bin", "busybox"), 0o755); err != nil {
		return err
	}
	for _, applet := range []string{"sh", "mkdir", "cp", "ln", "ls", "cat", "env"} {
		if err := os.Symlink("busybox", filepath.Join(dir, "bin", applet)); err != nil {
			return err
		}
	}
	for _, d := range []string{"tmp", "root", "go"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	containerfile := `FROM scratch
COPY bin /bin
COPY tmp /tmp
COPY root /root
COPY go /go
ENV PATH=/go/bin:` + goRootMount + `/bin:/bin \
    GOPATH=/go HOME=/root GOTOOLCHAIN=local \
    GOPROXY=file://` + goProxyMount + ` GOSUMDB=off GOCACHE=` + goCacheMount + `
WORKDIR /go
`
	return e.buildContext(ctx, dir, tag, containerfile)
}

func (e *Engine) buildRuntimeStandIn(ctx context.Context, tag string) error {
	dir, err := e.standInContext(tag)
	if err != nil {
		return err
	}
	files := map[string]string{
		"etc/passwd":        fmt.Sprintf("root:x:0:0:root:/root:/sbin/nologin\nnobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\nnonroot:x:%d:%d:nonroot:/home/nonroot:/sbin/nologin\n", NonrootUID, NonrootUID),
		"etc/group":         fmt.Sprintf("root:x:0:\nnobody:x:65534:\nnonroot:x:%d:\n", NonrootUID),
		"etc/nsswitch.conf": "hosts: files dns\n",
	}
	for name, text := range files {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(text), 0o644); err != nil {
			return err
		}
	}
	if err := copyFile("/etc/ssl/certs/ca-certificates.crt", filepath.Join(dir, "etc/ssl/certs/ca-certificates.crt"), 0o644); err != nil {
		return err
	}
	for _, d := range []string{"tmp", "home/nonroot"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(dir, "tmp"), 0o1777); err != nil {
		return err
	}
	containerfile := fmt.Sprintf(`FROM scratch
COPY etc /etc
COPY tmp /tmp
COPY --chown=%[1]d:%[1]d home /home
USER %[1]d:%[1]d
WORKDIR /home/nonroot
`, NonrootUID)
	return e.buildContext(ctx, dir, tag, containerfile)
}

// buildContext builds dir, with containerfile, as tag.
func (e *Engine) buildContext(ctx context.Context, dir, tag, containerfile string) error {
	file := filepath.Join(e.dir, "stand-ins", filepath.Base(dir)+".Containerfile")
	if err := os.WriteFile(file, []byte(containerfile), 0o644); err != nil {
		return err
	}
	_, err := e.Podman(ctx, "build", "--quiet", "--pull=never", "--format", "docker", "--file", file, "--tag", tag, dir)
	return err
}

// staticBusybox is the path of a statically linked busybox: the stand-in
// has no C library for a dynamic one.
func staticBusybox() (string, error) {
	path, err := exec.LookPath("busybox")
	if err != nil {
		return "", fmt.Errorf("busybox is not installed (Debian package busybox-static): %w", err)
	}
	f, err := elf.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("%s is dynamically linked: install Debian's busybox-static", path)
		}
	}
	return path, nil
}

func copyFile(from, to string, mode os.FileMode) error {
	data, err := os.ReadFile(from)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(to), 0o755); err != nil {
		return err
	}
	return os.WriteFile(to, data, mode)
}

// BuildImage builds contextDir's Dockerfile as tag on the stand-ins of
// its bases, with the VERSION build argument version. The host's module
// downloads are completed first (go mod download, as the builder runs it),
// so the builder finds every module it needs in the mounted GOPROXY.
func (e *Engine) BuildImage(ctx context.Context, contextDir, tag, version string) error {
	dockerfile := filepath.Join(contextDir, "Dockerfile")
	if err := e.BuildStandIns(ctx, dockerfile); err != nil {
		return err
	}
	goEnv, err := hostGoEnv(ctx, contextDir)
	if err != nil {
		return err
	}
	// --file names the Dockerfile: podman prefers a Containerfile it finds.
	_, err = e.Podman(ctx, "build", "--pull=never", "--format", "docker",
		"--file", dockerfile,
		"--volume", goEnv["GOROOT"]+":"+goRootMount+":ro",
		"--volume", filepath.Join(goEnv["GOMODCACHE"], "cache", "download")+":"+goProxyMount+":ro",
		"--volume", goEnv["GOCACHE"]+":"+goCacheMount,
		"--build-arg", "VERSION="+version,
		"--tag", tag, contextDir)
	return err
}

// hostGoEnv downloads the main module's dependencies in dir on the host and
// returns where the host's Go keeps its toolchain and caches.
func hostGoEnv(ctx context.Context, dir string) (map[string]string, error) {
	download := exec.CommandContext(ctx, "go", "mod", "download")
	download.Dir = dir
	download.Env = append(os.Environ(), "GOWORK=off")
	if _, err := run(download); err != nil {
		return nil, err
	}
	names := []string{"GOROOT", "GOMODCACHE", "GOCACHE"}
	query := exec.CommandContext(ctx, "go", append([]string{"env"}, names...)...)
	query.Dir = dir
	out, err := run(query)
	if err != nil {
		return nil, err
	}
	values := strings.Split(out, "\n")
	if len(values) != len(names) {
		return nil, fmt.Errorf("go env %s: %q", strings.Join(names, " "), out)
	}
	env := map[string]string{}
	for i, name := range names {
		if values[i] == "" || values[i] == "off" {
			return nil, fmt.Errorf("the host's %s is %q", name, values[i])
		}
		env[name] = values[i]
	}
	return env, nil
}
