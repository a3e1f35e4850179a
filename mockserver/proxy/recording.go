package proxy

import (
	"fmt"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
)

// RecordingConfig is what a Recording is made of.
type RecordingConfig struct {
	// Upstream is the base URL whose answers are recorded.
	Upstream string
	// Dir is where the recording is written (RecordRegistrationsFile,
	// RecordTransactionsFile), continuing one found there; "" keeps it in
	// memory only, for snapshots.
	Dir string
	// Registrations are the registrations whose enquiries are recorded;
	// every registration's when empty.
	Registrations []string
	// Loadable reports why a recorded transaction would not load as a
	// fixture, so that the recording never holds one.
	Loadable func(fixtures.Transaction) error
	// Log hears of recordings not written.
	Log *slog.Logger
	// Stopping, once closed, has the recording written at once.
	Stopping <-chan struct{}
}

// Recording turns the answers a Proxy relays into fixtures: a recording
// started with aopay-mock --record, or through the admin API. It is safe for
// concurrent use.
type Recording struct {
	rec      *recorder
	upstream string
	dir      string
	capture  []string
	started  time.Time
	// enquiries counts the exchanges relayed for the captured
	// registrations while the recording was attached.
	enquiries atomic.Int64
}

// OpenRecording opens a recording, continuing one in cfg.Dir.
func OpenRecording(cfg RecordingConfig) (*Recording, error) {
	u, err := ParseUpstream(cfg.Upstream)
	if err != nil {
		return nil, err
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	logFailure := func(err error) { log.Error("recording not written", "error", err.Error()) }
	rec, err := openRecorder(cfg.Dir, DisplayURL(u), cfg.Loadable, logFailure, cfg.Stopping)
	if err != nil {
		return nil, err
	}
	return &Recording{rec: rec, upstream: DisplayURL(u), dir: cfg.Dir, capture: slices.Clone(cfg.Registrations), started: time.Now()}, nil
}

// Captures reports whether the enquiries of registrationID are recorded.
func (r *Recording) Captures(registrationID string) bool {
	return len(r.capture) == 0 || slices.Contains(r.capture, registrationID)
}

// record keeps what the upstream's answer, judged as verdict, says.
func (r *Recording) record(q rechargestatus.Enquiry, status int, body []byte, verdict conformance.Verdict) error {
	r.enquiries.Add(1)
	_, err := r.rec.RecordIn(q, status, pageForm(verdict, status, body), answeredIn(verdict, status))
	return err
}

// answeredIn is the known dialect a status answer came in, "" when it
// matches none or is no status answer: only a status answer (HTTP 200)
// shows how the code is spelt.
func answeredIn(v conformance.Verdict, status int) string {
	names := v.MatchNames()
	if status != 200 || len(names) == 0 || slices.Contains(names, dialect.Page) {
		return ""
	}
	return names[0]
}

// RecordingStatus is what a recording holds so far.
type RecordingStatus struct {
	Upstream      string
	Dir           string
	Registrations []string
	Started       time.Time
	// Enquiries are the exchanges relayed for the captured registrations.
	Enquiries int
	// RecordedRegistrations and RecordedTransactions are what the
	// recording holds, those of a recording it continued included.
	RecordedRegistrations, RecordedTransactions int
	// NotRecorded counts the transactions answered past
	// MaxRecordedTransactions.
	NotRecorded int
}

// Status says what the recording holds so far.
func (r *Recording) Status() RecordingStatus {
	set, notRecorded := r.rec.snapshot()
	return RecordingStatus{
		Upstream:              r.upstream,
		Dir:                   r.dir,
		Registrations:         slices.Clone(r.capture),
		Started:               r.started,
		Enquiries:             int(r.enquiries.Load()),
		RecordedRegistrations: len(set.Registrations),
		RecordedTransactions:  len(set.Transactions),
		NotRecorded:           notRecorded,
	}
}

// Snapshot is the recording so far as fixtures: what a mock started with
// --fixtures on the recording's directory loads.
func (r *Recording) Snapshot() fixtures.Set {
	set, _ := r.rec.snapshot()
	return set
}

// Close writes the recording whole; an answer recorded after Close is
// written before it is relayed.
func (r *Recording) Close() error {
	if err := r.rec.Close(); err != nil {
		return fmt.Errorf("recording of %s: %w", r.upstream, err)
	}
	return nil
}
