package mockserver

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/internal/memo"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// metrics are the server's Prometheus collectors, in a registry of the
// server's own so that several servers live side by side in one process.
type metrics struct {
	registry *prometheus.Registry
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec
	faults   *prometheus.CounterVec
	// violations and upstreamFailures count what proxy mode finds.
	violations       *prometheus.CounterVec
	upstreamFailures *prometheus.CounterVec
	// unkept counts the violations found that the log could not keep.
	unkept prometheus.Counter
	// series keeps each request's series once looked up: the vectors hash
	// and lock on every lookup, the hottest of which is one per request.
	series *memo.Map[requestLabels, requestSeries]
}

// seriesSlots holds the series of many routes, scenarios and statuses.
const seriesSlots = 256

type requestLabels struct {
	route, scenario string
	status          int
}

func hashLabels(l requestLabels) uint64 {
	return memo.Strings(l.route, l.scenario) ^ uint64(l.status)
}

type requestSeries struct {
	count    prometheus.Counter
	duration prometheus.Observer
}

func newMetrics(store recharge.Store) (*metrics, error) {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		series:   memo.New[requestLabels, requestSeries](seriesSlots, hashLabels),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aopay_mock_requests_total",
			Help: "Requests answered, by route, scenario and HTTP status code.",
		}, []string{"route", "scenario", "code"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "aopay_mock_request_duration_seconds",
			Help:    "Time to answer a request, injected delays included, by route.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"route"}),
		faults: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aopay_mock_faults_injected_total",
			Help: "Faults injected into RechargeStatus answers, by kind and by what asked for them (rule or header).",
		}, []string{"kind", "source"}),
		violations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aopay_mock_proxy_violations_total",
			Help: "Contract violations in upstream answers relayed in proxy mode, by source (openapi or invariants) and rule.",
		}, []string{"source", "rule"}),
		upstreamFailures: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "aopay_mock_proxy_upstream_failures_total",
			Help: "Upstream exchanges in proxy mode that failed, by kind (refused, timeout, not-json, status-503, ...).",
		}, []string{"kind"}),
		unkept: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "aopay_mock_proxy_violations_unkept_total",
			Help: "Contract violations found in proxy mode that the violation log could not keep (its store unreachable); each is still logged.",
		}),
	}
	for _, c := range []prometheus.Collector{
		m.requests, m.duration, m.faults, m.violations, m.upstreamFailures, m.unkept, &transactionsCollector{store: store},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := m.registry.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

func (m *metrics) handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// request counts a finished request; route is a path template, never the
// path itself, whose values are unbounded.
func (m *metrics) request(route, scenario string, status int, elapsed time.Duration) {
	if route == "" {
		route = "unmatched"
	}
	labels := requestLabels{route: route, scenario: scenario, status: status}
	s, ok := m.series.Load(labels)
	if !ok {
		code := "none"
		if status != 0 {
			code = strconv.Itoa(status)
		}
		s = requestSeries{
			count:    m.requests.WithLabelValues(route, scenario, code),
			duration: m.duration.WithLabelValues(route),
		}
		m.series.Store(labels, s)
	}
	s.count.Inc()
	s.duration.Observe(elapsed.Seconds())
}

func (m *metrics) faultInjected(kind admin.FaultKind, source string) {
	m.faults.WithLabelValues(string(kind), source).Inc()
}

func (m *metrics) violation(source, rule string) { m.violations.WithLabelValues(source, rule).Inc() }

func (m *metrics) upstreamFailure(kind string) { m.upstreamFailures.WithLabelValues(kind).Inc() }

func (m *metrics) violationsUnkept(n int) { m.unkept.Add(float64(n)) }

// transactionsCollector reports the transactions in the store by state at
// each scrape, so the figure is right whoever changed them. It reads the
// counters the store keeps (Store.Counts), never the transactions: a scrape
// costs the same whatever their number.
type transactionsCollector struct {
	store recharge.Store
}

var transactionsDesc = prometheus.NewDesc("aopay_mock_transactions", "Transactions in the store, by state.", []string{"state"}, nil)

func (c *transactionsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- transactionsDesc }

func (c *transactionsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.store.Counts(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(transactionsDesc, err)
		return
	}
	for _, st := range transaction.States {
		ch <- prometheus.MustNewConstMetric(transactionsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
