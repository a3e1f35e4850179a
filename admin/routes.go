package admin

import (
	"net/http"
	"net/url"
	"strings"
)

// PathPrefix starts the path of every admin operation but /metrics.
const PathPrefix = "/__admin/"

// MetricsPath is where the sandbox's Prometheus metrics are served, behind
// the admin token like the rest of the admin API.
const MetricsPath = "/metrics"

// IsAdminPath reports whether p belongs to the admin API rather than to the
// provider's endpoint.
func IsAdminPath(p string) bool { return strings.HasPrefix(p, PathPrefix) || p == MetricsPath }

// Operation names an admin operation as its OpenAPI document does
// (operationId).
type Operation string

// The admin operations.
const (
	OpListTransactions  Operation = "adminListTransactions"
	OpGetTransaction    Operation = "adminGetTransaction"
	OpPutTransaction    Operation = "adminPutTransaction"
	OpDeleteTransaction Operation = "adminDeleteTransaction"
	OpTransition        Operation = "adminTransition"
	OpListRequests      Operation = "adminListRequests"
	OpClearRequests     Operation = "adminClearRequests"
	OpCountRequests     Operation = "adminCountRequests"
	OpFindRequests      Operation = "adminFindRequests"
	OpCountMatching     Operation = "adminCountMatchingRequests"
	OpNearMisses        Operation = "adminNearMisses"
	OpReset             Operation = "adminReset"
	OpGetClock          Operation = "adminGetClock"
	OpSetClock          Operation = "adminSetClock"
	OpReloadFixtures    Operation = "adminReloadFixtures"
	OpHealth            Operation = "adminHealth"
	OpListFaults        Operation = "adminListFaults"
	OpReplaceFaults     Operation = "adminReplaceFaults"
	OpAddFault          Operation = "adminAddFault"
	OpClearFaults       Operation = "adminClearFaults"
	OpDeleteFault       Operation = "adminDeleteFault"
	OpListViolations    Operation = "adminListViolations"
	OpClearViolations   Operation = "adminClearViolations"
	OpAudit             Operation = "adminAudit"
	OpMetrics           Operation = "metrics"

	OpStartRecording    Operation = "adminStartRecording"
	OpStopRecording     Operation = "adminStopRecording"
	OpRecordingStatus   Operation = "adminRecordingStatus"
	OpRecordingSnapshot Operation = "adminRecordingSnapshot"

	// The pages and documents a browser reads, behind no token (IsPublic).
	OpIndex          Operation = "adminIndex"
	OpDashboard      Operation = "adminDashboard"
	OpDashboardAsset Operation = "adminDashboardAsset"
	OpProviderSpec   Operation = "adminProviderSpec"
	OpAdminSpec      Operation = "adminAdminSpec"
)

// Route is where an operation is served: a method and a path pattern whose
// {name} segments are variables, as gorilla/mux writes them. The sandbox's
// router and the Client are built on the same routes.
type Route struct {
	Op      Operation
	Method  string
	Pattern string
}

const (
	transactionPattern = PathPrefix + "transactions/{registrationId}/{referenceId}"
	faultsPattern      = PathPrefix + "faults"
	requestsPattern    = PathPrefix + "requests"
	clockPattern       = PathPrefix + "clock"
	violationsPattern  = PathPrefix + "violations"
	dashboardPattern   = PathPrefix + "ui"
	recordingsPattern  = PathPrefix + "recordings"
)

var routes = []Route{
	{OpHealth, http.MethodGet, PathPrefix + "health"},
	{OpListTransactions, http.MethodGet, PathPrefix + "transactions"},
	{OpGetTransaction, http.MethodGet, transactionPattern},
	{OpPutTransaction, http.MethodPut, transactionPattern},
	{OpDeleteTransaction, http.MethodDelete, transactionPattern},
	{OpTransition, http.MethodPost, transactionPattern + "/transition"},
	{OpListRequests, http.MethodGet, requestsPattern},
	{OpClearRequests, http.MethodDelete, requestsPattern},
	{OpCountRequests, http.MethodGet, requestsPattern + "/count"},
	{OpFindRequests, http.MethodPost, requestsPattern + "/find"},
	{OpCountMatching, http.MethodPost, requestsPattern + "/count"},
	{OpNearMisses, http.MethodPost, requestsPattern + "/near-misses"},
	{OpReset, http.MethodPost, PathPrefix + "reset"},
	{OpGetClock, http.MethodGet, clockPattern},
	{OpSetClock, http.MethodPost, clockPattern},
	{OpReloadFixtures, http.MethodPost, PathPrefix + "fixtures/reload"},
	{OpListFaults, http.MethodGet, faultsPattern},
	{OpReplaceFaults, http.MethodPut, faultsPattern},
	{OpAddFault, http.MethodPost, faultsPattern},
	{OpClearFaults, http.MethodDelete, faultsPattern},
	{OpDeleteFault, http.MethodDelete, faultsPattern + "/{id}"},
	{OpListViolations, http.MethodGet, violationsPattern},
	{OpClearViolations, http.MethodDelete, violationsPattern},
	{OpAudit, http.MethodGet, PathPrefix + "audit"},
	{OpMetrics, http.MethodGet, MetricsPath},
	{OpStartRecording, http.MethodPost, recordingsPattern + "/start"},
	{OpStopRecording, http.MethodPost, recordingsPattern + "/stop"},
	{OpRecordingStatus, http.MethodGet, recordingsPattern + "/status"},
	{OpRecordingSnapshot, http.MethodGet, recordingsPattern + "/snapshot"},
	{OpIndex, http.MethodGet, PathPrefix},
	{OpDashboard, http.MethodGet, dashboardPattern},
	{OpDashboardAsset, http.MethodGet, dashboardPattern + "/{asset}"},
	{OpProviderSpec, http.MethodGet, PathPrefix + "openapi/provider.yaml"},
	{OpAdminSpec, http.MethodGet, PathPrefix + "openapi/admin.yaml"},
}

// publicOps need no admin token: they read what is built into the binary,
// the same for every sandbox and published with its source, and never its
// state. A browser following a link sends no Authorization header, so the
// index's links, the dashboard's page (which asks for the token and sends it
// on each call it makes) and the documents must answer without one.
var publicOps = map[Operation]bool{
	OpIndex:          true,
	OpDashboard:      true,
	OpDashboardAsset: true,
	OpProviderSpec:   true,
	OpAdminSpec:      true,
}

// IsPublic reports whether op is served without the admin token.
func IsPublic(op Operation) bool { return publicOps[op] }

var routeByOp = func() map[Operation]Route {
	m := make(map[Operation]Route, len(routes))
	for _, r := range routes {
		m[r.Op] = r
	}
	return m
}()

// Routes lists every admin operation's route.
func Routes() []Route { return append([]Route(nil), routes...) }

// RouteOf is op's route; the zero Route for an unknown op.
func RouteOf(op Operation) Route { return routeByOp[op] }

// Path fills the route's variables with values, in the pattern's order,
// each escaped as one path segment (a referenceid holding "/" stays one).
func (r Route) Path(values ...string) string {
	var b strings.Builder
	rest := r.Pattern
	for {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			b.WriteString(rest)
			return b.String()
		}
		end := strings.IndexByte(rest[open:], '}')
		b.WriteString(rest[:open])
		if len(values) > 0 {
			b.WriteString(url.PathEscape(values[0]))
			values = values[1:]
		}
		rest = rest[open+end+1:]
	}
}
