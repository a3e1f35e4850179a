package proxy_test

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// newSandboxRig is a mock answering itself, served on loopback, whose
// recordings the admin API starts.
func newSandboxRig(t *testing.T, cfg mockserver.Config) (*proxyRig, *admin.Client) {
	t.Helper()
	rig := newRig(t, cfg)
	return rig, admin.NewClient(rig.url)
}

// replayRig is a mock answering from fixtures alone, unknown references
// not found, as a recording is replayed.
func replayRig(t *testing.T, fixturesPath string) *proxyRig {
	t.Helper()
	rig, _ := newSandboxRig(t, mockserver.Config{FixturesPath: fixturesPath, Unknown: recharge.UnknownNotFound})
	return rig
}

// TestRecordingOnDemand starts a recording of one registration through
// the admin API, enquires, and reads the status and the snapshot: the
// captured registration's enquiries went to the upstream, the others'
// did not; the snapshot, saved and loaded as fixtures, answers what the
// upstream answered; stopping hands the enquiries back to the mock.
func TestRecordingOnDemand(t *testing.T) {
	t.Parallel()
	tap := &upstreamTap{}
	upstream := serveLoopback(t, tap.wrap(newMockUpstream(t)))
	rig, client := newSandboxRig(t, mockserver.Config{})
	ctx := t.Context()

	if s, err := client.Recording(ctx); err != nil || s.Recording || s.Enquiries != 0 {
		t.Fatalf("status before any recording: %+v, %v", s, err)
	}
	if _, err := client.RecordingSnapshot(ctx, ""); admin.ErrorCode(err) != admin.CodeNotFound {
		t.Fatalf("snapshot before any recording: %v, want not_found", err)
	}
	started, err := client.StartRecording(ctx, admin.RecordingStart{Upstream: upstream.URL, Registrations: []string{"AOP-554"}})
	if err != nil || !started.Recording || started.Upstream != upstream.URL || len(started.Registrations) != 1 {
		t.Fatalf("start: %+v, %v", started, err)
	}

	refs := []string{"12345678", "REFUND-1001", "FAILED-1001"}
	relayed := map[string]proxied{}
	for _, ref := range refs {
		a := rig.enquire("AOP-554", ref, nil)
		if a.violationCount(t) != "0" {
			t.Fatalf("%s: HTTP %d %s, violations %q; want the upstream's answer relayed", ref, a.status, a.body, a.violationCount(t))
		}
		relayed[ref] = a
	}
	if tap.count() != len(refs) {
		t.Fatalf("the upstream got %d enquiries, want %d", tap.count(), len(refs))
	}
	// AOP-DISABLED is not captured: the mock answers it itself.
	if a := rig.enquire("AOP-DISABLED", "ORDER-1", nil); a.status != http.StatusNotFound || a.header.Get(admin.ContractViolationsHeader) != "" || tap.count() != len(refs) {
		t.Fatalf("a registration not captured: HTTP %d %s %v, upstream enquiries %d", a.status, a.body, a.header, tap.count())
	}

	s, err := client.Recording(ctx)
	if err != nil || !s.Recording || s.Enquiries != len(refs) || s.RecordedTransactions != len(refs) || s.RecordedRegistrations != 1 {
		t.Fatalf("status while recording: %+v, %v; want %d enquiries and transactions of one registration", s, err, len(refs))
	}
	for _, format := range []admin.SnapshotFormat{admin.SnapshotJSON, admin.SnapshotYAML} {
		snap, err := client.RecordingSnapshot(ctx, format)
		if err != nil {
			t.Fatal(err)
		}
		set, err := fixtures.Parse(snap, nil)
		if err != nil || len(set.Transactions) != len(refs) || len(set.Registrations) != 1 || set.Registrations[0].ID != "AOP-554" {
			t.Fatalf("%s snapshot: %+v, %v\n%s", format, set, err, snap)
		}
	}

	stopped, err := client.StopRecording(ctx)
	if err != nil || stopped.Recording || stopped.Enquiries != len(refs) {
		t.Fatalf("stop: %+v, %v", stopped, err)
	}
	if a := rig.enquire("AOP-554", "ORDER-9", nil); a.header.Get(admin.ContractViolationsHeader) != "" || tap.count() != len(refs) {
		t.Fatalf("after stop the enquiry went to the upstream: %v", a.header)
	}
	if _, err := client.StopRecording(ctx); admin.ErrorCode(err) != admin.CodeConflict {
		t.Fatalf("second stop: %v, want conflict", err)
	}

	// The last recording's snapshot stays readable; replayed, it answers
	// what the upstream answered, byte for byte.
	snap, err := client.RecordingSnapshot(ctx, admin.SnapshotYAML)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "snapshot.yaml")
	if err := os.WriteFile(path, snap, 0o644); err != nil {
		t.Fatal(err)
	}
	replay := replayRig(t, path)
	for _, ref := range refs {
		got, want := replay.enquire("AOP-554", ref, nil), relayed[ref]
		if got.status != want.status || !bytes.Equal(got.body, want.body) {
			t.Errorf("%s replayed: HTTP %d %s\nrecorded: HTTP %d %s", ref, got.status, got.body, want.status, want.body)
		}
	}
}

// TestRecordingRefusals: a start or stop the sandbox refuses answers in
// the admin error format, over HTTP and in process alike, and leaves no
// recording behind.
func TestRecordingRefusals(t *testing.T) {
	t.Parallel()
	upstream := serveLoopback(t, newMockUpstream(t))
	root := t.TempDir()
	withRoot, client := newSandboxRig(t, mockserver.Config{RecordRoot: root})
	_, noRoot := newSandboxRig(t, mockserver.Config{})
	ctx := t.Context()

	refused := []struct {
		name       string
		client     *admin.Client
		start      admin.RecordingStart
		wantStatus int
		wantCode   string
	}{
		{"no upstream", client, admin.RecordingStart{}, http.StatusBadRequest, admin.CodeInvalid},
		{"file URL", client, admin.RecordingStart{Upstream: "file:///etc/passwd"}, http.StatusBadRequest, admin.CodeInvalid},
		{"ftp URL", client, admin.RecordingStart{Upstream: "ftp://127.0.0.1/"}, http.StatusBadRequest, admin.CodeInvalid},
		{"not a URL", client, admin.RecordingStart{Upstream: "127.0.0.1:8080"}, http.StatusBadRequest, admin.CodeInvalid},
		{"ftp URL with a password", client, admin.RecordingStart{Upstream: "ftp://user:s3cret@127.0.0.1/"}, http.StatusBadRequest, admin.CodeInvalid},
		{"directory leaving the root", client, admin.RecordingStart{Upstream: upstream.URL, Directory: "../elsewhere"}, http.StatusBadRequest, admin.CodeInvalid},
		{"absolute directory", client, admin.RecordingStart{Upstream: upstream.URL, Directory: filepath.Join(root, "abs")}, http.StatusBadRequest, admin.CodeInvalid},
		{"directory without a root", noRoot, admin.RecordingStart{Upstream: upstream.URL, Directory: "session"}, http.StatusForbidden, admin.CodeForbidden},
	}
	for _, tt := range refused {
		_, err := tt.client.StartRecording(ctx, tt.start)
		var e *admin.Error
		if !asAdminError(err, &e) || e.Status != tt.wantStatus || e.Code != tt.wantCode || e.Message == "" || strings.Contains(e.Message, "s3cret") {
			t.Errorf("%s: %v, want HTTP %d %s", tt.name, err, tt.wantStatus, tt.wantCode)
		}
	}
	if err := os.Symlink(t.TempDir(), filepath.Join(root, "link")); err != nil {
		t.Fatal(err)
	}
	if _, err := client.StartRecording(ctx, admin.RecordingStart{Upstream: upstream.URL, Directory: "link/session"}); admin.ErrorCode(err) != admin.CodeInvalid {
		t.Errorf("a directory through a symbolic link out of the root: %v, want invalid", err)
	}
	if s, err := client.Recording(ctx); err != nil || s.Recording {
		t.Fatalf("after refused starts: %+v, %v", s, err)
	}
	if _, err := client.StopRecording(ctx); admin.ErrorCode(err) != admin.CodeConflict {
		t.Errorf("stop without a recording: %v, want conflict", err)
	}

	if _, err := client.StartRecording(ctx, admin.RecordingStart{Upstream: upstream.URL, Directory: "session"}); err != nil {
		t.Fatal(err)
	}
	for name, a := range map[string]admin.Admin{"over HTTP": client, "in process": withRoot.srv.Admin()} {
		_, err := a.StartRecording(ctx, admin.RecordingStart{Upstream: upstream.URL})
		var e *admin.Error
		if !asAdminError(err, &e) || e.Status != http.StatusConflict || e.Code != admin.CodeConflict {
			t.Errorf("%s, a second start: %v, want HTTP 409 conflict", name, err)
		}
	}
	if _, err := client.StopRecording(ctx); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"recorded-registrations.yaml", "recorded-transactions.yaml"} {
		if _, err := os.Stat(filepath.Join(root, "session", name)); err != nil {
			t.Errorf("the recording under the root: %v", err)
		}
	}
}

// TestRecordingKeepsTheUpstreamDialect records an upstream answering in
// the upstream dialect (responsecode) to a directory under the recording
// root: the recorded registration names the dialect, and the recording
// replayed with --fixtures answers byte for byte what the upstream did.
func TestRecordingKeepsTheUpstreamDialect(t *testing.T) {
	t.Parallel()
	_, upstream := upstreamDialectMock(t)
	root := t.TempDir()
	rig, client := newSandboxRig(t, mockserver.Config{RecordRoot: root})
	ctx := t.Context()
	if _, err := client.StartRecording(ctx, admin.RecordingStart{Upstream: upstream, Directory: "upstream"}); err != nil {
		t.Fatal(err)
	}
	refs := []string{"12345678", "REFUND-1001", "FAILED-1001", "STUCK-1001"}
	relayed := map[string]proxied{}
	for _, ref := range refs {
		a := rig.enquire("AOP-554", ref, nil)
		if a.status != http.StatusOK || !bytes.HasPrefix(a.body, []byte(`{"responsecode":`)) {
			t.Fatalf("%s: HTTP %d %s, want the upstream dialect's answer", ref, a.status, a.body)
		}
		relayed[ref] = a
	}
	if _, err := client.StopRecording(ctx); err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "upstream")
	set, err := fixtures.Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Registrations) != 1 || set.Registrations[0].Dialect != dialect.Upstream {
		t.Fatalf("registrations recorded: %+v, want AOP-554 with dialect upstream", set.Registrations)
	}
	replay := replayRig(t, dir)
	for _, ref := range refs {
		got, want := replay.enquire("AOP-554", ref, nil), relayed[ref]
		if got.status != want.status || !bytes.Equal(got.body, want.body) {
			t.Errorf("%s replayed: HTTP %d %s\nupstream: HTTP %d %s", ref, got.status, got.body, want.status, want.body)
		}
	}
}

func asAdminError(err error, target **admin.Error) bool { return errors.As(err, target) }

// TestRecordingInProxyMode: in proxy mode a recording rides on the proxy,
// its upstream the proxy's (named or left out, never another), and
// records only the registrations it captures.
func TestRecordingInProxyMode(t *testing.T) {
	t.Parallel()
	upstream := serveLoopback(t, newMockUpstream(t))
	other := serveLoopback(t, newMockUpstream(t))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{})
	client := admin.NewClient(rig.url)
	ctx := t.Context()
	if _, err := client.StartRecording(ctx, admin.RecordingStart{Upstream: other.URL}); admin.ErrorCode(err) != admin.CodeInvalid {
		t.Fatalf("another upstream in proxy mode: %v, want invalid", err)
	}
	s, err := client.StartRecording(ctx, admin.RecordingStart{Registrations: []string{"AOP-554"}})
	if err != nil || s.Upstream != upstream.URL {
		t.Fatalf("start with the proxy's upstream: %+v, %v", s, err)
	}
	rig.enquire("AOP-554", "12345678", nil)
	if a := rig.enquire("AOP-DISABLED", "ORDER-1", nil); a.header.Get(admin.ContractViolationsHeader) == "" {
		t.Fatalf("a registration not captured is still proxied: %v", a.header)
	}
	s, err = client.StopRecording(ctx)
	if err != nil || s.Enquiries != 1 || s.RecordedRegistrations != 1 || s.RecordedTransactions != 1 {
		t.Fatalf("stop: %+v, %v; want the one captured enquiry recorded", s, err)
	}
}
