package release

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"golang.org/x/tools/txtar"

	"github.com/aopay-sandbox/rechargestatus/internal/podmantest"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
)

// imageBuildTimeout bounds the image's build: the builder compiles with
// the host's warm caches, cold ones on a first run.
const imageBuildTimeout = 10 * time.Minute

// sandboxImage is the image built from the repository's Dockerfile by a
// podman engine of the test's own.
type sandboxImage struct {
	engine *podmantest.Engine
	ref    string
}

// buildSandboxImage builds the repository's Dockerfile, unchanged, on
// stand-ins for its bases (no registry is reachable where the tests run),
// and prints how long it took and how big the image is.
func buildSandboxImage(t *testing.T) sandboxImage {
	t.Helper()
	engine, err := podmantest.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := engine.Close(); err != nil {
			t.Errorf("remove the podman engine: %v", err)
		}
	})
	img := sandboxImage{engine: engine, ref: "localhost/aopay-sandbox:release-test"}
	ctx, cancel := context.WithTimeout(t.Context(), imageBuildTimeout)
	defer cancel()
	start := time.Now()
	if err := engine.BuildImage(ctx, repoRoot(t), img.ref, stampedVersion); err != nil {
		t.Fatal(err)
	}
	size, err := engine.Podman(ctx, "image", "inspect", "--format", "{{.Size}}", img.ref)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("built %s in %s, stand-in bases included: %s bytes", img.ref, time.Since(start).Round(100*time.Millisecond), size)
	return img
}

// podman runs podman on the image's engine and fails the test if it fails.
func (img sandboxImage) podman(t *testing.T, args ...string) string {
	t.Helper()
	out, err := img.engine.Podman(t.Context(), args...)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// container is a running container of the sandbox image.
type container struct {
	img  sandboxImage
	name string
	url  string // the mock's base URL on the host's loopback
}

// run starts a container of the image named name, its port 8080 published
// on a free port of the host's loopback, with podman run's flags before
// the image, and waits until the mock answers its health endpoint. The
// container is removed when the test ends.
func (img sandboxImage) run(t *testing.T, name string, flags ...string) *container {
	t.Helper()
	args := append([]string{"run", "--detach", "--name", name, "--publish", "127.0.0.1::" + imagePort}, flags...)
	img.podman(t, append(args, img.ref)...)
	c := &container{img: img, name: name}
	t.Cleanup(func() {
		ctx := context.Background()
		if t.Failed() {
			logs, _ := img.engine.Podman(ctx, "logs", name)
			t.Logf("podman logs %s:\n%s", name, logs)
		}
		img.engine.Podman(ctx, "rm", "--force", "--time", "0", name)
	})
	c.await(t)
	return c
}

// await learns the container's published port and waits until the mock
// answers its health endpoint there.
func (c *container) await(t *testing.T) {
	t.Helper()
	addr := c.img.podman(t, "port", c.name, imagePort+"/tcp")
	c.url = "http://" + strings.TrimSpace(strings.Split(addr, "\n")[0])
	err := testutil.Poll(testutil.StartTimeout, func() (bool, error) {
		res, err := http.Get(c.url + "/__admin/health")
		if err != nil {
			return false, nil
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK, nil
	})
	if err != nil {
		t.Fatalf("the mock in %s does not answer at %s: %v", c.name, c.url, err)
	}
}

// healthcheck runs the image's HEALTHCHECK once, as the engine's timer
// would, and returns its exit code and output.
func (c *container) healthcheck(t *testing.T) (int, string) {
	t.Helper()
	out, err := c.img.engine.Podman(t.Context(), "healthcheck", "run", c.name)
	code := podmantest.ExitCode(err)
	if code < 0 {
		t.Fatal(err)
	}
	if err != nil {
		out = err.Error()
	}
	return code, out
}

// pageExample is the provider page's example answer, as the README's
// script holds it.
func pageExample(t *testing.T) []byte {
	t.Helper()
	archive, err := txtar.ParseFile(readmeScript)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range archive.Files {
		if f.Name == "page-example.json" {
			// curl's write-out adds the newline.
			return []byte(strings.TrimSuffix(string(f.Data), "\n"))
		}
	}
	t.Fatalf("%s holds no page-example.json", readmeScript)
	return nil
}

// post sends body to the mock's path and returns the status and answer.
func (c *container) post(t *testing.T, path, body string) (int, []byte) {
	t.Helper()
	res, err := http.Post(c.url+path, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, data
}

// processUIDs are the real, effective, saved and filesystem uids of the
// container's main process, read from the host's /proc.
func (c *container) processUIDs(t *testing.T) []string {
	t.Helper()
	pid := c.img.podman(t, "inspect", "--format", "{{.State.Pid}}", c.name)
	status, err := os.ReadFile(fmt.Sprintf("/proc/%s/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for line := range strings.Lines(string(status)) {
		if rest, ok := strings.CutPrefix(line, "Uid:"); ok {
			return strings.Fields(rest)
		}
	}
	t.Fatalf("/proc/%s/status has no Uid line", pid)
	return nil
}
