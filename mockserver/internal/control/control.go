// Package control is the sandbox's admin API in process (admin.Admin): the
// operations that change the sandbox (transactions, clock, fault rules,
// fixtures, recordings) and read its journal. adminhttp serves it over HTTP
// and mockserver.Server.Admin hands it to Go callers. It stands apart from
// the serving of the provider's endpoint, which shares only the store, the
// clock and the rules with it: how the sandbox is driven never reaches into
// how an enquiry is answered.
package control

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver/faults"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/journal"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// Control is the sandbox's admin API in process: the transactions, the
// journal, the clock, the fault rules and the proxy's findings. adminhttp
// serves it over HTTP.
type Control struct {
	service *recharge.Service
	store   recharge.Store
	clock   *recharge.VirtualClock
	// settings keeps the clock and the fault rules; nil when the store
	// keeps no settings, and they then last as long as the process.
	settings recharge.Settings
	journal  *journal.Journal
	// auditor judges the client by the journal, reading it as it grows.
	auditor atomic.Pointer[audit.Auditor]
	faults  *faults.Set
	// proxy is proxy mode's; nil when the mock answers itself.
	proxy *proxy.Proxy
	// recordings are the recordings of upstream answers.
	recordings *recordings
	codes      recharge.StatusCodes
	started    time.Time
	// reread reads the fixtures again, for a reload.
	reread func(context.Context) (fixtures.Set, error)
	// stopping, once closed, ends a reread in progress: a shutdown does not
	// wait for it.
	stopping <-chan struct{}
	// fixturesLoaded hears of each set of fixtures put in force.
	fixturesLoaded func(fixtures.Set)

	// mu makes reset, reload and clock moves happen one at a time.
	mu sync.Mutex
	// fixtures is what a reset goes back to.
	fixtures fixtures.Set
}

var _ admin.Admin = (*Control)(nil)

// Config is what a Control works on, and how it makes the proxies and the
// recordings of proxy mode and of the admin API.
type Config struct {
	Service *recharge.Service
	// Store is the service's store. When it keeps settings
	// (recharge.Settings) the clock and the fault rules are kept in it;
	// when it keeps records (recharge.Records), a record per rule.
	Store   recharge.Store
	Clock   *recharge.VirtualClock
	Journal *journal.Journal
	// Codes are the values of data.status the transactions are shown with.
	Codes recharge.StatusCodes
	// Seed makes the fault rules' draws reproducible.
	Seed int64
	// Reread reads the fixtures again, for a reload.
	Reread func(context.Context) (fixtures.Set, error)
	// Stopping, once closed, ends a reread in progress and the waits of
	// the recordings.
	Stopping <-chan struct{}
	// FixturesLoaded hears of each set of fixtures put in force.
	FixturesLoaded func(fixtures.Set)

	// ProxyUpstream, when set, puts the sandbox in proxy mode: its proxy
	// answers the enquiries.
	ProxyUpstream string
	// NewProxy makes a proxy to upstream: proxy mode's, or a recording's
	// outside proxy mode.
	NewProxy func(upstream string) (*proxy.Proxy, error)
	// RecordDir, with ProxyUpstream, starts a recording into it with the
	// process (--record).
	RecordDir string
	// RecordRoot is where the admin API's recordings may be written; none
	// when "".
	RecordRoot string
	// Log receives the recordings' log lines.
	Log *slog.Logger
}

// New builds the control plane of cfg: the clock and the fault rules the
// store kept are put back, proxy mode's proxy is made and a --record
// recording started. The fixtures are loaded afterwards (Load), so that
// they are completed on the restored clock.
func New(ctx context.Context, cfg Config) (*Control, error) {
	c := &Control{
		service:        cfg.Service,
		store:          cfg.Store,
		clock:          cfg.Clock,
		journal:        cfg.Journal,
		codes:          cfg.Codes,
		started:        time.Now(),
		stopping:       cfg.Stopping,
		reread:         cfg.Reread,
		fixturesLoaded: cfg.FixturesLoaded,
	}
	c.auditor.Store(audit.NewAuditor())
	c.settings, _ = cfg.Store.(recharge.Settings)
	records, _ := cfg.Store.(recharge.Records)
	c.faults = faults.NewSet(cfg.Seed, records)
	if err := c.Restore(ctx); err != nil {
		return nil, err
	}
	if cfg.ProxyUpstream != "" {
		var err error
		if c.proxy, err = cfg.NewProxy(cfg.ProxyUpstream); err != nil {
			return nil, err
		}
	} else if cfg.RecordDir != "" {
		return nil, errors.New("record: recording needs a proxy upstream, whose answers it records")
	}
	c.recordings = c.newRecordings(cfg)
	if cfg.RecordDir != "" {
		// --record is a recording started with the process, as the admin
		// API starts one.
		if _, err := c.recordings.start(admin.RecordingStart{Upstream: cfg.ProxyUpstream, Directory: cfg.RecordDir}, true); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// Names of the settings a store keeps for the sandbox.
const (
	clockSetting = "clock"
	// legacyFaultsSetting is where earlier releases kept every fault rule
	// in one document, rewritten on every change; the rules now have a
	// record each (faults.Collection).
	legacyFaultsSetting = "faults"
)

// Restore puts back the clock and the fault rules the store kept: at
// start, and whenever another process sharing the store changed them.
func (c *Control) Restore(ctx context.Context) error {
	if c.settings != nil {
		if data, found, err := c.settings.LoadSetting(ctx, clockSetting); err != nil {
			return fmt.Errorf("load clock: %w", err)
		} else if found {
			var st recharge.ClockState
			if err := json.Unmarshal(data, &st); err != nil {
				return fmt.Errorf("saved clock: %w", err)
			}
			c.clock.Restore(st)
		}
	}
	found, err := c.faults.Load(ctx)
	if err != nil || found || c.settings == nil {
		return err
	}
	if data, found, err := c.settings.LoadSetting(ctx, legacyFaultsSetting); err != nil {
		return fmt.Errorf("load faults: %w", err)
	} else if found {
		return c.faults.Adopt(ctx, data)
	}
	return nil
}

// Service is the domain the control plane changes.
func (c *Control) Service() *recharge.Service { return c.service }

// Store is the store of the transactions, the clock and the rules.
func (c *Control) Store() recharge.Store { return c.store }

// Faults is the set of fault rules in force.
func (c *Control) Faults() *faults.Set { return c.faults }

// Codes are the values of data.status the transactions are shown with.
func (c *Control) Codes() recharge.StatusCodes { return c.codes }

// Now is the sandbox clock's time.
func (c *Control) Now() time.Time { return c.clock.Now() }

// Proxying says the sandbox is in proxy mode: its upstream answers every
// enquiry validation and faults let through.
func (c *Control) Proxying() bool { return c.proxy != nil }

// Answerer is what answers the enquiries that validation and faults let
// through: proxy mode's proxy, or else local, but for the registrations a
// recording in progress captures.
func (c *Control) Answerer(local served.EnquiryHandler) served.EnquiryHandler {
	if c.proxy != nil {
		// The same validation and faults, then the upstream answers
		// instead of the store.
		return c.proxy
	}
	return recordingSwitch{recordings: c.recordings, local: local}
}

// Close stops the recording in progress, written whole, and ends the
// connections of the proxies.
func (c *Control) Close() error {
	err := c.recordings.close()
	if c.proxy != nil {
		err = errors.Join(err, c.proxy.Close())
	}
	return err
}

func (c *Control) ListRequests(_ context.Context, q admin.JournalQuery) ([]admin.JournalEntry, error) {
	if q.Limit < 0 {
		return nil, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "limit %d must not be negative", q.Limit)
	}
	return c.journal.Entries(q), nil
}

func (c *Control) ListRequestPage(_ context.Context, q admin.JournalQuery) (admin.JournalList, error) {
	switch {
	case q.Limit == 0:
		q.Limit = admin.DefaultJournalPage
	case q.Limit < 0 || q.Limit > admin.MaxJournalPage:
		return admin.JournalList{}, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "limit %d must be from 1 to %d", q.Limit, admin.MaxJournalPage)
	}
	return c.journal.Page(q), nil
}

func (c *Control) CountRequests(_ context.Context, q admin.JournalQuery) (int, error) {
	return c.journal.Count(q), nil
}

func (c *Control) FindRequests(_ context.Context, m admin.RequestMatcher) (admin.FoundRequests, error) {
	matcher, err := journal.Compile(m)
	if err != nil {
		return admin.FoundRequests{}, err
	}
	return c.journal.Find(matcher), nil
}

func (c *Control) CountMatching(_ context.Context, m admin.RequestMatcher) (int, error) {
	matcher, err := journal.Compile(m)
	if err != nil {
		return 0, err
	}
	return c.journal.CountMatching(matcher), nil
}

func (c *Control) NearMisses(_ context.Context, m admin.RequestMatcher) ([]admin.NearMiss, error) {
	matcher, err := journal.Compile(m)
	if err != nil {
		return nil, err
	}
	return c.journal.NearMisses(matcher), nil
}

func (c *Control) ClearRequests(context.Context) error {
	c.journal.Clear()
	return nil
}

func (c *Control) Health(ctx context.Context) (admin.Health, error) {
	n, err := c.store.Count(ctx)
	if err != nil {
		return unhealthy("the store cannot be read: " + err.Error())
	}
	// A store that cannot write loses what it is told: the sandbox is not
	// fit to serve until a write succeeds again.
	if wh, ok := c.store.(recharge.WriteHealth); ok {
		if err := wh.WriteError(); err != nil {
			return unhealthy("the store's latest write failed, and every change fails until one succeeds again: " + err.Error())
		}
	}
	return admin.Health{
		Status:        admin.HealthOK,
		Transactions:  n,
		JournalLength: c.journal.Len(),
		Uptime:        time.Since(c.started).Round(time.Second).String(),
		Clock:         c.clock.Now(),
	}, nil
}

// unhealthy is the health of a sandbox that cannot serve, and why.
func unhealthy(reason string) (admin.Health, error) {
	h := admin.Health{Status: admin.HealthUnavailable, Error: reason}
	return h, admin.Errorf(http.StatusServiceUnavailable, admin.CodeUnavailable, "%s", reason)
}

func (c *Control) ListFaults(context.Context) ([]admin.FaultRule, error) { return c.faults.List(), nil }

func (c *Control) ReplaceFaults(ctx context.Context, rules []admin.FaultRule) ([]admin.FaultRule, error) {
	out, err := c.faults.Replace(ctx, rules)
	return out, admin.ErrorOf(err)
}

func (c *Control) AddFault(ctx context.Context, rule admin.FaultRule) (admin.FaultRule, error) {
	out, err := c.faults.Add(ctx, rule)
	return out, admin.ErrorOf(err)
}

func (c *Control) DeleteFault(ctx context.Context, id string) error {
	return admin.ErrorOf(c.faults.Delete(ctx, id))
}

func (c *Control) ClearFaults(ctx context.Context) error {
	return admin.ErrorOf(c.faults.Clear(ctx))
}

// Violations lists every violation q selects after q.After, whatever q.Limit.
func (c *Control) Violations(ctx context.Context, q admin.ViolationQuery) (admin.ViolationList, error) {
	return c.violationsAfter(ctx, q, math.MaxInt)
}

func (c *Control) ClearViolations(ctx context.Context) error {
	if p := c.findingsProxy(); p != nil {
		return admin.ErrorOf(p.ClearViolations(ctx))
	}
	return nil
}

// findingsProxy is the proxy whose findings the admin API lists: proxy
// mode's, or else that of the latest recording; nil when there is none.
func (c *Control) findingsProxy() *proxy.Proxy {
	if c.proxy != nil {
		return c.proxy
	}
	return c.recordings.violationSource()
}
