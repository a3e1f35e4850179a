package proxy

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"sync"
	"time"

	"gopkg.in/yaml.v3"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// The fixtures files --record DIR keeps in DIR: the registrations the
// upstream answered for, and the transactions it answered. Each change is
// appended to them, so that recording costs what it records and no more;
// loaded as one set (aopay-mock --fixtures DIR), a transaction's latest
// entry wins.
const (
	RecordRegistrationsFile = "recorded-registrations.yaml"
	RecordTransactionsFile  = "recorded-transactions.yaml"
)

// legacyRecordFile is the one file earlier releases rewrote whole on every
// change; a recording found in it is moved to the appended files.
const legacyRecordFile = "recorded.yaml"

// RecordedScenario names, in the fixtures, a transaction recorded from an
// upstream.
const RecordedScenario = "recorded"

// recordFlushInterval is the longest a recorded change waits in memory
// before it is appended: exchanges never wait for the disk, and a burst of
// them costs one write.
const recordFlushInterval = 200 * time.Millisecond

// MaxRecordedTransactions bounds the transactions one recording holds, in
// memory as in its files: a fixtures file of that many loads well within
// fixtures.MaxFileBytes. Answers of further transactions are still relayed,
// and counted as not recorded. The bound is the sandbox's own.
const MaxRecordedTransactions = 100_000

// recorder turns the transactions an upstream answered into fixtures,
// so that a mock started with --fixtures DIR answers them offline. It keeps
// the latest answer of each transaction and the registrations the upstream
// answered for, each with the dialect it answered in; never a key, a token
// or any other header.
//
// Record notes a change in memory; a writer of its own appends the changes
// at most every recordFlushInterval, and Close appends what is left. In
// memory it keeps what it recorded, for a snapshot, and a digest of each
// transaction's latest entry, to tell a change from an answer recorded
// already. Without a directory it keeps the recording in memory only.
type recorder struct {
	dir      string
	regFile  recordFile
	txFile   recordFile
	upstream string
	// loadable reports why a transaction would not load as a fixture.
	loadable func(fixtures.Transaction) error
	// log hears of an append that failed in the background.
	log func(error)

	mu sync.Mutex
	// regs are the registrations recorded, in the order first recorded.
	regs []fixtures.Registration
	// regIndex finds a registration in regs; answered and pendingStatus are
	// what the upstream's answers said of its dialect: the dialect of its
	// latest classified status answer and the data.status of its latest
	// pending transaction.
	regIndex      map[string]int
	answered      map[string]string
	pendingStatus map[string]string
	// txs are the transactions recorded, in the order first recorded, each
	// its latest answer; txIndex finds one, latest holds its entry's digest.
	txs     []fixtures.Transaction
	txIndex map[transaction.Key]int
	latest  map[transaction.Key][sha256.Size]byte
	// maxTransactions bounds txs; notRecorded counts the transactions
	// answered past it.
	maxTransactions int
	notRecorded     int
	// pendingRegs and pendingTxs are the entries not yet appended.
	pendingRegs, pendingTxs []byte
	// closed says the writer is gone: Record appends itself.
	closed bool

	// writeMu orders appends, so that a file's entries are in the order
	// of the changes.
	writeMu sync.Mutex
	// written counts the bytes appended since the recorder opened.
	written int64

	wake    chan struct{}
	done    chan struct{}
	stopped chan struct{}
	once    sync.Once
}

// recordFile is one of a recording's files: its path and its top-level key.
type recordFile struct {
	path, key string
}

// openRecorder records into dir, created when missing; in memory only when
// dir is "". A recording already in dir is continued, not lost: it is read
// once, each entry on its own. Missing files are created at once, so that
// an unwritable directory fails at start rather than at the first exchange.
func openRecorder(dir, upstream string, loadable func(fixtures.Transaction) error, log func(error), stopping <-chan struct{}) (*recorder, error) {
	r := &recorder{
		dir:             dir,
		upstream:        upstream,
		loadable:        loadable,
		log:             log,
		regIndex:        map[string]int{},
		answered:        map[string]string{},
		pendingStatus:   map[string]string{},
		txIndex:         map[transaction.Key]int{},
		latest:          map[transaction.Key][sha256.Size]byte{},
		maxTransactions: MaxRecordedTransactions,
		wake:            make(chan struct{}, 1),
		done:            make(chan struct{}),
		stopped:         make(chan struct{}),
	}
	if dir == "" {
		close(r.stopped)
		return r, nil
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("record: %w", err)
	}
	r.regFile = recordFile{filepath.Join(dir, RecordRegistrationsFile), "registrations"}
	r.txFile = recordFile{filepath.Join(dir, RecordTransactionsFile), "transactions"}
	for _, f := range []recordFile{r.regFile, r.txFile} {
		if err := r.continueFile(f); err != nil {
			return nil, err
		}
	}
	if err := r.adoptLegacy(); err != nil {
		return nil, err
	}
	go r.writeBehind(stopping)
	return r, nil
}

// continueFile reads the entries of f, or creates it when missing.
func (r *recorder) continueFile(f recordFile) error {
	file, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return r.create(f)
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer file.Close()
	end, err := r.readEntries(f, file)
	if err != nil {
		return fmt.Errorf("record: continue the recording in %s: %w", f.path, err)
	}
	info, err := file.Stat()
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	if info.Size() > end {
		// A crash cut the last write short: what it wrote is dropped, as
		// it was never acknowledged anyway.
		if err := os.Truncate(f.path, end); err != nil {
			return fmt.Errorf("record: drop the unfinished write at the end of %s: %w", f.path, err)
		}
		if r.log != nil {
			r.log(fmt.Errorf("record: dropped %d bytes of an unfinished write at the end of %s", info.Size()-end, f.path))
		}
	}
	// Appends must be possible: fail now rather than at the first one.
	w, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return w.Close()
}

// create writes f's header in one step: the file exists whole or not at
// all.
func (r *recorder) create(f recordFile) error {
	header := fmt.Sprintf("# RechargeStatus answers of %s, recorded by aopay-mock --record:\n"+
		"# the %s it answered, each change appended, the latest entry of each\n"+
		"# winning. Keys and tokens are never recorded.\n"+
		"# Replay them offline with: aopay-mock --fixtures %s --unknown notfound\n"+
		"%s:\n%s", r.upstream, f.key, r.dir, f.key, fixtures.RecordedUpToHere)
	tmp, err := os.CreateTemp(r.dir, ".recorded-*.tmp")
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	defer os.Remove(tmp.Name()) // fails harmlessly once renamed
	_, err = tmp.WriteString(header)
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
		err = os.Rename(tmp.Name(), f.path)
	}
	if err == nil {
		err = syncDir(r.dir)
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return nil
}

// readEntries reads f's entries as the recording knows them, each on its
// own so that memory holds one entry at a time, and returns the offset
// past the last complete write. Only entries followed by fixtures.RecordedUpToHere
// count.
func (r *recorder) readEntries(f recordFile, file io.Reader) (int64, error) {
	in := bufio.NewReader(file)
	var (
		offset, end int64
		entry       []byte
		batch       [][]byte
		sawKey      bool
		line        int
	)
	for {
		text, err := in.ReadBytes('\n')
		if len(text) > 0 {
			line++
			offset += int64(len(text))
			switch {
			case bytes.HasPrefix(text, []byte("- ")):
				if entry != nil {
					batch = append(batch, entry)
				}
				entry = text
			case bytes.HasPrefix(text, []byte(" ")) || string(text) == "\n":
				if entry == nil && string(text) != "\n" {
					return 0, fmt.Errorf("line %d is not part of an entry", line)
				}
				entry = append(entry, text...)
			case string(text) == fixtures.RecordedUpToHere:
				if entry != nil {
					batch, entry = append(batch, entry), nil
				}
				for _, e := range batch {
					if err := r.readEntry(f, e); err != nil {
						return 0, fmt.Errorf("an entry before line %d: %w", line, err)
					}
				}
				batch, end = nil, offset
			case text[0] == '#':
				// A comment: the header, or any note.
			case string(text) == f.key+":\n" && !sawKey:
				sawKey = true
			default:
				if err == nil {
					return 0, fmt.Errorf("line %d is neither an entry, a comment nor %s:", line, f.key)
				}
				// The last line, cut short: part of an unfinished write.
			}
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, err
		}
	}
	if !sawKey || end == 0 {
		return 0, fmt.Errorf("not a recording of aopay-mock --record; move it aside")
	}
	return end, nil
}

// readEntry notes one entry of f as recorded.
func (r *recorder) readEntry(f recordFile, entry []byte) error {
	dec := yaml.NewDecoder(bytes.NewReader(entry))
	dec.KnownFields(true)
	if f == r.regFile {
		var regs []fixtures.Registration
		if err := dec.Decode(&regs); err != nil || len(regs) != 1 {
			return fmt.Errorf("not one registration: %v", err)
		}
		reg := regs[0]
		d, err := reg.ParseDialect()
		if err != nil {
			return err
		}
		if reg.Dialect != "" {
			r.answered[reg.ID] = d.Name()
			r.pendingStatus[reg.ID] = d.Knobs().PendingStatus
		}
		r.keepRegistration(reg)
		return nil
	}
	var txs []fixtures.Transaction
	if err := dec.Decode(&txs); err != nil || len(txs) != 1 {
		return fmt.Errorf("not one transaction: %v", err)
	}
	r.keepTransaction(txs[0])
	r.latest[txs[0].Key] = sha256.Sum256(entry)
	return nil
}

// adoptLegacy moves a recording of earlier releases, the one file they
// rewrote whole, into the appended files, then removes it: loaded beside
// them it would sort after them and win over newer answers.
func (r *recorder) adoptLegacy() error {
	path := filepath.Join(r.dir, legacyRecordFile)
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	// The recording is the sandbox's own: nobody is to be warned of the
	// keys it was written with.
	set, err := fixtures.Load(context.Background(), path, slog.New(slog.DiscardHandler))
	if err != nil {
		return fmt.Errorf("record: continue the recording in %s: %w", path, err)
	}
	r.mu.Lock()
	for _, reg := range set.Registrations {
		r.noteRegistration(fixtures.Registration{ID: reg.ID, Disabled: reg.Disabled, Dialect: reg.Dialect})
	}
	for _, t := range set.Transactions {
		if _, err := r.noteTransaction(t); err != nil {
			r.mu.Unlock()
			return fmt.Errorf("record: continue the recording in %s: %w", path, err)
		}
	}
	r.mu.Unlock()
	if err := r.Flush(); err != nil {
		return err
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("record: %w", err)
	}
	return syncDir(r.dir)
}

// Record keeps what the upstream's answer to q, in page form, says: a
// registration it processed the enquiry for (HTTP 200, a transaction found
// or not), a registration it disabled (HTTP 404, response_code 3), and the
// transaction it found. It reports whether the recording changed; the
// files follow within recordFlushInterval.
func (r *recorder) Record(q rechargestatus.Enquiry, status int, body []byte) (bool, error) {
	return r.RecordIn(q, status, body, "")
}

// RecordIn records as Record does an answer the upstream gave in the known
// dialect named answeredIn ("" when unknown): the registration keeps the
// dialect of its latest status answer, so that a replay answers in it.
func (r *recorder) RecordIn(q rechargestatus.Enquiry, status int, body []byte, answeredIn string) (bool, error) {
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
		found, err := transactionOf(transaction.Key{RegistrationID: q.RegistrationID, ReferenceID: q.ReferenceID}, answer.Data)
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
	if status == http.StatusOK && answeredIn != "" {
		r.answered[q.RegistrationID] = answeredIn
	}
	if t != nil && t.State == transaction.StatePending {
		var pending string
		_ = json.Unmarshal(answer.Data["status"], &pending)
		r.pendingStatus[q.RegistrationID] = pending
	}
	reg := fixtures.Registration{ID: q.RegistrationID, Disabled: status == http.StatusNotFound,
		Dialect: dialectSpec(r.answered[q.RegistrationID], r.pendingStatus[q.RegistrationID])}
	changed := r.noteRegistration(reg)
	if t != nil {
		noted, err := r.noteTransaction(*t)
		if err != nil {
			r.mu.Unlock()
			return false, err
		}
		changed = noted || changed
	}
	closed := r.closed
	r.mu.Unlock()
	if !changed {
		return false, nil
	}
	if r.dir == "" {
		return true, nil
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

// dialectSpec is the dialect a recorded registration names: the one its
// upstream answered in, with the pending data.status it answered when that
// is not the dialect's own; "" for the page's, which needs no naming.
func dialectSpec(answeredIn, pendingStatus string) string {
	d := dialect.Default()
	if answeredIn != "" {
		known, err := dialect.Lookup(answeredIn)
		if err != nil {
			return ""
		}
		d = known
	}
	if pendingStatus != "" && pendingStatus != d.Knobs().PendingStatus {
		var o dialect.Overrides
		if o.Set(dialect.KnobPendingStatus, pendingStatus) == nil {
			d = d.With(o)
		}
	}
	if d.String() == dialect.Page {
		return ""
	}
	return d.String()
}

// noteRegistration notes a registration the upstream answered for, and
// reports whether that changed anything. The caller holds mu.
func (r *recorder) noteRegistration(reg fixtures.Registration) bool {
	if i, ok := r.regIndex[reg.ID]; ok && reflect.DeepEqual(r.regs[i], reg) {
		return false
	}
	entry, err := encodeEntry([]fixtures.Registration{reg})
	if err != nil {
		// A registration of strings always encodes.
		panic(err)
	}
	r.keepRegistration(reg)
	r.appendPending(&r.pendingRegs, entry)
	return true
}

// keepRegistration keeps reg, in place of an earlier entry of the same
// registration. The caller holds mu, or is opening the recorder.
func (r *recorder) keepRegistration(reg fixtures.Registration) {
	if i, ok := r.regIndex[reg.ID]; ok {
		r.regs[i] = reg
		return
	}
	r.regIndex[reg.ID] = len(r.regs)
	r.regs = append(r.regs, reg)
}

// noteTransaction notes t, in place of an earlier answer of the same
// transaction, and reports whether that changed anything; a transaction
// past maxTransactions is counted, not noted. The caller holds mu.
func (r *recorder) noteTransaction(t fixtures.Transaction) (bool, error) {
	entry, err := encodeEntry([]fixtures.Transaction{t})
	if err != nil {
		return false, fmt.Errorf("record: %w", err)
	}
	digest := sha256.Sum256(entry)
	was, ok := r.latest[t.Key]
	if ok && was == digest {
		return false, nil
	}
	if !ok && len(r.txs) >= r.maxTransactions {
		r.notRecorded++
		return false, nil
	}
	r.latest[t.Key] = digest
	r.keepTransaction(t)
	r.appendPending(&r.pendingTxs, entry)
	return true, nil
}

// keepTransaction keeps t, in place of an earlier answer of the same
// transaction. The caller holds mu, or is opening the recorder.
func (r *recorder) keepTransaction(t fixtures.Transaction) {
	if i, ok := r.txIndex[t.Key]; ok {
		r.txs[i] = t
		return
	}
	r.txIndex[t.Key] = len(r.txs)
	r.txs = append(r.txs, t)
}

// appendPending adds entry to the changes to write; a recording in memory
// only writes none.
func (r *recorder) appendPending(pending *[]byte, entry []byte) {
	if r.dir != "" {
		*pending = append(*pending, entry...)
	}
}

// snapshot is the recording so far, as a fixtures set loads it, and how
// many transactions were answered past maxTransactions.
func (r *recorder) snapshot() (fixtures.Set, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	set := fixtures.Set{
		Registrations: append([]fixtures.Registration{}, r.regs...),
		Transactions:  append([]fixtures.Transaction{}, r.txs...),
	}
	return set, r.notRecorded
}

// encodeEntry writes a one-item list as a fixtures file does, its "- " in
// the first column: appended under the file's key, it is one more item.
func encodeEntry(list any) ([]byte, error) {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(list); err != nil {
		return nil, err
	}
	return buf.Bytes(), enc.Close()
}

// writeBehind appends the changes, at most every recordFlushInterval,
// until Close; and at once when stopping closes, the server's shutdown
// beginning.
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

// Flush appends the changes not yet written: the registrations first, so
// that a transaction's registration is on disk before it. Only taking the
// changes holds the recording's lock: exchanges go on while the files are
// written and synced. Changes that could not be written are kept for the
// next Flush.
func (r *recorder) Flush() error {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	r.mu.Lock()
	regs, txs := r.pendingRegs, r.pendingTxs
	r.pendingRegs, r.pendingTxs = nil, nil
	r.mu.Unlock()
	err := r.appendTo(r.regFile, regs)
	if err == nil {
		regs = nil
		err = r.appendTo(r.txFile, txs)
	}
	if err != nil {
		r.mu.Lock()
		r.pendingRegs = append(regs, r.pendingRegs...)
		r.pendingTxs = append(txs, r.pendingTxs...)
		r.mu.Unlock()
	}
	return err
}

// appendTo appends entries and the mark of a complete write to f, and
// syncs it; on failure, f is cut back to what it held.
func (r *recorder) appendTo(f recordFile, entries []byte) error {
	if len(entries) == 0 {
		return nil
	}
	file, err := os.OpenFile(f.path, os.O_WRONLY|os.O_APPEND, 0)
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	info, err := file.Stat()
	if err == nil {
		_, err = file.Write(append(entries, fixtures.RecordedUpToHere...))
	}
	if err == nil {
		err = file.Sync()
	}
	if err != nil && info != nil {
		_ = file.Truncate(info.Size())
	}
	if closeErr := file.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return fmt.Errorf("record: %w", err)
	}
	r.written += int64(len(entries) + len(fixtures.RecordedUpToHere))
	return nil
}

// bytesWritten is how many bytes the recorder has appended since it opened.
func (r *recorder) bytesWritten() int64 {
	r.writeMu.Lock()
	defer r.writeMu.Unlock()
	return r.written
}

// Close stops the writer and appends what it had not; every later Record
// appends before it returns.
func (r *recorder) Close() error {
	r.once.Do(func() { close(r.done) })
	<-r.stopped
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	return r.Flush()
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
func transactionOf(key transaction.Key, data map[string]json.RawMessage) (fixtures.Transaction, error) {
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
		Description: transaction.Description{
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
func stateOf(status, refunded string) transaction.State {
	return transaction.State(conformance.PhaseOf(status, refunded))
}
