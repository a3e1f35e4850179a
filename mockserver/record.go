package mockserver

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/aopay-sandbox/rechargestatus/contract/invariants"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// RecordFile is the fixtures file --record DIR keeps in DIR.
const RecordFile = "recorded.yaml"

// RecordedScenario names, in the fixtures, a transaction recorded from an
// upstream.
const RecordedScenario = "recorded"

// sessionRecorder turns the transactions an upstream answered into fixtures,
// so that a mock started with --fixtures DIR answers them offline. It keeps
// the latest answer of each transaction and the registrations that had one;
// never a key, a token or any other header.
type sessionRecorder struct {
	dir, path string
	upstream  string
	// loadable reports why a transaction would not load as a fixture.
	loadable func(recharge.Transaction) error

	mu       sync.Mutex
	regs     []recharge.Registration
	regIndex map[string]bool
	txs      []recharge.Transaction
	txIndex  map[recharge.Key]int
}

// openSessionRecorder records into dir, created when missing. A recording
// already in dir is continued, not lost. The file is written at once, so
// that an unwritable directory fails at start rather than at the first
// exchange.
func openSessionRecorder(dir, upstream string, loadable func(recharge.Transaction) error) (*sessionRecorder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := &sessionRecorder{
		dir:      dir,
		path:     filepath.Join(dir, RecordFile),
		upstream: upstream,
		loadable: loadable,
		regIndex: map[string]bool{},
		txIndex:  map[recharge.Key]int{},
	}
	switch _, err := os.Stat(r.path); {
	case err == nil:
		set, err := fixtures.Load(r.path)
		if err != nil {
			return nil, fmt.Errorf("record: continue the recording in %s: %w", r.path, err)
		}
		for _, reg := range set.Registrations {
			r.addRegistration(reg.ID)
		}
		for _, t := range set.Transactions {
			r.put(t)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("record: %w", err)
	}
	if err := r.write(); err != nil {
		return nil, err
	}
	return r, nil
}

// Record keeps the transaction that an HTTP 200 answer to q found, if it
// found one, and rewrites the file when that changed it. It reports whether
// the file changed.
func (r *sessionRecorder) Record(q invariants.Enquiry, body []byte) (bool, error) {
	var answer struct {
		ResponseCode json.RawMessage            `json:"response_code"`
		Data         map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil || answer.Data == nil || string(answer.ResponseCode) != "1" {
		return false, nil
	}
	t, err := transactionOf(recharge.Key{RegistrationID: q.RegistrationID, ReferenceID: q.ReferenceID}, answer.Data)
	if err != nil {
		return false, err
	}
	if err := r.loadable(t); err != nil {
		return false, fmt.Errorf("it would not load as a fixture: %s", recharge.ErrorMessage(err))
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	changed := r.addRegistration(q.RegistrationID)
	changed = r.put(t) || changed
	if !changed {
		return false, nil
	}
	return true, r.write()
}

// addRegistration notes a registration the upstream answered for; it
// reports whether it was new.
func (r *sessionRecorder) addRegistration(id string) bool {
	if r.regIndex[id] {
		return false
	}
	r.regIndex[id] = true
	r.regs = append(r.regs, recharge.Registration{ID: id})
	return true
}

// put keeps t, replacing an earlier answer of the same transaction; it
// reports whether that changed anything.
func (r *sessionRecorder) put(t recharge.Transaction) bool {
	i, ok := r.txIndex[t.Key]
	if !ok {
		r.txIndex[t.Key] = len(r.txs)
		r.txs = append(r.txs, t)
		return true
	}
	if entryOf(r.txs[i]) == entryOf(t) {
		return false
	}
	r.txs[i] = t
	return true
}

func entryOf(t recharge.Transaction) fixtures.TransactionEntry {
	return fixtures.FromTransactions(nil, []recharge.Transaction{t}).Transactions[0]
}

// write replaces the file in one step: a reader, or a crash, sees the old
// recording or the new one, never half of one.
func (r *sessionRecorder) write() error {
	data, err := fixtures.FromTransactions(r.regs, r.txs).Marshal()
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	header := fmt.Sprintf("# RechargeStatus answers of %s, recorded by aopay-mock --record:\n"+
		"# the latest answer of each transaction. Keys and tokens are never recorded.\n"+
		"# Replay them offline with: aopay-mock --fixtures %s --unknown notfound\n", r.upstream, r.dir)
	tmp, err := os.CreateTemp(r.dir, ".recorded-*.tmp")
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.WriteString(header)
	if err == nil {
		_, err = tmp.Write(data)
	}
	if err == nil {
		err = tmp.Sync()
	}
	if closeErr := tmp.Close(); err == nil {
		err = closeErr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), r.path)
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// transactionOf reads a found answer's data the way the mock writes it:
// data.status "1" success, "0" failed or, with refunded "1", refunded,
// anything else pending.
func transactionOf(key recharge.Key, data map[string]json.RawMessage) (recharge.Transaction, error) {
	field := func(name string) (string, error) {
		raw, ok := data[name]
		if !ok || string(raw) == "null" {
			return "", nil
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", fmt.Errorf("data.%s is %s, not a string", name, raw)
		}
		return s, nil
	}
	fields := map[string]string{}
	for _, name := range []string{"txnid", "operatorname", "canumber", "amount", "comm", "tds", "status", "operatorid", "dateadded", "refunded", "refundtxnid", "daterefunded"} {
		v, err := field(name)
		if err != nil {
			return recharge.Transaction{}, err
		}
		fields[name] = v
	}
	t := recharge.Transaction{
		Key:          key,
		State:        stateOf(fields["status"], fields["refunded"]),
		TxnID:        fields["txnid"],
		OperatorName: fields["operatorname"],
		CANumber:     fields["canumber"],
		Amount:       fields["amount"],
		Comm:         fields["comm"],
		TDS:          fields["tds"],
		OperatorID:   fields["operatorid"],
		RefundTxnID:  fields["refundtxnid"],
		Origin:       recharge.OriginFixture,
		Scenario:     RecordedScenario,
	}
	if v := fields["dateadded"]; v != "" {
		at, err := recharge.ParseProviderTime(v)
		if err != nil {
			return t, fmt.Errorf("data.dateadded %q is not YYYY-MM-DD HH:MM:SS", v)
		}
		t.DateAdded = at
	}
	if v := fields["daterefunded"]; v != "" {
		at, err := recharge.ParseProviderTime(v)
		if err != nil {
			return t, fmt.Errorf("data.daterefunded %q is not YYYY-MM-DD HH:MM:SS", v)
		}
		t.DateRefunded = &at
	}
	return t, nil
}

// stateOf reads a transaction's state from its answer, by the rule the
// contract suite judges answers with.
func stateOf(status, refunded string) recharge.State {
	return recharge.State(invariants.PhaseOf(status, refunded))
}
