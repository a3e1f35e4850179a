package release

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/internal/loadtest"
	"github.com/aopay-sandbox/rechargestatus/internal/podmantest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// baseAllowance is what the image may hold beside its executable: the base
// (distroless static is about 2 MB, its stand-in less), the link and /data.
const baseAllowance = 4 << 20

// imageGoal is the size the image is held to, in bytes as podman counts
// them, on the test's stand-in base: the sandbox's own goal.
const imageGoal = 30_000_000

// stopWithin is how long `podman stop` may take: the engine's own stop
// timeout, after which it would kill the mock.
const stopWithin = 10 * time.Second

// TestContainers builds the repository's Dockerfile with podman and runs
// the image as the README, docker-compose.yml and the example workflows
// run it.
func TestContainers(t *testing.T) {
	t.Parallel()
	podmantest.Require(t, "podman", "runc", "busybox")
	img := buildSandboxImage(t)
	// The image's checks and the compose file's run side by side.
	t.Run("image", func(t *testing.T) {
		t.Parallel()
		testImage(t, img)
	})
	t.Run("compose", func(t *testing.T) {
		t.Parallel()
		podmantest.Require(t, "podman-compose")
		testCompose(t, img)
	})
}

func testImage(t *testing.T, img sandboxImage) {
	size, err := strconv.ParseInt(img.podman(t, "image", "inspect", "--format", "{{.Size}}", img.ref), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	// The executable; the contract's link to it adds nothing.
	info, err := os.Stat(binaries(t).mock)
	if err != nil {
		t.Fatal(err)
	}
	binSize := info.Size()
	t.Logf("image %.1f MB, its executable %.1f MB (goal for the image: %.0f MB)", float64(size)/1e6, float64(binSize)/1e6, imageGoal/1e6)
	if size > binSize+baseAllowance {
		t.Errorf("the image is %d bytes, its executable %d: it holds more than the executable and a static base", size, binSize)
	}
	if size > imageGoal {
		t.Errorf("the image is %d bytes, over the goal of %d", size, imageGoal)
	}
	t.Run("serves the page's example as uid 65532, passes the image's contract suite and stops cleanly", func(t *testing.T) {
		t.Parallel()
		testServesAndStops(t, img)
	})
	t.Run("state survives a restart on a named volume", func(t *testing.T) {
		t.Parallel()
		testStateSurvivesRestart(t, img)
	})
	t.Run("unhealthy once the state file cannot be written", func(t *testing.T) {
		t.Parallel()
		testUnhealthyWhenFull(t, img)
	})
}

func testServesAndStops(t *testing.T, img sandboxImage) {
	c := img.run(t, "aopay-release-serve")
	status, body := c.post(t, "/api/AOP/RechargeStatus", string(loadtest.PageExampleRequest))
	if want := pageExample(t); status != http.StatusOK || !bytes.Equal(body, want) {
		t.Errorf("page example: %d\n%s\nwant 200 and exactly\n%s", status, body, want)
	}
	want := strconv.Itoa(podmantest.NonrootUID)
	if uids := c.processUIDs(t); len(uids) == 0 || slices.ContainsFunc(uids, func(u string) bool { return u != want }) {
		t.Errorf("the mock runs as uids %q (real, effective, saved, filesystem), want %s", uids, want)
	}
	if code, out := c.healthcheck(t); code != 0 {
		t.Errorf("podman healthcheck run: exit %d, want 0\n%s", code, out)
	}
	// After the page's example: the suite's --reset puts the fixtures back
	// as they were.
	testContractFromImage(t, img, c)

	start := time.Now()
	img.podman(t, "stop", "--time", strconv.Itoa(int(stopWithin/time.Second)), c.name)
	if took := time.Since(start); took >= stopWithin {
		t.Errorf("podman stop took %s: the mock did not exit on SIGTERM before the engine killed it", took)
	}
	if code := img.podman(t, "inspect", "--format", "{{.State.ExitCode}}", c.name); code != "0" {
		t.Errorf("the mock exited with %s on podman stop, want 0", code)
	}
}

// testContractFromImage runs aopay-contract from the image against the
// mock in c.
func testContractFromImage(t *testing.T, img sandboxImage, c *container) {
	t.Helper()
	// As the README runs it: the host's network, the mock's published port.
	out, err := img.engine.Podman(t.Context(), "run", "--rm", "--network", "host",
		"--env", "AOPAY_CONTRACT_NO_COLOR=true",
		"--entrypoint", contractBinary, img.ref,
		"--target", "mock", "--base-url", c.url, "--reset")
	if err != nil {
		t.Fatalf("aopay-contract from the image against %s: %v", c.url, err)
	}
	if !strings.Contains(out, "Passed") {
		t.Errorf("aopay-contract's output names no passed spec:\n%s", out)
	}
}

func testStateSurvivesRestart(t *testing.T, img sandboxImage) {
	const volume = "aopay-release-state"
	img.podman(t, "volume", "create", volume)
	c := img.run(t, "aopay-release-restart", "--volume", volume+":"+stateDir)
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "RESTART-1"}
	put := transaction.Description{State: transaction.StatePending, TxnID: "7001", Amount: "12.50",
		Resolve: &transaction.Rule{To: transaction.StateSuccess, AfterEnquiries: 5}}
	before, _, err := admin.NewClient(c.url).PutTransaction(t.Context(), key, put)
	if err != nil {
		t.Fatal(err)
	}

	img.podman(t, "restart", c.name)
	c.await(t)
	after, err := admin.NewClient(c.url).GetTransaction(t.Context(), key)
	if err != nil {
		t.Fatalf("after podman restart: %v", err)
	}
	if fmt.Sprintf("%+v", after) != fmt.Sprintf("%+v", before) {
		t.Errorf("after podman restart:\n%+v\nwant what was put before it:\n%+v", after, before)
	}
}

// testUnhealthyWhenFull fills a small tmpfs holding /data through the admin
// API until the state file refuses a write, as a full disk would.
func testUnhealthyWhenFull(t *testing.T, img sandboxImage) {
	// 64 pages of tmpfs: podman's local driver takes size= for a quota.
	const volume = "aopay-release-small"
	img.podman(t, "volume", "create", "--opt", "type=tmpfs", "--opt", "device=tmpfs",
		"--opt", fmt.Sprintf("o=nr_blocks=64,uid=%d,gid=%d", podmantest.NonrootUID, podmantest.NonrootUID), volume)
	c := img.run(t, "aopay-release-full", "--volume", volume+":"+stateDir)
	if code, out := c.healthcheck(t); code != 0 {
		t.Fatalf("podman healthcheck run before the volume is full: exit %d, want 0\n%s", code, out)
	}
	client := admin.NewClient(c.url)
	filler := strings.Repeat("F", transaction.MaxOperatorNameLength)
	var refused error
	for i := 0; i < 2000 && refused == nil; i++ {
		key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: fmt.Sprintf("FULL-%05d-%s", i, strings.Repeat("x", 40))}
		_, _, refused = client.PutTransaction(t.Context(), key, transaction.Description{State: transaction.StateSuccess, OperatorName: filler})
	}
	var adminErr *admin.Error
	if !errors.As(refused, &adminErr) || adminErr.Status < 500 {
		t.Fatalf("2000 transactions into a 256 KiB state volume: %v, want a refusal with a 5xx", refused)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	out, err := img.engine.Podman(ctx, "healthcheck", "run", c.name)
	if podmantest.ExitCode(err) <= 0 {
		t.Errorf("podman healthcheck run once the state file cannot be written: %v, want a non-zero exit\n%s", err, out)
	}
}
