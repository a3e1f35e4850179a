package testcontainers_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/internal/podmantest"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	aopaytc "github.com/aopay-sandbox/rechargestatus/testcontainers"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

const fixtures = `registrations:
  - id: TC-1
    name: A registration of the test's own fixtures
transactions:
  - registrationId: TC-1
    referenceId: TC-ORDER-1
    state: success
    txnid: "9001"
    amount: "42.00"
`

// TestRun runs the sandbox's image, built from the repository's
// Dockerfile, through podman's Docker-compatible API. Ryuk is off: its image
// cannot be pulled here, and the test terminates what it starts. The host
// testcontainers reports is left as it finds it: on a machine it takes for
// a container (one with /.dockerenv) that is the engine's gateway, not a
// loopback name, which the mock must be told to answer.
func TestRun(t *testing.T) {
	podmantest.Require(t, "podman", "runc", "busybox")
	engine, err := podmantest.New(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := engine.Close(); err != nil {
			t.Errorf("remove the podman engine: %v", err)
		}
	})
	const image = "localhost/aopay-sandbox:testcontainers"
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	buildCtx, cancel := context.WithTimeout(t.Context(), 10*time.Minute)
	defer cancel()
	if err := engine.BuildImage(buildCtx, root, image, "v0.0.0-testcontainers"); err != nil {
		t.Fatal(err)
	}
	t.Setenv("DOCKER_HOST", startService(t, engine))
	t.Setenv("TESTCONTAINERS_RYUK_DISABLED", "true")

	const token = "testcontainers-token"
	const volume = "aopay-testcontainers-state"
	start := time.Now()
	mock, err := aopaytc.Run(t.Context(), image,
		aopaytc.WithFixtures([]byte(fixtures)),
		aopaytc.WithAdminToken(token),
		aopaytc.WithDialect("page"),
		aopaytc.WithStateVolume(volume))
	t.Cleanup(func() { aopaytc.TerminateContainer(mock) })
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("started and answering at %s in %s", mock.URL, time.Since(start).Round(10*time.Millisecond))

	status, body := post(t, mock.EnquiryURL(), `{"referenceid":"TC-ORDER-1","RegistrationID":"TC-1"}`)
	if status != http.StatusOK || !strings.Contains(body, `"txnid":"9001"`) || !strings.Contains(body, `"amount":"42.00"`) {
		t.Errorf("enquiry of the fixtures' transaction: %d %s", status, body)
	}
	if _, err := admin.NewClient(mock.URL).Health(t.Context()); admin.ErrorCode(err) != admin.CodeUnauthorized {
		t.Errorf("admin call without the token: %v, want %s", err, admin.CodeUnauthorized)
	}
	key := transaction.Key{RegistrationID: "TC-1", ReferenceID: "TC-ORDER-2"}
	put, _, err := mock.Admin.PutTransaction(t.Context(), key, transaction.Description{State: transaction.StateFailed, TxnID: "9002"})
	if err != nil {
		t.Fatal(err)
	}
	if err := aopaytc.TerminateContainer(mock); err != nil {
		t.Fatal(err)
	}

	again, err := aopaytc.Run(t.Context(), image,
		aopaytc.WithFixtures([]byte(fixtures)),
		aopaytc.WithAdminToken(token),
		aopaytc.WithStateVolume(volume))
	t.Cleanup(func() { aopaytc.TerminateContainer(again) })
	if err != nil {
		t.Fatal(err)
	}
	got, err := again.Admin.GetTransaction(t.Context(), key)
	if err != nil {
		t.Fatalf("the transaction put before, on the same state volume: %v", err)
	}
	if got.Data.TxnID != put.Data.TxnID || got.State != put.State {
		t.Errorf("on the same state volume: %+v, want %+v", got, put)
	}
}

// startService serves podman's Docker-compatible API on a socket in the
// engine's directory until the test ends and returns its DOCKER_HOST.
func startService(t *testing.T, engine *podmantest.Engine) string {
	t.Helper()
	socket := filepath.Join(engine.Dir(), "podman.sock")
	cmd := engine.Command(context.Background(), "system", "service", "--time=0", "unix://"+socket)
	p := testutil.StartProcess(t, cmd, func(*testutil.Process) (bool, error) {
		_, err := os.Stat(socket)
		return err == nil, nil
	})
	t.Cleanup(func() {
		// podman exits 1 on SIGTERM; only one it had to kill is an error.
		var exit *exec.ExitError
		if err := p.Stop(syscall.SIGTERM); err != nil && !errors.As(err, &exit) {
			t.Errorf("podman system service: %v", err)
		}
	})
	return "unix://" + socket
}

func post(t *testing.T, url, body string) (int, string) {
	t.Helper()
	res, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, string(data)
}
