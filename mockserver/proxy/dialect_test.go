package proxy_test

import (
	"bytes"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// upstreamDialectMock is a sandbox mock answering as provider-notes.md
// records the upstream aggregator, to stand for a provider that passes its
// answers through.
func upstreamDialectMock(t *testing.T) (*upstreamTap, string) {
	t.Helper()
	up, err := dialect.Lookup(dialect.Upstream)
	if err != nil {
		t.Fatal(err)
	}
	mock, err := mockserver.New(mockserver.Config{Clock: recharge.NewFrozenClock(sandboxEpoch), Seed: 1, Dialect: up})
	if err != nil {
		t.Fatal(err)
	}
	tap := &upstreamTap{}
	return tap, serveLoopback(t, tap.wrap(mock)).URL
}

// TestProxyNamesTheUpstreamDialect: an upstream answering responsecode is
// relayed as it came; its violations name the known dialect and cite the
// notes; with the dialect accepted it shows none; the sandbox's
// X-Mock-Dialect never reaches the upstream.
func TestProxyNamesTheUpstreamDialect(t *testing.T) {
	t.Parallel()
	tap, url := upstreamDialectMock(t)
	rig := newProxyRig(t, url, mockserver.Config{})
	a := rig.enquire("AOP-554", "12345678", http.Header{dialect.Header: {dialect.Page}})
	if a.status != http.StatusOK || !bytes.HasPrefix(a.body, []byte(`{"responsecode":1,`)) || a.violationCount(t) == "0" {
		t.Fatalf("HTTP %d %s, %s violations; want the upstream's answer as it came, with violations", a.status, a.body, a.violationCount(t))
	}
	if got := tap.last(t).header.Get(dialect.Header); got != "" {
		t.Errorf("the upstream got X-Mock-Dialect %q", got)
	}
	list := rig.violations("")
	if len(list.Violations) == 0 {
		t.Fatal("no violation listed")
	}
	for _, v := range list.Violations {
		if !slices.Equal(v.Dialects, []string{dialect.Upstream}) || !strings.Contains(v.Explanation, "the known upstream dialect") ||
			!strings.Contains(v.Explanation, "provider-notes.md:18-19") {
			t.Errorf("violation %+v does not name the upstream dialect, citing the notes", v)
		}
	}
	if log := rig.log.String(); !strings.Contains(log, "dialects=[upstream]") || !strings.Contains(log, "provider-notes.md:18-19") {
		t.Errorf("the violation's log line does not name the dialect:\n%s", log)
	}

	accepting := newProxyRig(t, url, mockserver.Config{ProxyAcceptDialects: []string{dialect.Upstream}})
	for _, ref := range []string{"12345678", "NOTFOUND-1", "AUTHFAIL-1", "BADSIG-1"} {
		if a := accepting.enquire("AOP-554", ref, nil); a.violationCount(t) != "0" {
			t.Errorf("%s accepted as upstream: HTTP %d %s, %s violations", ref, a.status, a.body, a.violationCount(t))
		}
	}
	if got := accepting.violations(""); got.Total != 0 {
		t.Errorf("accepted as upstream: %+v", got.Violations)
	}
}

// TestProxyRecordsTheUpstreamDialectInPageForm: a transaction the upstream
// answers in its own dialect is recorded as any other.
func TestProxyRecordsTheUpstreamDialectInPageForm(t *testing.T) {
	t.Parallel()
	_, url := upstreamDialectMock(t)
	dir := t.TempDir()
	rig := newProxyRig(t, url, mockserver.Config{RecordDir: dir})
	rig.enquire("AOP-554", "12345678", nil)
	if err := rig.srv.Close(); err != nil {
		t.Fatal(err)
	}
	set, err := fixtures.Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Transactions) != 1 || set.Transactions[0].ReferenceID != "12345678" || set.Transactions[0].State != transaction.StateSuccess {
		raw, _ := os.ReadFile(filepath.Join(dir, proxy.RecordTransactionsFile))
		t.Fatalf("recorded %+v\n%s", set.Transactions, raw)
	}
}

// TestProxyRelaysAnUpstreamErrorSpeltResponsecode: an upstream 5xx in the
// envelope with its code spelt responsecode is the upstream's own error,
// relayed as it came.
func TestProxyRelaysAnUpstreamErrorSpeltResponsecode(t *testing.T) {
	t.Parallel()
	const body = `{"status":false,"responsecode":5,"message":"Service Unavailable"}`
	upstream := serveLoopback(t, http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte(body))
	}))
	rig := newProxyRig(t, upstream.URL, mockserver.Config{})
	a := rig.enquire("AOP-554", "12345678", nil)
	if a.status != http.StatusServiceUnavailable || string(a.body) != body || a.header.Get(admin.UpstreamErrorHeader) != "status-503" {
		t.Fatalf("HTTP %d %s %v, want the upstream's 503 relayed", a.status, a.body, a.header)
	}
}
