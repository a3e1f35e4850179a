package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// The crash test kills aopay-mock with SIGKILL while clients stream writes
// at it, restarts it on the same --state file, and checks that every write
// the server acknowledged is there.
const (
	crashCycles       = 3
	crashBudget       = 45 * time.Second
	crashRegistration = "AOP-554"
	// pendingAnswers is how many enquiries a PENDING- transaction answers
	// pending under the default rule (--resolve-after 3).
	pendingAnswers = 3
)

func TestMain(m *testing.M) { testutil.Main(m) }

// TestStateFile runs the aopay-mock binary on a --state file, as a user
// would, through crashes, a second process and a clean stop.
func TestStateFile(t *testing.T) {
	t.Parallel()
	if testing.Short() {
		t.Skip("builds and repeatedly kills the aopay-mock binary")
	}
	bin := testutil.BuildBinaryWithoutRace(t, ".")
	t.Run("acknowledged writes survive SIGKILL", func(t *testing.T) { testAcknowledgedWritesSurviveSIGKILL(t, bin) })
	t.Run("a reset killed midway leaves the old state or the new", func(t *testing.T) { testKilledResetLeavesOneState(t, bin) })
	t.Run("a second process on the file fails fast", func(t *testing.T) { testSecondProcessFailsFast(t, bin) })
	t.Run("SIGTERM leaves a file the store opens", func(t *testing.T) { testCleanStop(t, bin) })
}

func testAcknowledgedWritesSurviveSIGKILL(t *testing.T, bin string) {
	deadline := time.Now().Add(crashBudget)
	state := filepath.Join(t.TempDir(), "state.db")
	validator := newSpecValidator(t)

	seed := time.Now().UnixNano()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(uint64(seed), 0x5eed))

	m := newAckModel()
	for cycle := range crashCycles {
		if time.Now().After(deadline) {
			t.Fatalf("out of time after %d cycles", cycle)
		}
		p := startMock(t, bin, state)
		c := newCrashClient(t, p.URL, validator)
		m.verify(c)
		if t.Failed() {
			p.kill(t)
			t.FailNow()
		}
		m.writeSettings(c, cycle)
		target := 10 + rng.IntN(150)
		m.stream(c, p, cycle, target)
		c.http.CloseIdleConnections()
		if t.Failed() {
			t.FailNow()
		}
		t.Logf("cycle %d: killed after %d acknowledged writes, %d in flight", cycle, target, m.inDoubt())
	}
	p := startMock(t, bin, state)
	m.verify(newCrashClient(t, p.URL, validator))
	p.kill(t)
	if m.checkedEnquiries == 0 || m.checkedAdmin == 0 {
		t.Fatalf("checked %d enquiry and %d admin transactions, want some of each", m.checkedEnquiries, m.checkedAdmin)
	}
	t.Logf("checked %d enquiry transactions and %d admin transactions across restarts; of the writes in flight at a kill %d landed, %d did not",
		m.checkedEnquiries, m.checkedAdmin, m.landed, m.dropped)
}

func testSecondProcessFailsFast(t *testing.T, bin string) {
	state := filepath.Join(t.TempDir(), "state.db")
	first := startMock(t, bin, state)
	defer first.kill(t)

	ctx, cancel := context.WithTimeout(context.Background(), boltstore.LockTimeout+10*time.Second)
	defer cancel()
	second := exec.CommandContext(ctx, bin, "--state", state, "--addr", "127.0.0.1:0", "--log-level", "warn")
	second.Env = cleanEnv()
	var stderr bytes.Buffer
	second.Stderr = &stderr
	start := time.Now()
	err := second.Run()
	elapsed := time.Since(start)
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 1 {
		t.Fatalf("second aopay-mock on %s ended with %v, want exit code 1; stderr: %s", state, err, &stderr)
	}
	if msg := stderr.String(); !strings.Contains(msg, "in use by another process") || !strings.Contains(msg, state) {
		t.Errorf("stderr %q does not say that %s is in use", msg, state)
	}
	if elapsed > boltstore.LockTimeout+5*time.Second {
		t.Errorf("second aopay-mock took %v to give up", elapsed)
	}
}

func testCleanStop(t *testing.T, bin string) {
	state := filepath.Join(t.TempDir(), "state.db")
	p := startMock(t, bin, state)
	c := newCrashClient(t, p.URL, newSpecValidator(t))
	ref := "PENDING-CLEAN-STOP"
	if _, err := c.enquire(ref); err != nil {
		t.Fatal(err)
	}
	p.exited = true
	if err := p.Stop(syscall.SIGTERM); err != nil {
		t.Fatalf("aopay-mock ended with %v after SIGTERM, want exit code 0; stderr: %s", err, p.Stderr())
	}
	if p.Stderr() != "" {
		t.Errorf("stderr after a clean stop: %s", p.Stderr())
	}
	s, err := boltstore.Open(state)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	tx, err := s.Get(context.Background(), transaction.Key{RegistrationID: crashRegistration, ReferenceID: ref})
	if err != nil || tx.Enquiries != 1 || tx.State != transaction.StatePending {
		t.Errorf("stored %s: %+v, %v; want pending with 1 enquiry", ref, tx, err)
	}
}

// newSpecValidator checks answers against the provider's document and the
// admin API's, as the mock does.
func newSpecValidator(t *testing.T) *conformance.Validator {
	t.Helper()
	provider, err := conformance.LoadSpec("")
	if err != nil {
		t.Fatal(err)
	}
	doc, err := admin.SandboxSpec(provider)
	if err != nil {
		t.Fatal(err)
	}
	v, err := conformance.NewValidator(doc)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// mockProcess is one run of the binary.
type mockProcess struct {
	*testutil.Process
	exited bool
}

// startMock runs the binary on state and waits for the URL it listens on.
func startMock(t *testing.T, bin, state string) *mockProcess {
	t.Helper()
	cmd := exec.Command(bin, "--state", state, "--addr", "127.0.0.1:0", "--log-format", "json")
	cmd.Env = cleanEnv()
	p := &mockProcess{Process: testutil.StartProcess(t, cmd, testutil.LoggedURL("/__admin/health"))}
	if !strings.HasPrefix(p.URL, "http://127.0.0.1:") {
		p.kill(t)
		t.Fatalf("aopay-mock listens on %q, want loopback", p.URL)
	}
	return p
}

// cleanEnv is the test's environment without AOPAY_MOCK_ variables, so
// only the flags configure the server.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "AOPAY_MOCK_") {
			env = append(env, kv)
		}
	}
	return env
}

// kill sends SIGKILL: no shutdown code runs, as in a crash.
func (p *mockProcess) kill(t *testing.T) {
	if p.exited {
		return
	}
	p.exited = true
	err := p.Kill()
	if ee, ok := err.(*exec.ExitError); !ok || ee.Exited() {
		t.Errorf("aopay-mock ended with %v before it was killed; stderr: %s", err, p.Stderr())
	}
}

// crashClient talks to one run of the server.
type crashClient struct {
	t         *testing.T
	url       string
	http      *http.Client
	validator *conformance.Validator
}

func newCrashClient(t *testing.T, url string, validator *conformance.Validator) *crashClient {
	return &crashClient{t: t, url: url, validator: validator, http: &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{MaxIdleConnsPerHost: 8},
	}}
}

// noAnswer is a request that got no complete answer: the server may or
// may not have made its write.
type noAnswer struct{ err error }

func (e noAnswer) Error() string { return "no answer: " + e.err.Error() }

// do sends a request, reads the whole answer and checks it against its
// OpenAPI document.
func (c *crashClient) do(method, path string, body any) (int, []byte, error) {
	var reqBody []byte
	if body != nil {
		var err error
		if reqBody, err = json.Marshal(body); err != nil {
			return 0, nil, err
		}
	}
	req, err := http.NewRequestWithContext(context.Background(), method, c.url+path, bytes.NewReader(reqBody))
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, nil, noAnswer{err}
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, nil, noAnswer{err}
	}
	if viol := c.validator.CheckResponse(context.Background(), req, reqBody, res.StatusCode, res.Header, got); len(viol) > 0 {
		c.t.Errorf("%s %s answered %d %s, which breaks its OpenAPI document: %v", method, path, res.StatusCode, got, viol)
	}
	return res.StatusCode, got, nil
}

// answered reports whether err, if any, came with an answer from the
// server, which a client streaming into a kill must not see.
func answered(err error) bool {
	var na noAnswer
	return err != nil && !errors.As(err, &na)
}

// enquire asks the status of ref and answers data.status.
func (c *crashClient) enquire(ref string) (string, error) {
	status, body, err := c.do(http.MethodPost, rechargestatus.EnquiryPath, map[string]string{"referenceid": ref, "RegistrationID": crashRegistration})
	if err != nil {
		return "", err
	}
	var answer struct {
		ResponseCode int `json:"response_code"`
		Data         *struct {
			Status string `json:"status"`
			RefID  string `json:"refid"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || status != http.StatusOK || answer.ResponseCode != 1 || answer.Data == nil || answer.Data.RefID != ref {
		return "", fmt.Errorf("enquiry of %s answered %d %s", ref, status, body)
	}
	return answer.Data.Status, nil
}

// expectedStatus is data.status of the n-th enquiry of a fresh PENDING-
// transaction under the default rule.
func expectedStatus(n int) string {
	if n <= pendingAnswers {
		return "2"
	}
	return "1"
}

// enquiryTrack is what the clients know of one PENDING- transaction:
// acknowledged enquiries, and whether one more was sent without an answer.
type enquiryTrack struct {
	acked   int
	inDoubt bool
}

// adminTrack is what the clients know of one admin transaction: the txnid
// of its last acknowledged PUT, and of a later PUT left without an answer.
type adminTrack struct {
	acked, inDoubt string
}

// ackModel records every acknowledged write across the runs.
type ackModel struct {
	mu        sync.Mutex
	enquiries map[string]*enquiryTrack
	txns      map[string]*adminTrack

	clockOffset time.Duration
	faultRefs   []string

	checkedEnquiries, checkedAdmin int
	// Writes in flight at a kill either landed whole or not at all.
	landed, dropped int
}

func (m *ackModel) settle(inDoubt, landed bool) {
	switch {
	case !inDoubt:
	case landed:
		m.landed++
	default:
		m.dropped++
	}
}

func newAckModel() *ackModel {
	return &ackModel{enquiries: map[string]*enquiryTrack{}, txns: map[string]*adminTrack{}}
}

// inDoubt counts the writes sent without an answer before the last kill.
func (m *ackModel) inDoubt() int {
	n := 0
	for _, tr := range m.enquiries {
		if tr.inDoubt {
			n++
		}
	}
	for _, tr := range m.txns {
		if tr.inDoubt != "" {
			n++
		}
	}
	return n
}

// stream runs enquiry clients and admin clients until target writes are
// acknowledged, then kills the server with requests in flight and waits for
// every client to see it die.
func (m *ackModel) stream(c *crashClient, p *mockProcess, cycle, target int) {
	t := c.t
	var (
		acks    atomic.Int64
		reached = make(chan struct{})
		stop    = make(chan struct{})
		wg      sync.WaitGroup
	)
	ack := func() {
		if acks.Add(1) == int64(target) {
			close(reached)
		}
	}
	running := func() bool {
		select {
		case <-stop:
			return false
		default:
			return true
		}
	}
	for client := range 3 {
		wg.Go(func() {
			for i := 0; running(); i++ {
				ref := fmt.Sprintf("PENDING-CRASH-%d-%d-%d", cycle, client, i/pendingAnswers)
				m.mu.Lock()
				tr := m.enquiries[ref]
				if tr == nil {
					tr = &enquiryTrack{}
					m.enquiries[ref] = tr
				}
				tr.inDoubt = true
				want := expectedStatus(tr.acked + 1)
				m.mu.Unlock()
				got, err := c.enquire(ref)
				if answered(err) {
					t.Error(err)
				}
				if err != nil {
					return
				}
				if got != want {
					t.Errorf("enquiry %d of %s answered status %q, want %q", i%pendingAnswers+1, ref, got, want)
					return
				}
				m.mu.Lock()
				tr.acked++
				tr.inDoubt = false
				m.mu.Unlock()
				ack()
			}
		})
	}
	for client := range 2 {
		wg.Go(func() {
			for i := 0; running(); i++ {
				// A few keys per client, each replaced again and again,
				// so the last acknowledged PUT must win over older ones.
				ref := fmt.Sprintf("ADMIN-CRASH-%d-%d", client, i%5)
				txnid := fmt.Sprintf("9%d%d%07d", cycle, client, i)
				m.mu.Lock()
				tr := m.txns[ref]
				if tr == nil {
					tr = &adminTrack{}
					m.txns[ref] = tr
				}
				tr.inDoubt = txnid
				m.mu.Unlock()
				status, body, err := c.do(http.MethodPut, "/__admin/transactions/"+crashRegistration+"/"+ref, map[string]string{"state": "success", "txnid": txnid})
				if answered(err) {
					t.Error(err)
				}
				if err != nil {
					return
				}
				if status != http.StatusOK && status != http.StatusCreated {
					t.Errorf("PUT %s answered %d %s", ref, status, body)
					return
				}
				m.mu.Lock()
				tr.acked, tr.inDoubt = txnid, ""
				m.mu.Unlock()
				ack()
			}
		})
	}
	clientsDone := make(chan struct{})
	go func() {
		wg.Wait()
		close(clientsDone)
	}()
	select {
	case <-reached:
	case <-clientsDone:
		t.Errorf("cycle %d: the clients stopped after %d of %d acknowledged writes", cycle, acks.Load(), target)
	case <-time.After(20 * time.Second):
		t.Errorf("cycle %d: only %d of %d writes acknowledged in 20s", cycle, acks.Load(), target)
	}
	p.kill(t)
	close(stop)
	<-clientsDone
}

// adminView is the part of the admin API's transaction view the test reads.
type adminView struct {
	State     string `json:"state"`
	Enquiries int    `json:"enquiries"`
	Data      struct {
		TxnID  string `json:"txnid"`
		Status string `json:"status"`
	} `json:"data"`
}

// view reads a transaction through the admin API, which counts no enquiry.
func (c *crashClient) view(ref string) (adminView, bool, error) {
	var v adminView
	status, body, err := c.do(http.MethodGet, "/__admin/transactions/"+crashRegistration+"/"+ref, nil)
	switch {
	case err != nil:
		return v, false, err
	case status == http.StatusNotFound:
		return v, false, nil
	case status != http.StatusOK:
		return v, false, fmt.Errorf("GET %s answered %d %s", ref, status, body)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		return v, false, fmt.Errorf("GET %s answered %s: %v", ref, body, err)
	}
	return v, true, nil
}

// verify checks, on a freshly restarted server, every write acknowledged
// before the kills, and folds what it learns back into the model.
func (m *ackModel) verify(c *crashClient) {
	t := c.t
	for ref, tr := range m.enquiries {
		v, found, err := c.view(ref)
		if err != nil {
			t.Error(err)
			continue
		}
		// The enquiry in doubt may or may not have been counted; an
		// acknowledged one must have been.
		counted := v.Enquiries
		if !found {
			counted = 0
		}
		if counted != tr.acked && (!tr.inDoubt || counted != tr.acked+1) {
			t.Errorf("after restart %s has counted %d enquiries, want the %d acknowledged (one more in doubt: %v)", ref, counted, tr.acked, tr.inDoubt)
			continue
		}
		m.settle(tr.inDoubt, counted > tr.acked)
		if counted == 0 {
			delete(m.enquiries, ref)
			continue
		}
		// The next enquiry answers what the persisted count implies: after
		// three pending answers, success.
		got, err := c.enquire(ref)
		if err != nil {
			t.Error(err)
			continue
		}
		if want := expectedStatus(counted + 1); got != want {
			t.Errorf("after restart enquiry %d of %s answered status %q, want %q", counted+1, ref, got, want)
			continue
		}
		tr.acked, tr.inDoubt = counted+1, false
		m.checkedEnquiries++
	}
	for ref, tr := range m.txns {
		v, found, err := c.view(ref)
		switch {
		case err != nil:
			t.Error(err)
		case !found && tr.acked == "":
			// Its only PUT was in flight at the kill and did not land.
			m.settle(tr.inDoubt != "", false)
			tr.inDoubt = ""
		case !found:
			t.Errorf("after restart %s is gone; last acknowledged txnid %q", ref, tr.acked)
		case v.Data.TxnID == tr.acked || (tr.inDoubt != "" && v.Data.TxnID == tr.inDoubt):
			m.settle(tr.inDoubt != "", v.Data.TxnID == tr.inDoubt)
			tr.acked, tr.inDoubt = v.Data.TxnID, ""
			m.checkedAdmin++
			if v.State != "success" {
				t.Errorf("after restart %s is %q, want success", ref, v.State)
			}
		default:
			t.Errorf("after restart %s has txnid %q, want the last acknowledged %q (or %q in doubt)", ref, v.Data.TxnID, tr.acked, tr.inDoubt)
		}
	}
	m.verifySettings(c)
}

// writeSettings moves the virtual clock and replaces the fault rules, both
// acknowledged before the stream starts, so the next run must have them.
func (m *ackModel) writeSettings(c *crashClient, cycle int) {
	t := c.t
	status, body, err := c.do(http.MethodPost, "/__admin/clock", map[string]string{"advance": "1h"})
	if err != nil || status != http.StatusOK {
		t.Fatalf("advance the clock: %d %s %v", status, body, err)
	}
	m.clockOffset += time.Hour
	// Scoped to a referenceid no client asks for, so the rule only has to
	// be kept, not to fire.
	ref := fmt.Sprintf("CRASH-FAULT-%d", cycle)
	rules := map[string]any{"faults": []map[string]any{{"kind": "status", "status": 503, "referenceId": ref}}}
	status, body, err = c.do(http.MethodPut, "/__admin/faults", rules)
	if err != nil || status != http.StatusOK {
		t.Fatalf("replace the fault rules: %d %s %v", status, body, err)
	}
	m.faultRefs = []string{ref}
}

func (m *ackModel) verifySettings(c *crashClient) {
	t := c.t
	status, body, err := c.do(http.MethodGet, "/__admin/clock", nil)
	var clock struct {
		Offset string `json:"offset"`
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &clock) != nil {
		t.Errorf("GET /__admin/clock after restart: %d %s %v", status, body, err)
	} else if offset, err := time.ParseDuration(clock.Offset); err != nil || offset != m.clockOffset {
		t.Errorf("clock offset after restart %q, want the acknowledged %s", clock.Offset, m.clockOffset)
	}

	status, body, err = c.do(http.MethodGet, "/__admin/faults", nil)
	var faults struct {
		Faults []struct {
			ReferenceID string `json:"referenceId"`
		} `json:"faults"`
	}
	if err != nil || status != http.StatusOK || json.Unmarshal(body, &faults) != nil {
		t.Errorf("GET /__admin/faults after restart: %d %s %v", status, body, err)
		return
	}
	var got []string
	for _, f := range faults.Faults {
		got = append(got, f.ReferenceID)
	}
	if fmt.Sprint(got) != fmt.Sprint(m.faultRefs) {
		t.Errorf("fault rules after restart scope %v, want %v", got, m.faultRefs)
	}
}
