package podmantest

import (
	"archive/tar"
	"bufio"
	"context"
	"debug/elf"
	"fmt"
	"io"
	"io/fs"
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
//     image, the host's Go toolchain (GOROOT), module cache (GOMODCACHE,
//     read-only, with GOPROXY=off) and build cache mounted at build time:
//     the builder stage's go mod download and go build run for real, in the
//     container, with warm caches;
//   - any other base becomes what distroless static nonroot holds: users
//     root and nonroot (65532), /tmp, CA certificates and no shell.
const (
	goRootMount  = "/usr/local/go"
	goModMount   = "/gomodcache"
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
	changes := []string{
		"ENV PATH=/go/bin:" + goRootMount + "/bin:/bin",
		"ENV GOPATH=/go", "ENV HOME=/root", "ENV GOTOOLCHAIN=local",
		"ENV GOPROXY=off", "ENV GOMODCACHE=" + goModMount, "ENV GOSUMDB=off", "ENV GOCACHE=" + goCacheMount,
		"WORKDIR /go",
	}
	return e.importContext(ctx, dir, tag, changes, func(string) int { return 0 })
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
	changes := []string{fmt.Sprintf("USER %[1]d:%[1]d", NonrootUID), "WORKDIR /home/nonroot"}
	return e.importContext(ctx, dir, tag, changes, func(name string) int {
		if name == "home/nonroot" || strings.HasPrefix(name, "home/nonroot/") {
			return NonrootUID
		}
		return 0
	})
}

// importContext makes the files of dir, owned by the uid and gid owner
// gives each path relative to dir, the one layer of image tag, its
// configuration set by changes (Dockerfile instructions): what a build
// FROM scratch that copies them in would make, at a tenth of the CPU,
// since podman runs no build container for it.
func (e *Engine) importContext(ctx context.Context, dir, tag string, changes []string, owner func(name string) int) error {
	archive := dir + ".tar"
	if err := writeTar(archive, dir, owner); err != nil {
		return err
	}
	args := []string{"import", "--quiet"}
	for _, c := range changes {
		args = append(args, "--change", c)
	}
	_, err := e.Podman(ctx, append(args, archive, tag)...)
	return err
}

// writeTar writes the tree under dir to the tar file archive, names
// relative to dir, owned as owner says.
func writeTar(archive, dir string, owner func(name string) int) (err error) {
	f, err := os.Create(archive)
	if err != nil {
		return err
	}
	defer func() {
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}()
	tw := tar.NewWriter(f)
	err = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		name, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		link := ""
		if info.Mode()&fs.ModeSymlink != 0 {
			if link, err = os.Readlink(path); err != nil {
				return err
			}
		}
		hdr, err := tar.FileInfoHeader(info, link)
		if err != nil {
			return err
		}
		hdr.Name = filepath.ToSlash(name)
		if d.IsDir() {
			hdr.Name += "/"
		}
		hdr.Uid, hdr.Gid = owner(filepath.ToSlash(name)), owner(filepath.ToSlash(name))
		hdr.Uname, hdr.Gname = "", ""
		if err := tw.WriteHeader(hdr); err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			return nil
		}
		src, err := os.Open(path)
		if err != nil {
			return err
		}
		defer src.Close()
		_, err = io.Copy(tw, src)
		return err
	})
	if err != nil {
		return err
	}
	return tw.Close()
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
// so the builder finds every module it needs in the mounted module cache
// and its own go mod download only checks them. Each stage is committed
// once (--layers=false): the engine is the test's own, so no later build
// would reuse an intermediate image.
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
		"--volume", goEnv["GOMODCACHE"]+":"+goModMount+":ro",
		"--volume", goEnv["GOCACHE"]+":"+goCacheMount,
		"--layers=false",
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
