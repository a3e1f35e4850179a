package mockserver

import (
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// metricValue reads one series from reg: a counter or gauge value, or a
// histogram's sample count.
func metricValue(t *testing.T, reg *prometheus.Registry, name string, labels map[string]string) float64 {
	t.Helper()
	families, err := reg.Gather()
	if err != nil {
		t.Fatalf("gather: %v", err)
	}
	for _, f := range families {
		if f.GetName() != name {
			continue
		}
	series:
		for _, m := range f.GetMetric() {
			got := map[string]string{}
			for _, l := range m.GetLabel() {
				got[l.GetName()] = l.GetValue()
			}
			for k, v := range labels {
				if got[k] != v {
					continue series
				}
			}
			switch {
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
	}
	return 0
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	sb := newSandbox(t, Config{})
	for range 3 {
		sb.enquireValid("AOP-554", "12345678", nil)
	}
	sb.enquireValid("AOP-554", "PENDING-77", nil)
	sb.enquireValid("AOP-554", "12345678", http.Header{admin.FaultHeader: {"status=503"}})
	sb.admin(http.MethodPost, "/__admin/faults", map[string]any{"kind": "empty", "count": 2})
	sb.enquire(sb.client, "AOP-554", "X-1", nil)
	sb.enquire(sb.client, "AOP-554", "X-2", nil)
	sb.admin(http.MethodGet, "/__admin/transactions/AOP-554/NEVER", nil)

	reg := sb.srv.metrics.registry
	txs, _ := sb.srv.control.Store().List(t.Context(), recharge.Filter{})
	byState := map[transaction.State]float64{}
	for _, tx := range txs {
		byState[tx.State]++
	}
	tests := []struct {
		name   string
		metric string
		labels map[string]string
		want   float64
	}{
		{name: "found enquiries", metric: "aopay_mock_requests_total", labels: map[string]string{"route": rechargestatus.EnquiryPath, "code": "200", "scenario": ""}, want: 3},
		{name: "by scenario", metric: "aopay_mock_requests_total", labels: map[string]string{"route": rechargestatus.EnquiryPath, "code": "200", "scenario": "pending-success"}, want: 1},
		{name: "injected status", metric: "aopay_mock_requests_total", labels: map[string]string{"route": rechargestatus.EnquiryPath, "code": "503", "scenario": "fault:status"}, want: 1},
		{name: "admin route by template", metric: "aopay_mock_requests_total", labels: map[string]string{"route": "/__admin/transactions/{registrationId}/{referenceId}", "code": "404"}, want: 1},
		{name: "latency histogram", metric: "aopay_mock_request_duration_seconds", labels: map[string]string{"route": rechargestatus.EnquiryPath}, want: 7},
		{name: "faults by header", metric: "aopay_mock_faults_injected_total", labels: map[string]string{"kind": "status", "source": "header"}, want: 1},
		{name: "faults by rule", metric: "aopay_mock_faults_injected_total", labels: map[string]string{"kind": "empty", "source": "rule"}, want: 2},
		{name: "pending transactions", metric: "aopay_mock_transactions", labels: map[string]string{"state": "pending"}, want: byState[transaction.StatePending]},
		{name: "successful transactions", metric: "aopay_mock_transactions", labels: map[string]string{"state": "success"}, want: byState[transaction.StateSuccess]},
		{name: "refunded transactions", metric: "aopay_mock_transactions", labels: map[string]string{"state": "refunded"}, want: byState[transaction.StateRefunded]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := metricValue(t, reg, tt.metric, tt.labels); got != tt.want {
				t.Fatalf("%s%v = %v, want %v", tt.metric, tt.labels, got, tt.want)
			}
		})
	}
	if byState[transaction.StatePending] == 0 || byState[transaction.StateSuccess] == 0 {
		t.Fatalf("the fixtures should hold pending and successful transactions: %v", byState)
	}

	a := sb.admin(http.MethodGet, "/metrics", nil)
	if a.status != http.StatusOK || !strings.HasPrefix(a.header.Get("Content-Type"), "text/plain") {
		t.Fatalf("/metrics: %d %q", a.status, a.header.Get("Content-Type"))
	}
	for _, want := range []string{
		`aopay_mock_requests_total{code="503",route="/api/AOP/RechargeStatus",scenario="fault:status"} 1`,
		`aopay_mock_faults_injected_total{kind="empty",source="rule"} 2`,
		`aopay_mock_request_duration_seconds_bucket{route="/api/AOP/RechargeStatus",le="+Inf"} 7`,
		"# TYPE aopay_mock_transactions gauge",
		"go_goroutines",
	} {
		if !strings.Contains(string(a.body), want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}
}

func TestEachServerHasItsOwnMetrics(t *testing.T) {
	t.Parallel()
	first := newSandbox(t, Config{})
	second := newSandbox(t, Config{})
	first.enquireValid("AOP-554", "12345678", nil)
	labels := map[string]string{"route": rechargestatus.EnquiryPath, "code": "200"}
	if got := metricValue(t, first.srv.metrics.registry, "aopay_mock_requests_total", labels); got != 1 {
		t.Fatalf("first server counted %v enquiries", got)
	}
	if got := metricValue(t, second.srv.metrics.registry, "aopay_mock_requests_total", labels); got != 0 {
		t.Fatalf("second server counted %v enquiries it never got", got)
	}
}
