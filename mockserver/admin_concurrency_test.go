package mockserver

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestConcurrentClientsLoseNoUpdate has many clients mix enquiries, admin
// writes and transitions on a few transactions at once, then checks that
// every update is there: each enquiry counted, each transition applied at
// most once, each client's last write present.
func TestConcurrentClientsLoseNoUpdate(t *testing.T) {
	t.Parallel()
	const (
		clients    = 16
		sharedKeys = 8
	)
	// A hundred operations each keep sixteen clients contending for eight
	// transactions throughout.
	opsPerClient := 100
	if testing.Short() {
		opsPerClient = 50
	}
	sb := newSandbox(t, Config{})
	sb.client = &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	shared := make([]string, sharedKeys)
	for i := range shared {
		shared[i] = fmt.Sprintf("CC-SHARED-%d", i)
		if a := sb.admin(http.MethodPut, "/__admin/transactions/AOP-554/"+shared[i], map[string]any{"state": "pending"}); a.status != http.StatusCreated {
			t.Fatalf("setup %s: %d %s", shared[i], a.status, a.body)
		}
	}

	type tally struct {
		enquiries   map[string]int
		transitions map[string]map[transaction.State]int // key → target → successes
		lastAmount  string
	}
	tallies := make([]tally, clients)
	var wg sync.WaitGroup
	for c := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(c), 99))
			own := fmt.Sprintf("CC-OWN-%d", c)
			tl := tally{enquiries: map[string]int{}, transitions: map[string]map[transaction.State]int{}}
			for i := range opsPerClient {
				key := shared[rng.IntN(sharedKeys)]
				switch op := rng.IntN(10); {
				case op < 6:
					e := sb.enquire(sb.client, "AOP-554", key, nil)
					if e.err != nil || e.status != http.StatusOK {
						t.Errorf("client %d: enquiry of %s: %v %d %s", c, key, e.err, e.status, e.body)
						return
					}
					if v := violations("AOP-554", key, e); len(v) > 0 {
						t.Errorf("client %d: answer %s breaks openapi.yaml: %v", c, e.body, v)
						return
					}
					tl.enquiries[key]++
				case op < 8:
					to := []transaction.State{transaction.StateSuccess, transaction.StateFailed, transaction.StateRefunded}[rng.IntN(3)]
					status, _ := sb.concurrentAdmin(http.MethodPost, "/__admin/transactions/AOP-554/"+key+"/transition", map[string]any{"to": to})
					switch status {
					case http.StatusOK:
						if tl.transitions[key] == nil {
							tl.transitions[key] = map[transaction.State]int{}
						}
						tl.transitions[key][to]++
					case http.StatusConflict:
					default:
						t.Errorf("client %d: transition of %s to %s answered %d", c, key, to, status)
						return
					}
				default:
					amount := fmt.Sprintf("%d.00", i+1)
					status, body := sb.concurrentAdmin(http.MethodPut, "/__admin/transactions/AOP-554/"+own, map[string]any{"state": "success", "amount": amount})
					if status != http.StatusOK && status != http.StatusCreated {
						t.Errorf("client %d: PUT answered %d %s", c, status, body)
						return
					}
					tl.lastAmount = amount
				}
			}
			tallies[c] = tl
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	for _, key := range shared {
		sent := 0
		wins := map[transaction.State]int{}
		for _, tl := range tallies {
			sent += tl.enquiries[key]
			for to, n := range tl.transitions[key] {
				wins[to] += n
			}
		}
		var tx admin.TransactionView
		sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/"+key, nil).decode(t, &tx)
		if tx.Enquiries != sent {
			t.Errorf("%s counted %d enquiries, %d were answered", key, tx.Enquiries, sent)
		}
		if resolved := wins[transaction.StateSuccess] + wins[transaction.StateFailed]; resolved > 1 {
			t.Errorf("%s was resolved %d times: %v", key, resolved, wins)
		}
		if wins[transaction.StateRefunded] > 1 || (wins[transaction.StateRefunded] == 1 && wins[transaction.StateFailed] != 1) {
			t.Errorf("%s refunds %v are impossible", key, wins)
		}
		want := transaction.StatePending
		switch {
		case wins[transaction.StateRefunded] == 1:
			want = transaction.StateRefunded
		case wins[transaction.StateFailed] == 1:
			want = transaction.StateFailed
		case wins[transaction.StateSuccess] == 1:
			want = transaction.StateSuccess
		}
		if tx.State != want {
			t.Errorf("%s is %s, the transitions that succeeded (%v) make it %s", key, tx.State, wins, want)
		}
	}
	for c, tl := range tallies {
		if tl.lastAmount == "" {
			continue
		}
		var tx admin.TransactionView
		sb.admin(http.MethodGet, fmt.Sprintf("/__admin/transactions/AOP-554/CC-OWN-%d", c), nil).decode(t, &tx)
		if tx.Data.Amount != tl.lastAmount {
			t.Errorf("client %d's last PUT set amount %s, the transaction holds %s", c, tl.lastAmount, tx.Data.Amount)
		}
	}
}

// concurrentAdmin is an admin call that is safe from any goroutine: it
// reports instead of failing the test.
func (sb *sandbox) concurrentAdmin(method, path string, body any) (int, string) {
	payload, err := json.Marshal(body)
	if err != nil {
		return 0, err.Error()
	}
	req, err := http.NewRequest(method, sb.ts.URL+path, bytes.NewReader(payload))
	if err != nil {
		return 0, err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := sb.client.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return 0, err.Error()
	}
	return res.StatusCode, string(b)
}
