package release

import (
	"encoding/csv"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
)

// TestHAProxyBalancesReplicas runs deploy/haproxy.cfg, its addresses moved
// to loopback, in front of three replicas of the image's binary sharing a
// redis-server: haproxy's own health checks pass on every replica, and
// enquiries through it reach each of them.
func TestHAProxyBalancesReplicas(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts redis-server, three aopay-mock replicas and haproxy")
	}
	haproxy := testutil.LookTool(t, "haproxy", "haproxy")
	redis := redistest.Start(t)
	b := binaries(t)
	var replicas []*testutil.Process
	for range 3 {
		cmd := exec.Command(b.mock, "--redis", redis.URL, "--addr", "127.0.0.1:0", "--log-format", "json", "--log-level", "info")
		cmd.Env = withoutMockEnv()
		replicas = append(replicas, testutil.StartProcess(t, cmd, testutil.LoggedURL(cli.HealthPath)))
	}
	dir := t.TempDir()
	lbAddr, socket := freeLoopbackAddr(t), filepath.Join(dir, "haproxy.sock")
	data, err := os.ReadFile(filepath.Join(repoRoot(t), "deploy", "haproxy.cfg"))
	if err != nil {
		t.Fatal(err)
	}
	cfg := strings.Replace(string(data), "bind :"+imagePort, "bind "+lbAddr, 1)
	cfg = strings.Replace(cfg, "global\n", "global\n    stats socket "+socket+"\n", 1)
	for i, r := range replicas {
		cfg = strings.Replace(cfg, fmt.Sprintf("mock-%d:%s", i+1, imagePort), strings.TrimPrefix(r.URL, "http://"), 1)
	}
	if strings.Contains(cfg, "mock-1:") || !strings.Contains(cfg, "bind "+lbAddr) {
		t.Fatalf("deploy/haproxy.cfg no longer binds :%s and sends to mock-N:%s:\n%s", imagePort, imagePort, cfg)
	}
	cfgPath := filepath.Join(dir, "haproxy.cfg")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	testutil.StartProcess(t, exec.Command(haproxy, "-db", "-f", cfgPath), testutil.Answers("http://"+lbAddr, cli.HealthPath))

	waitHealthChecked(t, socket, len(replicas))
	client := &http.Client{Timeout: 10 * time.Second}
	ref := fmt.Sprintf("LB-%d", time.Now().UnixNano())
	for range 2 * len(replicas) {
		res, err := client.Post("http://"+lbAddr+rechargestatus.EnquiryPath, "application/json",
			strings.NewReader(`{"referenceid":"`+ref+`","RegistrationID":"AOP-554"}`))
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("enquiry through haproxy: %s", res.Status)
		}
	}
	// Each replica keeps its own journal: one that holds the enquiry took
	// one of them.
	for i, r := range replicas {
		res, err := client.Get(r.URL + "/__admin/requests")
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if !strings.Contains(string(body), ref) {
			t.Errorf("replica %d (%s) took none of %d enquiries through haproxy's round robin", i+1, r.URL, 2*len(replicas))
		}
	}
}

// waitHealthChecked waits until haproxy's stats show every server of the
// backend UP after a passed HTTP check (L7OK), failing on a failed one.
func waitHealthChecked(t *testing.T, socket string, servers int) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	var last string
	for time.Now().Before(deadline) {
		rows, err := haproxyStats(socket)
		if err != nil {
			last = err.Error()
		} else {
			var ok int
			last = ""
			for _, r := range rows {
				if r["pxname"] != "replicas" || r["svname"] == "BACKEND" || r["svname"] == "FRONTEND" {
					continue
				}
				last += fmt.Sprintf("%s %s %s; ", r["svname"], r["status"], r["check_status"])
				if strings.HasPrefix(r["check_status"], "L7STS") || strings.HasPrefix(r["check_status"], "L7RSP") {
					t.Fatalf("haproxy's health check fails: %s", last)
				}
				if r["status"] == "UP" && r["check_status"] == "L7OK" {
					ok++
				}
			}
			if ok == servers {
				return
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("haproxy did not check every replica healthy within 30 s: %s", last)
}

// haproxyStats is "show stat" of haproxy's stats socket, one map per row.
func haproxyStats(socket string) ([]map[string]string, error) {
	conn, err := net.DialTimeout("unix", socket, time.Second)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := io.WriteString(conn, "show stat\n"); err != nil {
		return nil, err
	}
	out, err := io.ReadAll(conn)
	if err != nil {
		return nil, err
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(out), "# "))).ReadAll()
	if err != nil || len(records) < 1 {
		return nil, fmt.Errorf("show stat: %v: %q", err, out)
	}
	var rows []map[string]string
	for _, rec := range records[1:] {
		row := map[string]string{}
		for i, name := range records[0] {
			if i < len(rec) {
				row[name] = rec[i]
			}
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// withoutMockEnv is this process's environment without AOPAY_MOCK_
// variables, which would configure the started mocks.
func withoutMockEnv() []string {
	return slices.DeleteFunc(os.Environ(), func(kv string) bool { return strings.HasPrefix(kv, "AOPAY_MOCK_") })
}
