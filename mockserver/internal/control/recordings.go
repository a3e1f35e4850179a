package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// recordings starts and stops the recordings of upstream answers, one at a
// time: aopay-mock --record at start-up, and the admin API's. In proxy mode
// a recording rides on the proxy; otherwise it has a proxy of its own, to
// which the enquiries of the registrations it captures go while it lasts.
type recordings struct {
	// base is proxy mode's proxy; nil when the mock answers itself.
	base *proxy.Proxy
	// newProxy makes a proxy to upstream, outside proxy mode.
	newProxy func(upstream string) (*proxy.Proxy, error)
	// open opens a recording of upstream into dir ("" in memory) of the
	// registrations named.
	open func(upstream, dir string, registrations []string) (*proxy.Recording, error)
	// root is where the admin API's recordings may be written; none when "".
	root string

	// route is the recording in progress outside proxy mode, read by every
	// enquiry.
	route atomic.Pointer[recordingRoute]

	mu sync.Mutex
	// active is the recording in progress, last the latest one.
	active, last *proxy.Recording
	// own is the proxy of the latest recording outside proxy mode.
	own *proxy.Proxy
}

// recordingRoute is a recording in progress outside proxy mode and the
// proxy its enquiries go through.
type recordingRoute struct {
	proxy     *proxy.Proxy
	recording *proxy.Recording
}

// newRecordings starts and stops recordings: on proxy mode's proxy, or on
// a proxy of their own to the upstream each names.
func (c *Control) newRecordings(cfg Config) *recordings {
	loadable := func(t fixtures.Transaction) error {
		tx, err := recharge.FromDescription(t.Key, t.Description, transaction.OriginFixture, t.Scenario)
		if err == nil {
			c.service.Complete(&tx, c.clock.Now())
			err = tx.Validate()
		}
		if err != nil {
			return errors.New(transaction.ErrorMessage(err))
		}
		return nil
	}
	return &recordings{
		base:     c.proxy,
		root:     cfg.RecordRoot,
		newProxy: cfg.NewProxy,
		open: func(upstream, dir string, registrations []string) (*proxy.Recording, error) {
			return proxy.OpenRecording(proxy.RecordingConfig{Upstream: upstream, Dir: dir, Registrations: registrations,
				Loadable: loadable, Log: cfg.Log, Stopping: cfg.Stopping})
		},
	}
}

// start starts a recording; trusted, as at start-up, its directory is
// taken as it is, otherwise it must lie under root.
func (rs *recordings) start(in admin.RecordingStart, trusted bool) (*proxy.Recording, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.active != nil {
		return nil, admin.Errorf(http.StatusConflict, admin.CodeConflict, "a recording of %s is in progress; stop it first", rs.active.Status().Upstream)
	}
	upstream, err := rs.upstreamOf(in.Upstream)
	if err != nil {
		return nil, err
	}
	dir := in.Directory
	if !trusted && dir != "" {
		if dir, err = rs.underRoot(dir); err != nil {
			return nil, err
		}
	}
	rec, err := rs.open(upstream, dir, in.Registrations)
	if err != nil {
		if trusted {
			return nil, err
		}
		return nil, admin.Errorf(http.StatusUnprocessableEntity, admin.CodeInvalid, "%s", err.Error())
	}
	if rs.base != nil {
		rs.base.Record(rec)
	} else {
		p, err := rs.newProxy(upstream)
		if err != nil {
			_ = rec.Close()
			return nil, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "%s", err.Error())
		}
		if rs.own != nil {
			_ = rs.own.Close()
		}
		rs.own = p
		p.Record(rec)
		rs.route.Store(&recordingRoute{proxy: p, recording: rec})
	}
	rs.active, rs.last = rec, rec
	return rec, nil
}

// upstreamOf is the upstream a recording asked for in records: the proxy's
// in proxy mode, which it may leave out.
func (rs *recordings) upstreamOf(upstream string) (string, error) {
	if rs.base != nil && upstream == "" {
		return rs.base.Upstream(), nil
	}
	u, err := proxy.ParseUpstream(upstream)
	if upstream == "" {
		err = errors.New("upstream is required: the http or https base URL whose answers are recorded")
	}
	if err != nil {
		// Never the URL itself: its user information may be a password.
		return "", admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "%s", err.Error())
	}
	if rs.base != nil && proxy.DisplayURL(u) != rs.base.Upstream() {
		return "", admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "upstream %s: in proxy mode a recording records the proxy's upstream, %s", proxy.DisplayURL(u), rs.base.Upstream())
	}
	return upstream, nil
}

// underRoot is where directory, relative to root, lies, created when
// missing. Neither a path leaving root nor a symbolic link pointing out of
// it is taken: the admin API never chooses where the sandbox writes.
func (rs *recordings) underRoot(directory string) (string, error) {
	if rs.root == "" {
		return "", admin.Errorf(http.StatusForbidden, admin.CodeForbidden, "this sandbox writes no recording for the admin API: start it with --record-root DIR, or leave directory out to record in memory")
	}
	if !filepath.IsLocal(directory) {
		return "", admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "directory %q must be a relative path under the recording root, without ..", directory)
	}
	root, err := os.OpenRoot(rs.root)
	if err == nil {
		// os.Root refuses a path that a symbolic link leads out of root.
		err = root.MkdirAll(directory, 0o755)
		_ = root.Close()
	}
	if err != nil {
		return "", admin.Errorf(http.StatusUnprocessableEntity, admin.CodeInvalid, "directory %q under the recording root: %s", directory, err.Error())
	}
	return filepath.Join(rs.root, directory), nil
}

// stop ends the recording in progress, written whole.
func (rs *recordings) stop() (*proxy.Recording, error) {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	rec := rs.active
	if rec == nil {
		return nil, admin.Errorf(http.StatusConflict, admin.CodeConflict, "no recording is in progress")
	}
	if rs.base != nil {
		rs.base.Record(nil)
	} else {
		rs.route.Store(nil)
		rs.own.Record(nil)
	}
	rs.active = nil
	if err := rec.Close(); err != nil {
		return rec, admin.Errorf(http.StatusInternalServerError, admin.CodeInternal, "%s", err.Error())
	}
	return rec, nil
}

// close stops the recording in progress, if any, and ends the connections
// of the recordings' own proxy.
func (rs *recordings) close() error {
	var err error
	if _, stopErr := rs.stop(); admin.ErrorCode(stopErr) != admin.CodeConflict {
		err = stopErr
	}
	rs.mu.Lock()
	defer rs.mu.Unlock()
	if rs.own != nil {
		_ = rs.own.Close()
	}
	return err
}

// status describes rec, in progress or not; no recording when nil.
func (rs *recordings) status(rec *proxy.Recording) admin.RecordingStatus {
	if rec == nil {
		return admin.RecordingStatus{Registrations: []string{}}
	}
	s := rec.Status()
	rs.mu.Lock()
	active := rs.active == rec
	rs.mu.Unlock()
	out := admin.RecordingStatus{
		Recording:             active,
		Upstream:              s.Upstream,
		Directory:             s.Dir,
		Registrations:         s.Registrations,
		StartedAt:             s.Started.UTC(),
		Enquiries:             s.Enquiries,
		RecordedRegistrations: s.RecordedRegistrations,
		RecordedTransactions:  s.RecordedTransactions,
		NotRecorded:           s.NotRecorded,
	}
	if out.Registrations == nil {
		out.Registrations = []string{}
	}
	return out
}

// latest is the recording in progress, or the last one; nil when none
// started.
func (rs *recordings) latest() *proxy.Recording {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.last
}

// violationSource is the proxy whose findings the admin API lists outside
// proxy mode: that of the latest recording.
func (rs *recordings) violationSource() *proxy.Proxy {
	rs.mu.Lock()
	defer rs.mu.Unlock()
	return rs.own
}

// recordingSwitch answers an enquiry through the recording in progress when
// it captures the enquiry's registration, and as the mock does otherwise.
type recordingSwitch struct {
	recordings *recordings
	local      served.EnquiryHandler
}

func (s recordingSwitch) ServeEnquiry(w http.ResponseWriter, r *http.Request, e served.Enquiry) served.Outcome {
	if route := s.recordings.route.Load(); route != nil && route.recording.Captures(e.Enquiry.RegistrationID) {
		// The upstream answers without a write that could check the
		// shared state the enquiry assumes; it is read first.
		if err := recharge.AssumedFrom(r.Context()).Confirm(r.Context()); errors.Is(err, recharge.ErrStale) {
			return served.Outcome{Stale: true}
		}
		return route.proxy.ServeEnquiry(w, r, e)
	}
	return s.local.ServeEnquiry(w, r, e)
}

func (c *Control) StartRecording(_ context.Context, start admin.RecordingStart) (admin.RecordingStatus, error) {
	rec, err := c.recordings.start(start, false)
	if err != nil {
		return admin.RecordingStatus{}, err
	}
	return c.recordings.status(rec), nil
}

func (c *Control) StopRecording(context.Context) (admin.RecordingStatus, error) {
	rec, err := c.recordings.stop()
	if rec == nil {
		return admin.RecordingStatus{}, err
	}
	return c.recordings.status(rec), err
}

func (c *Control) Recording(context.Context) (admin.RecordingStatus, error) {
	return c.recordings.status(c.recordings.latest()), nil
}

func (c *Control) RecordingSnapshot(_ context.Context, format admin.SnapshotFormat) ([]byte, error) {
	rec := c.recordings.latest()
	if rec == nil {
		return nil, admin.Errorf(http.StatusNotFound, admin.CodeNotFound, "no recording was started; POST /__admin/recordings/start first")
	}
	set := rec.Snapshot()
	switch format {
	case "", admin.SnapshotJSON:
		return snapshotJSON(set)
	case admin.SnapshotYAML:
		data, err := set.Marshal()
		return data, admin.ErrorOf(err)
	}
	return nil, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "format %q is not json or yaml", format)
}

// snapshotJSON writes set as a fixtures file in JSON.
func snapshotJSON(set fixtures.Set) ([]byte, error) {
	if set.Registrations == nil {
		set.Registrations = []fixtures.Registration{}
	}
	if set.Transactions == nil {
		set.Transactions = []fixtures.Transaction{}
	}
	data, err := json.Marshal(set)
	if err != nil {
		return nil, admin.ErrorOf(fmt.Errorf("snapshot: %w", err))
	}
	return data, nil
}
