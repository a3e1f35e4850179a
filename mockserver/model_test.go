package mockserver

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// modelRule is a rule as the model knows it.
type modelRule struct {
	to         transaction.State
	enquiries  int
	after      time.Duration
	hasTimeDue bool
}

// modelTx is what the model expects of one transaction. The model cannot
// know the sandbox clock at the instant a request is served, since another
// client moves it concurrently; it knows the clock only moves forward, so a
// time rule may have fired at any point after it could, and must have fired
// by the end.
type modelTx struct {
	state          transaction.State
	resolve        *modelRule
	refund         *modelRule
	since          time.Time
	enquiries      int
	stateEnquiries int
	txnid          string
}

// settle is Transaction.Settle with the clock known only as "due" or not.
func (m modelTx) settle(timeDue func(since time.Time, after time.Duration) bool) modelTx {
	for {
		var r *modelRule
		switch m.state {
		case transaction.StatePending:
			r = m.resolve
		case transaction.StateFailed:
			r = m.refund
		}
		if r == nil {
			return m
		}
		byCount := r.enquiries > 0 && m.stateEnquiries >= r.enquiries
		byTime := r.after > 0 && timeDue(m.since, r.after)
		if !byCount && !byTime {
			return m
		}
		if byTime && !byCount {
			m.since = m.since.Add(r.after)
		}
		m.state, m.stateEnquiries = r.to, 0
	}
}

// outcomes are the states the transaction may be in when a request is
// served: time rules not yet fired, or fired.
func (m modelTx) outcomes() []modelTx {
	notYet := m.settle(func(time.Time, time.Duration) bool { return false })
	fired := m.settle(func(time.Time, time.Duration) bool { return true })
	if notYet.state == fired.state {
		return []modelTx{notYet}
	}
	return []modelTx{notYet, fired}
}

func statesOf(ms []modelTx) []transaction.State {
	out := make([]transaction.State, len(ms))
	for i, m := range ms {
		out[i] = m.state
	}
	return out
}

type modelClient struct {
	t      *testing.T
	base   string
	client *http.Client
}

func (c *modelClient) do(method, path string, body any) (int, []byte) {
	var payload []byte
	if body != nil {
		var err error
		if payload, err = json.Marshal(body); err != nil {
			c.t.Error(err)
			return 0, nil
		}
	}
	req, err := http.NewRequest(method, c.base+path, bytes.NewReader(payload))
	if err != nil {
		c.t.Error(err)
		return 0, nil
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := c.client.Do(req)
	if err != nil {
		c.t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	defer res.Body.Close()
	got, err := io.ReadAll(res.Body)
	if err != nil {
		c.t.Errorf("%s %s: %v", method, path, err)
		return 0, nil
	}
	check := httptest.NewRequest(method, "http://127.0.0.1:8080"+path, nil)
	check.Header.Set("Content-Type", "application/json")
	if viol := specValidator.CheckResponse(context.Background(), check, payload, res.StatusCode, res.Header, got); len(viol) > 0 {
		c.t.Errorf("%s %s answered %d %s, which breaks its OpenAPI document: %v", method, path, res.StatusCode, got, viol)
	}
	return res.StatusCode, got
}

type modelEnquiry struct {
	Data *struct {
		TxnID    string `json:"txnid"`
		Status   string `json:"status"`
		Refunded string `json:"refunded"`
	} `json:"data"`
}

func (c *modelClient) enquire(ref string) (transaction.State, string, bool) {
	status, body := c.do(http.MethodPost, rechargestatus.EnquiryPath, map[string]string{"referenceid": ref, "RegistrationID": "AOP-554"})
	var e modelEnquiry
	if status != http.StatusOK || json.Unmarshal(body, &e) != nil || e.Data == nil {
		c.t.Errorf("enquiry of %s: %d %s", ref, status, body)
		return "", "", false
	}
	return transaction.State(conformance.PhaseOf(e.Data.Status, e.Data.Refunded)), e.Data.TxnID, true
}

// TestConcurrentClientsMatchModel has clients enquire, write and transition
// their own transactions, enquire a shared one and move the sandbox clock,
// all at once over HTTP, then checks every answer, and the final state,
// against a model of the lifecycle.
func TestConcurrentClientsMatchModel(t *testing.T) {
	t.Parallel()
	const (
		clients       = 6
		keysPerClient = 3
		shared        = "STUCK-SHARED"
	)
	opsPerClient := 60
	if testing.Short() {
		opsPerClient = 20
	}
	epoch := time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)
	srv, err := New(Config{Clock: recharge.NewFrozenClock(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv)
	transport := &http.Transport{MaxIdleConnsPerHost: clients + 1}
	t.Cleanup(func() {
		transport.CloseIdleConnections()
		srv.Stop()
		ts.Close()
	})
	newClient := func() *modelClient {
		return &modelClient{t: t, base: ts.URL, client: &http.Client{Transport: transport, Timeout: 10 * time.Second}}
	}

	var wg sync.WaitGroup
	models := make([]map[string]*modelTx, clients)
	sharedEnquiries := make([]int, clients)
	advanced := make([]time.Duration, clients)
	timeFired := make([]int, clients)
	for ci := range clients {
		models[ci] = map[string]*modelTx{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newClient()
			rng := rand.New(rand.NewPCG(uint64(ci), 17))
			put := func(ref string) {
				var body map[string]any
				m := &modelTx{}
				switch rng.IntN(4) {
				case 0:
					to := []transaction.State{transaction.StateSuccess, transaction.StateFailed}[rng.IntN(2)]
					n := 1 + rng.IntN(3)
					body = map[string]any{"state": "pending", "resolve": map[string]any{"to": to, "afterEnquiries": n}}
					m.state, m.resolve = transaction.StatePending, &modelRule{to: to, enquiries: n}
				case 1:
					after := time.Duration(2+rng.IntN(20)) * time.Minute
					body = map[string]any{"state": "pending", "resolve": map[string]any{"to": "failed", "after": after.String()}, "refund": map[string]any{"afterEnquiries": 2}}
					m.state = transaction.StatePending
					m.resolve = &modelRule{to: transaction.StateFailed, after: after}
					m.refund = &modelRule{to: transaction.StateRefunded, enquiries: 2}
				case 2:
					body, m.state = map[string]any{"state": "failed"}, transaction.StateFailed
				default:
					body, m.state = map[string]any{"state": "success"}, transaction.StateSuccess
				}
				status, got := c.do(http.MethodPut, "/__admin/transactions/AOP-554/"+ref, body)
				var view admin.TransactionView
				if (status != http.StatusOK && status != http.StatusCreated) || json.Unmarshal(got, &view) != nil {
					t.Errorf("PUT %s: %d %s", ref, status, got)
					return
				}
				if string(view.State) != string(m.state) || view.Enquiries != 0 {
					t.Errorf("PUT %s answered %s with %d enquiries, want %s and none", ref, view.State, view.Enquiries, m.state)
				}
				m.since, m.txnid = view.StateSince, view.Data.TxnID
				models[ci][ref] = m
			}
			for k := range keysPerClient {
				put(fmt.Sprintf("MODEL-%d-%d", ci, k))
			}
			for range opsPerClient {
				if t.Failed() {
					return
				}
				ref := fmt.Sprintf("MODEL-%d-%d", ci, rng.IntN(keysPerClient))
				m := models[ci][ref]
				switch op := rng.IntN(10); {
				case op < 1:
					put(ref)
				case op < 2:
					d := time.Duration(1+rng.IntN(3)) * time.Minute
					if status, body := c.do(http.MethodPost, "/__admin/clock", map[string]string{"advance": d.String()}); status != http.StatusOK {
						t.Errorf("clock: %d %s", status, body)
						return
					}
					advanced[ci] += d
				case op < 4:
					if _, _, ok := c.enquire(shared); ok {
						sharedEnquiries[ci]++
					}
				case op < 8:
					got, txnid, ok := c.enquire(ref)
					if !ok {
						return
					}
					matched := false
					for i, o := range m.outcomes() {
						if o.state == got {
							*m, matched = o, true
							timeFired[ci] += i
							break
						}
					}
					if !matched {
						t.Errorf("enquiry of %s answered %s, model allows %v", ref, got, statesOf(m.outcomes()))
						return
					}
					if txnid != m.txnid {
						t.Errorf("%s: txnid %s, was %s", ref, txnid, m.txnid)
					}
					m.enquiries++
					m.stateEnquiries++
				default:
					to := []transaction.State{transaction.StateSuccess, transaction.StateFailed, transaction.StateRefunded}[rng.IntN(3)]
					status, got := c.do(http.MethodPost, "/__admin/transactions/AOP-554/"+ref+"/transition", map[string]any{"to": to})
					matched := false
					for _, o := range m.outcomes() {
						legal := transaction.CanTransition(o.state, to) == nil
						switch {
						case legal && status == http.StatusOK:
							o.state, o.stateEnquiries = to, 0
						case !legal && status == http.StatusConflict:
						default:
							continue
						}
						*m, matched = o, true
						break
					}
					if !matched {
						t.Errorf("transition of %s to %s answered %d %s, model allows %v", ref, to, status, got, statesOf(m.outcomes()))
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	// Every clock move is done: the clock stands exactly where they took it,
	// and every time rule due by now fires on the next enquiry.
	c := newClient()
	end, fired := epoch, 0
	for ci := range clients {
		end = end.Add(advanced[ci])
		fired += timeFired[ci]
	}
	status, body := c.do(http.MethodGet, "/__admin/clock", nil)
	var clock admin.Clock
	if status != http.StatusOK || json.Unmarshal(body, &clock) != nil || !clock.Now.Equal(end) {
		t.Fatalf("clock %d %s, want %s", status, body, end)
	}
	for ci := range clients {
		for ref, m := range models[ci] {
			want := m.settle(func(since time.Time, after time.Duration) bool { return !end.Before(since.Add(after)) })
			if want.state != m.settle(func(time.Time, time.Duration) bool { return false }).state {
				fired++
			}
			got, txnid, ok := c.enquire(ref)
			if !ok {
				continue
			}
			if got != want.state || txnid != m.txnid {
				t.Errorf("%s ends %s (txnid %s), model says %s (txnid %s)", ref, got, txnid, want.state, m.txnid)
			}
			tx, err := srv.control.Store().Get(context.Background(), transaction.Key{RegistrationID: "AOP-554", ReferenceID: ref})
			if err != nil || tx.Enquiries != m.enquiries+1 {
				t.Errorf("%s counted %d enquiries (%v), model says %d", ref, tx.Enquiries, err, m.enquiries+1)
			}
		}
	}
	if fired == 0 {
		t.Error("no time rule fired: the clock moves did not exercise the model")
	}
	t.Logf("clock moved to %s; time rules fired %d times", end.Format(time.RFC3339), fired)
	total := 0
	for _, n := range sharedEnquiries {
		total += n
	}
	if tx, err := srv.control.Store().Get(context.Background(), transaction.Key{RegistrationID: "AOP-554", ReferenceID: shared}); total > 0 && (err != nil || tx.Enquiries != total || tx.State != transaction.StatePending) {
		t.Errorf("%s: %d enquiries, state %s (%v); want %d, pending", shared, tx.Enquiries, tx.State, err, total)
	}
}
