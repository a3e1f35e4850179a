package mockserver

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/gorilla/mux"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
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
}

func newMetrics(registry *prometheus.Registry, store recharge.Store) (*metrics, error) {
	own := registry == nil
	if own {
		registry = prometheus.NewRegistry()
	}
	m := &metrics{
		registry: registry,
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
	}
	cs := []prometheus.Collector{m.requests, m.duration, m.faults, m.violations, m.upstreamFailures, &transactionsCollector{store: store}}
	if own {
		cs = append(cs, collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	for _, c := range cs {
		if err := registry.Register(c); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// Metrics is the registry the server's collectors are in.
func (s *Server) Metrics() *prometheus.Registry { return s.control.metrics.registry }

func (s *Server) metricsHandler() http.Handler {
	return promhttp.HandlerFor(s.control.metrics.registry, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
}

// nameRoute tells the exchange which route matched, for the metrics' labels:
// a path template, never the path itself, whose values are unbounded.
func nameRoute(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if route := mux.CurrentRoute(r); route != nil {
			if tpl, err := route.GetPathTemplate(); err == nil {
				exchangeFrom(r).route = tpl
			}
		}
		next.ServeHTTP(w, r)
	})
}

func (s *Server) recordRequest(_ *http.Request, status int, ex *exchange, elapsed time.Duration) {
	route := ex.route
	if route == "" {
		route = "unmatched"
	}
	code := "none"
	if status != 0 {
		code = strconv.Itoa(status)
	}
	m := s.control.metrics
	m.requests.WithLabelValues(route, ex.scenario, code).Inc()
	m.duration.WithLabelValues(route).Observe(elapsed.Seconds())
}

// transactionsCollector counts the transactions in the store by state at
// each scrape, so the figure is right whoever changed them.
type transactionsCollector struct {
	store recharge.Store
}

var transactionsDesc = prometheus.NewDesc("aopay_mock_transactions", "Transactions in the store, by state.", []string{"state"}, nil)

func (c *transactionsCollector) Describe(ch chan<- *prometheus.Desc) { ch <- transactionsDesc }

func (c *transactionsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	txs, err := c.store.List(ctx, recharge.Filter{})
	if err != nil {
		ch <- prometheus.NewInvalidMetric(transactionsDesc, err)
		return
	}
	counts := make(map[recharge.State]int, len(recharge.States))
	for _, t := range txs {
		counts[t.State]++
	}
	for _, st := range recharge.States {
		ch <- prometheus.MustNewConstMetric(transactionsDesc, prometheus.GaugeValue, float64(counts[st]), string(st))
	}
}
