package proxy

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
)

// RecordFile is the fixtures file --record DIR keeps in DIR.
const RecordFile = "recorded.yaml"

// RecordedScenario names, in the fixtures, a transaction recorded from an
// upstream.
const RecordedScenario = "recorded"

// recordFlushInterval is the longest a recorded change waits in memory
// before the file is rewritten: exchanges never wait for the disk, and a
// burst of them costs one rewrite.
const recordFlushInterval = 200 * time.Millisecond

// recorder turns the transactions an upstream answered into fixtures,
// so that a mock started with --fixtures DIR answers them offline. It keeps
// the latest answer of each transaction and the registrations the upstream
// answered for; never a key, a token or any other header.
//
// Record changes the recording in memory; a writer of its own rewrites the
// file at most every recordFlushInterval, and Close writes what is left.
type recorder struct {
	dir, path string
	upstream  string
	// loadable reports why a transaction would not load as a fixture.
	loadable func(fixtures.Transaction) error
	// log hears of a rewrite that failed in the background.
	log func(error)

	mu       sync.Mutex
	regs     []fixtures.Registration
	regIndex map[string]int
	txs      []fixtures.Transaction
	txIndex  map[admin.Key]int
	// dirty says the file lags the recording.
	dirty bool
	// closed says the writer is gone: Record writes the file itself.
	closed bool

	// writeMu orders rewrites, so an older one never replaces a newer one.
	writeMu sync.Mutex
	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// openRecorder records into dir, created when missing. A recording
// already in dir is continued, not lost. The file is written at once, so
// that an unwritable directory fails at start rather than at the first
// exchange.
func openRecorder(dir, upstream string, loadable func(fixtures.Transaction) error, log func(error), stopping <-chan struct{}) (*recorder, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r := &recorder{
		dir:      dir,
		path:     filepath.Join(dir, RecordFile),
		upstream: upstream,
		loadable: loadable,
		log:      log,
		regIndex: map[string]int{},
		txIndex:  map[admin.Key]int{},
		wake:     make(chan struct{}, 1),
		done:     make(chan struct{}),
		stopped:  make(chan struct{}),
	}
	switch _, err := os.Stat(r.path); {
	case err == nil:
		// The recording is the sandbox's own: nobody is to be warned of
		// the keys it was written with, which the next rewrite renews.
		set, err := fixtures.Load(r.path, slog.New(slog.DiscardHandler))
		if err != nil {
			return nil, fmt.Errorf("record: continue the recording in %s: %w", r.path, err)
		}
		for _, reg := range set.Registrations {
			r.putRegistration(reg.ID, reg.Disabled)
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
	go r.writeBehind(stopping)
	return r, nil
}

// Record keeps what the upstream's answer to q says: a registration it
// processed the enquiry for (HTTP 200, a transaction found or not), a
// registration it disabled (HTTP 404, response_code 3), and the
// transaction it found. It reports whether the recording changed; the
// file follows within recordFlushInterval.
func (r *recorder) Record(q rechargestatus.Enquiry, status int, body []byte) (bool, error) {
	var answer struct {
		ResponseCode json.RawMessage            `json:"response_code"`
		Data         map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(body, &answer); err != nil {
		return false, nil
	}
	code := string(answer.ResponseCode)
	var t *fixtures.Transaction
	switch {
	case status == http.StatusOK && code == "1" && answer.Data != nil:
		found, err := transactionOf(admin.Key{RegistrationID: q.RegistrationID, ReferenceID: q.ReferenceID}, answer.Data)
		if err != nil {
			return false, err
		}
		if err := r.loadable(found); err != nil {
			return false, fmt.Errorf("it would not load as a fixture: %w", err)
		}
		t = &found
	case status == http.StatusOK && (code == "1" || code == "2"):
	case status == http.StatusNotFound && code == "3":
	default:
		return false, nil
	}
	r.mu.Lock()
	changed := r.putRegistration(q.RegistrationID, status == http.StatusNotFound)
	if t != nil {
		changed = r.put(*t) || changed
	}
	r.dirty = r.dirty || changed
	closed := r.closed
	r.mu.Unlock()
	if !changed {
		return false, nil
	}
	if closed {
		return true, r.Flush()
	}
	select {
	case r.wake <- struct{}{}:
	default:
	}
	return true, nil
}

// writeBehind rewrites the file when the recording changed, at most every
// recordFlushInterval, until Close; and at once when stopping closes, the
// server's shutdown beginning.
func (r *recorder) writeBehind(stopping <-chan struct{}) {
	defer close(r.stopped)
	for {
		select {
		case <-r.done:
			return
		case <-r.wake:
		case <-stopping:
			stopping = nil
		}
		if err := r.Flush(); err != nil && r.log != nil {
			r.log(err)
		}
		select {
		case <-r.done:
			return
		case <-time.After(recordFlushInterval):
		}
	}
}

// Flush writes the recording when the file lags it. Only the snapshot is
// taken under the recording's lock: exchanges go on while the file is
// written and synced.
func (r *recorder) Flush() error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.mu.Lock()
	if !r.dirty {
		r.mu.Unlock()
		return nil
	}
	data, err := r.snapshot()
	r.dirty = false
	r.mu.Unlock()
	if err == nil {
		err = r.writeFile(data)
	}
	if err != nil {
		r.mu.Lock()
		r.dirty = true
		r.mu.Unlock()
	}
	return err
}

// Close stops the writer and writes what it had not; every later Record
// writes the file before it returns.
func (r *recorder) Close() error {
	r.once.Do(func() { close(r.done) })
	<-r.stopped
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return r.Flush()
}

// putRegistration notes a registration the upstream answered for, disabled
// or not; it reports whether that changed anything.
func (r *recorder) putRegistration(id string, disabled bool) bool {
	i, ok := r.regIndex[id]
	if !ok {
		r.regIndex[id] = len(r.regs)
		r.regs = append(r.regs, fixtures.Registration{ID: id, Disabled: disabled})
		return true
	}
	if r.regs[i].Disabled == disabled {
		return false
	}
	r.regs[i].Disabled = disabled
	return true
}

// put keeps t, replacing an earlier answer of the same transaction; it
// reports whether that changed anything.
func (r *recorder) put(t fixtures.Transaction) bool {
	i, ok := r.txIndex[t.Key]
	if !ok {
		r.txIndex[t.Key] = len(r.txs)
		r.txs = append(r.txs, t)
		return true
	}
	if reflect.DeepEqual(r.txs[i], t) {
		return false
	}
	r.txs[i] = t
	return true
}

// write writes the whole recording at once.
func (r *recorder) write() error {
	data, err := r.snapshot()
	if err != nil {
		return err
	}
	return r.writeFile(data)
}

// snapshot is the recording as the file holds it; the caller holds mu.
func (r *recorder) snapshot() ([]byte, error) {
	data, err := fixtures.Set{Registrations: r.regs, Transactions: r.txs}.Marshal()
	if err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	return data, nil
}

// writeFile replaces the file in one step: a reader, or a crash, sees the
// old recording or the new one, never half of one.
func (r *recorder) writeFile(data []byte) error {
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
	if err == nil {
		err = syncDir(r.dir)
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// syncDir makes a rename in dir survive a crash.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if closeErr := d.Close(); err == nil {
		err = closeErr
	}
	return err
}

// transactionOf reads a found answer's data the way the mock writes it:
// data.status "1" success, "0" failed or, with refunded "1", refunded,
// anything else pending.
func transactionOf(key admin.Key, data map[string]json.RawMessage) (fixtures.Transaction, error) {
	fields := map[string]string{}
	for _, name := range []string{"txnid", "operatorname", "canumber", "amount", "comm", "tds", "status", "operatorid", "dateadded", "refunded", "refundtxnid", "daterefunded"} {
		raw, ok := data[name]
		if !ok || string(raw) == "null" {
			continue
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return fixtures.Transaction{}, fmt.Errorf("data.%s is %s, not a string", name, raw)
		}
		fields[name] = s
	}
	t := fixtures.Transaction{
		Key: key,
		Transaction: admin.Transaction{
			State:        stateOf(fields["status"], fields["refunded"]),
			TxnID:        fields["txnid"],
			OperatorName: fields["operatorname"],
			CANumber:     fields["canumber"],
			Amount:       fields["amount"],
			Comm:         fields["comm"],
			TDS:          fields["tds"],
			OperatorID:   fields["operatorid"],
			DateAdded:    fields["dateadded"],
			RefundTxnID:  fields["refundtxnid"],
			DateRefunded: fields["daterefunded"],
		},
		Scenario: RecordedScenario,
	}
	for _, name := range []string{"dateadded", "daterefunded"} {
		if v := fields[name]; v != "" {
			if _, err := rechargestatus.ParseTime(v); err != nil {
				return t, fmt.Errorf("data.%s %q must be YYYY-MM-DD HH:MM:SS, Indian time", name, v)
			}
		}
	}
	return t, nil
}

// stateOf reads a transaction's state from its answer, by the rule the
// contract suite judges answers with.
func stateOf(status, refunded string) admin.State {
	return admin.State(conformance.PhaseOf(status, refunded))
}
