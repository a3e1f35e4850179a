package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
)

// replica is one aopay-mock process of a sandbox shared through Redis.
type replica struct {
	*testutil.Process
	client *http.Client
}

// startReplica starts aopay-mock on redisURL with the flags args besides.
func startReplica(t *testing.T, bin, redisURL string, args ...string) *replica {
	t.Helper()
	args = append([]string{"--redis", redisURL, "--addr", "127.0.0.1:0", "--log-format", "json", "--log-level", "info"}, args...)
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv()
	p := testutil.StartProcess(t, cmd, testutil.LoggedURL("/__admin/health"))
	return &replica{Process: p, client: &http.Client{Timeout: 10 * time.Second}}
}

// call sends a JSON request and reads the answer.
func (r *replica) call(t *testing.T, method, path string, body any, header ...string) (int, []byte) {
	t.Helper()
	var reqBody io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			t.Fatal(err)
		}
		reqBody = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(context.Background(), method, r.URL+path, reqBody)
	if err != nil {
		t.Fatal(err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := r.client.Do(req)
	if err != nil {
		t.Errorf("%s %s on %s: %v", method, path, r.URL, err)
		return 0, nil
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	return res.StatusCode, got
}

type enquiryAnswer struct {
	ResponseCode int `json:"response_code"`
	Data         *struct {
		TxnID  string `json:"txnid"`
		Status string `json:"status"`
	} `json:"data"`
}

func (r *replica) enquire(t *testing.T, ref string) (int, enquiryAnswer) {
	t.Helper()
	status, body := r.call(t, http.MethodPost, rechargestatus.EnquiryPath, map[string]string{"referenceid": ref, "RegistrationID": "AOP-554"})
	var a enquiryAnswer
	if status == http.StatusOK {
		if err := json.Unmarshal(body, &a); err != nil {
			t.Errorf("enquiry of %s answered %s", ref, body)
		}
	}
	return status, a
}

// TestReplicasShareOneSandbox runs three aopay-mock processes on one
// redis-server and holds them to behaving as one sandbox.
func TestReplicasShareOneSandbox(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("starts redis-server and three aopay-mock processes")
	}
	srv := redistest.Start(t)
	// The promises are the processes' together. The code they run is
	// raced in process: two mocks on one Redis (mockserver/redisstore's
	// tests) and the store's conformance.
	bin := testutil.BuildBinaryWithoutRace(t, ".")
	replicas := []*replica{startReplica(t, bin, srv.URL), startReplica(t, bin, srv.URL), startReplica(t, bin, srv.URL)}

	t.Run("concurrent enquiries of one pending transaction are counted exactly", func(t *testing.T) {
		testExactPendingAcrossReplicas(t, replicas)
	})
	t.Run("a counted fault rule fires its count in all", func(t *testing.T) {
		testCountedFaultAcrossReplicas(t, replicas)
	})
	t.Run("a clock moved on one replica is seen by all", func(t *testing.T) {
		testClockAcrossReplicas(t, replicas)
	})
	t.Run("a reset on one replica is seen whole by all", func(t *testing.T) {
		testResetAcrossReplicas(t, replicas)
	})
	t.Run("the contract suite passes on one replica while the others serve traffic", func(t *testing.T) {
		contract := testutil.BuildBinaryWithoutRace(t, "github.com/aopay-sandbox/rechargestatus/cmd/aopay-contract")
		stop := make(chan struct{})
		var served sync.WaitGroup
		// Steady traffic, not a flood: the suite's run shares the machine.
		for i, r := range replicas[1:] {
			served.Go(func() {
				tick := time.NewTicker(5 * time.Millisecond)
				defer tick.Stop()
				for n := 0; ; n++ {
					select {
					case <-stop:
						return
					case <-tick.C:
					}
					r.enquire(t, fmt.Sprintf("TRAFFIC-%d-%d", i, n))
				}
			})
		}
		cmd := exec.Command(contract, "--base-url", replicas[0].URL, "--target", "mock", "--no-color")
		cmd.Env = cleanEnv()
		out, err := cmd.CombinedOutput()
		close(stop)
		served.Wait()
		if err != nil {
			t.Fatalf("aopay-contract against replica 0: %v\n%s", err, out)
		}
	})
	t.Run("a replica killed and restarted rejoins with the same state", func(t *testing.T) {
		replicas[2].Kill()
		status, a := replicas[0].enquire(t, "SURVIVOR-1")
		if status != http.StatusOK || a.Data == nil {
			t.Fatalf("replica 0 after replica 2 was killed: %d", status)
		}
		back := startReplica(t, bin, srv.URL)
		_, again := back.enquire(t, "SURVIVOR-1")
		if again.Data == nil || again.Data.TxnID != a.Data.TxnID {
			t.Fatalf("the restarted replica answers txnid %+v, want %s", again.Data, a.Data.TxnID)
		}
	})
	t.Run("redis down is answered 503, and all recover", func(t *testing.T) {
		srv.Stop(t)
		status, body := replicas[0].call(t, http.MethodPost, rechargestatus.EnquiryPath, map[string]string{"referenceid": "12345678", "RegistrationID": "AOP-554"})
		if status != http.StatusServiceUnavailable || !bytes.Contains(body, []byte(`"status":false`)) {
			t.Errorf("enquiry with redis down: %d %s, want 503 in the envelope", status, body)
		}
		if status, body := replicas[1].call(t, http.MethodGet, "/__admin/health", nil); status != http.StatusServiceUnavailable {
			t.Errorf("health with redis down: %d %s, want 503", status, body)
		}
		srv.Restart(t)
		// The restarted server is empty: the sandbox is back with the
		// fixtures put back, the page's example answering as before.
		err := testutil.Poll(10*time.Second, func() (bool, error) {
			status, _ := replicas[0].call(t, http.MethodGet, "/__admin/health", nil)
			return status == http.StatusOK, nil
		})
		if err != nil {
			t.Fatalf("health after redis came back: %v", err)
		}
		for i, r := range replicas[:2] {
			if status, a := r.enquire(t, "12345678"); status != http.StatusOK || a.Data == nil || a.Data.TxnID != "6469" {
				t.Errorf("replica %d after redis came back empty: %d %+v, want the page's example (txnid 6469)", i, status, a.Data)
			}
		}
		if !strings.Contains(replicas[0].Output(), "redis is unreachable") || strings.Count(replicas[0].Output(), "redis is unreachable") > 1 {
			t.Errorf("the outage is logged %d times, want once", strings.Count(replicas[0].Output(), "redis is unreachable"))
		}
	})
}

func testExactPendingAcrossReplicas(t *testing.T, replicas []*replica) {
	const enquiries = 64
	ref := "PENDING-SHARED-1"
	var mu sync.Mutex
	statuses := map[string]int{}
	txnids := map[string]bool{}
	var wg sync.WaitGroup
	for i := range enquiries {
		r := replicas[i%len(replicas)]
		wg.Go(func() {
			status, a := r.enquire(t, ref)
			if status != http.StatusOK || a.Data == nil {
				t.Errorf("enquiry %d answered %d", i, status)
				return
			}
			mu.Lock()
			statuses[a.Data.Status]++
			txnids[a.Data.TxnID] = true
			mu.Unlock()
		})
	}
	wg.Wait()
	// The default rule answers pending to the first three enquiries, then
	// success: exactly three pending answers in all.
	if statuses["2"] != 3 || statuses["1"] != enquiries-3 || len(txnids) != 1 {
		t.Fatalf("answers by data.status %v, txnids %v; want 3 pending, %d success, one txnid", statuses, txnids, enquiries-3)
	}
	status, body := replicas[1].call(t, http.MethodGet, "/__admin/transactions/AOP-554/"+ref, nil)
	if status != http.StatusOK || !bytes.Contains(body, []byte(fmt.Sprintf(`"enquiries":%d`, enquiries))) {
		t.Fatalf("view on another replica: %d %s, want %d enquiries", status, body, enquiries)
	}
	// Each replica's journal covers the requests of all three.
	for i, r := range replicas {
		status, body := r.call(t, http.MethodGet, "/__admin/requests/count?referenceId="+ref, nil)
		if status != http.StatusOK || string(bytes.TrimSpace(body)) != fmt.Sprintf(`{"count":%d}`, enquiries) {
			t.Errorf("replica %d counts %d %s, want all %d enquiries", i, status, body, enquiries)
		}
	}
}

func testCountedFaultAcrossReplicas(t *testing.T, replicas []*replica) {
	const count, enquiries = 5, 30
	status, body := replicas[0].call(t, http.MethodPost, "/__admin/faults", map[string]any{
		"kind": "status", "status": 503, "count": count, "referenceId": "FAULTY-1",
	})
	if status != http.StatusCreated && status != http.StatusOK {
		t.Fatalf("add fault rule: %d %s", status, body)
	}
	var mu sync.Mutex
	injected := 0
	var wg sync.WaitGroup
	for i := range enquiries {
		r := replicas[i%len(replicas)]
		wg.Go(func() {
			status, _ := r.enquire(t, "FAULTY-1")
			if status == http.StatusServiceUnavailable {
				mu.Lock()
				injected++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	if injected != count {
		t.Fatalf("the rule with a count of %d fired %d times over three replicas", count, injected)
	}
}

func testClockAcrossReplicas(t *testing.T, replicas []*replica) {
	status, body := replicas[0].call(t, http.MethodPost, "/__admin/clock", map[string]any{"advance": "2h"})
	if status != http.StatusOK {
		t.Fatalf("advance the clock: %d %s", status, body)
	}
	var moved struct {
		Offset string `json:"offset"`
	}
	for i, r := range replicas[1:] {
		_, body := r.call(t, http.MethodGet, "/__admin/clock", nil)
		if err := json.Unmarshal(body, &moved); err != nil || !strings.HasPrefix(moved.Offset, "2h") {
			t.Errorf("replica %d's clock after another advanced it by 2h: %s", i+1, body)
		}
	}
}

func testResetAcrossReplicas(t *testing.T, replicas []*replica) {
	stop := make(chan struct{})
	var wrong, reads int
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, r := range replicas[1:] {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, a := r.enquire(t, "12345678")
				mu.Lock()
				reads++
				if status != http.StatusOK || a.Data == nil || a.Data.TxnID != "6469" {
					wrong++
				}
				mu.Unlock()
			}
		})
	}
	for range 5 {
		if status, body := replicas[0].call(t, http.MethodPost, "/__admin/reset", nil); status != http.StatusOK {
			t.Errorf("reset: %d %s", status, body)
		}
	}
	close(stop)
	wg.Wait()
	if reads == 0 || wrong != 0 {
		t.Fatalf("%d of %d enquiries on other replicas during 5 resets did not answer the fixture", wrong, reads)
	}
	_, body := replicas[2].call(t, http.MethodGet, "/__admin/clock", nil)
	if !bytes.Contains(body, []byte(`"frozen":false`)) || bytes.Contains(body, []byte(`"offset":"2h`)) {
		t.Errorf("a replica's clock after a reset on another: %s, want real time", body)
	}
}
