// Package adminhttp serves the sandbox's admin API over HTTP: the
// operations of admin's route table, each decoded, handed to an admin.Admin
// and encoded back, behind the admin token and the admin API's OpenAPI
// document.
package adminhttp

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/gorilla/mux"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/envelope"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/hostcheck"
	"github.com/aopay-sandbox/rechargestatus/mockserver/internal/served"
)

// MaxBodyBytes bounds an admin request body: a full fault list or a
// transaction fits many times over.
const MaxBodyBytes = 1 << 20

// Config is what the admin API is served from.
type Config struct {
	// Admin carries out the operations.
	Admin admin.Admin
	// Token, when set, is the bearer token every call needs.
	Token string
	// Metrics serves GET /metrics.
	Metrics http.Handler
	// Hosts, when not nil, are the Host names answered; every other is
	// refused. A sandbox without an admin token sets it.
	Hosts *hostcheck.Hosts
}

// New serves the admin API: every path under admin.PathPrefix, and
// admin.MetricsPath. The outcome of a request names the route of the
// operation that answered it.
func New(cfg Config) served.Handler {
	h := &handlers{admin: cfg.Admin}
	ops := map[admin.Operation]http.HandlerFunc{
		admin.OpHealth:            h.health,
		admin.OpListTransactions:  h.listTransactions,
		admin.OpGetTransaction:    h.getTransaction,
		admin.OpPutTransaction:    h.putTransaction,
		admin.OpDeleteTransaction: h.deleteTransaction,
		admin.OpTransition:        h.transition,
		admin.OpListRequests:      h.listRequests,
		admin.OpClearRequests:     h.clearRequests,
		admin.OpCountRequests:     h.countRequests,
		admin.OpFindRequests:      h.findRequests,
		admin.OpCountMatching:     h.countMatching,
		admin.OpNearMisses:        h.nearMisses,
		admin.OpReset:             h.reset,
		admin.OpGetClock:          h.clock,
		admin.OpSetClock:          h.moveClock,
		admin.OpReloadFixtures:    h.reloadFixtures,
		admin.OpListFaults:        h.listFaults,
		admin.OpReplaceFaults:     h.replaceFaults,
		admin.OpAddFault:          h.addFault,
		admin.OpClearFaults:       h.clearFaults,
		admin.OpDeleteFault:       h.deleteFault,
		admin.OpListViolations:    h.listViolations,
		admin.OpClearViolations:   h.clearViolations,
		admin.OpAudit:             h.audit,
		admin.OpMetrics:           cfg.Metrics.ServeHTTP,
		admin.OpStartRecording:    h.startRecording,
		admin.OpStopRecording:     h.stopRecording,
		admin.OpRecordingStatus:   h.recordingStatus,
		admin.OpRecordingSnapshot: h.recordingSnapshot,
	}
	for op, page := range pageHandlers {
		ops[op] = page
	}
	for _, route := range admin.Routes() {
		if _, ok := ops[route.Op]; !ok {
			panic("adminhttp: no handler for " + string(route.Op))
		}
	}
	guards := []guard{allowHosts(cfg.Hosts), sameOrigin(), requireToken(cfg.Token, isPublic), validate}
	return served.HandlerFunc(func(w http.ResponseWriter, req *http.Request) served.Outcome {
		for _, g := range guards {
			if g != nil && !g(w, req) {
				return served.Outcome{}
			}
		}
		var m mux.RouteMatch
		if !adminRouter().Match(req, &m) || m.MatchErr != nil || m.Route == nil {
			// Validation has answered for any path or method the document
			// lacks; this answers for what the document has and the routes
			// lack.
			noOperation(w, req)
			return served.Outcome{}
		}
		// The metrics label a request with its path template, never the
		// path itself, whose values are unbounded.
		route, _ := m.Route.GetPathTemplate()
		ops[admin.Operation(m.Route.GetName())](w, mux.SetURLVars(req, m.Vars))
		return served.Outcome{Route: route}
	})
}

// adminRouter finds the operation of an admin request. Its routes name
// operations and hold no server's handlers, so that every server shares
// it, built once, on the first admin request: compiling its patterns was
// most of what a new server cost. Routes match the encoded path so that a
// referenceid holding %2F stays one path segment; handlers unescape their
// variables. gorilla/mux would answer a path such as //__admin/clock with
// a bodyless 301 to its cleaned form; the admin API answers every path in
// its envelope.
var adminRouter = sync.OnceValue(func() *mux.Router {
	r := mux.NewRouter().SkipClean(true).UseEncodedPath()
	for _, route := range admin.Routes() {
		r.NewRoute().Path(route.Pattern).Methods(route.Method).Name(string(route.Op))
	}
	return r
})

// guard answers a request it refuses, and reports whether it let it
// through.
type guard func(w http.ResponseWriter, r *http.Request) bool

func noOperation(w http.ResponseWriter, r *http.Request) {
	writeError(w, admin.Errorf(http.StatusNotFound, admin.CodeNotFound, "no operation at %s %s", r.Method, r.URL.Path))
}

const unauthorizedMessage = "this admin API needs the header Authorization: Bearer <admin token>"

// requireToken lets a request through only with the admin token, when one
// is set, but for those public says need none. Both sides are hashed first
// so that the comparison takes the same time whatever the length or content
// of the token sent.
func requireToken(token string, public func(*http.Request) bool) guard {
	if token == "" {
		return nil
	}
	want := sha256.Sum256([]byte(token))
	return func(w http.ResponseWriter, r *http.Request) bool {
		if !public(r) && !bearerMatches(r.Header.Get("Authorization"), want) {
			w.Header().Set("WWW-Authenticate", `Bearer realm="aopay-mock admin"`)
			writeError(w, admin.Errorf(http.StatusUnauthorized, admin.CodeUnauthorized, unauthorizedMessage))
			return false
		}
		return true
	}
}

func bearerMatches(header string, want [sha256.Size]byte) bool {
	scheme, token, ok := strings.Cut(header, " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		token = ""
	}
	got := sha256.Sum256([]byte(strings.TrimSpace(token)))
	match := subtle.ConstantTimeCompare(got[:], want[:]) == 1
	return match && token != ""
}

// documentValidator holds requests to the admin API's document, built once,
// when the first admin request needs it: the document is several times the
// provider's, and a mock that is never asked to change anything never
// parses it. Building it on another goroutine as a server starts was tried:
// an admin call made at once still waited about as long, and the first
// mock started later.
var documentValidator = sync.OnceValues(func() (*conformance.Validator, error) {
	doc, err := admin.BuiltInSpec()
	if err != nil {
		return nil, err
	}
	return conformance.NewValidator(doc)
})

// validate reads a request's body within MaxBodyBytes and holds the request
// to the admin API's document; a failure answers in the admin error shape.
// The body is left for the handler to read.
func validate(w http.ResponseWriter, r *http.Request) bool {
	v, err := documentValidator()
	if err != nil {
		writeError(w, err)
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBodyBytes))
	if err != nil {
		var tooLarge *http.MaxBytesError
		if errors.As(err, &tooLarge) {
			writeError(w, admin.Errorf(http.StatusRequestEntityTooLarge, admin.CodeInvalid, "request body is larger than %d bytes", MaxBodyBytes))
			return false
		}
		writeError(w, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "request body could not be read: %s", err.Error()))
		return false
	}
	if p := v.CheckRequest(r.Context(), r, body); p != nil {
		code := admin.CodeInvalid
		if p.Status == http.StatusNotFound {
			code = admin.CodeNotFound
		}
		writeError(w, admin.Errorf(p.Status, code, "%s", p.Message))
		return false
	}
	if err := undeclaredQuery(v, r); err != nil {
		writeError(w, err)
		return false
	}
	return true
}

// undeclaredQuery refuses a query parameter the operation's document does
// not declare: a misspelt filter (referenceID for referenceId) would
// otherwise be ignored and select everything.
func undeclaredQuery(v *conformance.Validator, r *http.Request) error {
	if r.URL.RawQuery == "" {
		return nil
	}
	declared, ok := v.QueryParameters(r)
	if !ok {
		return nil
	}
	var unknown []string
	for name := range r.URL.Query() {
		if !slices.Contains(declared, name) {
			unknown = append(unknown, name)
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	slices.Sort(unknown)
	takes := "no query parameter"
	if len(declared) > 0 {
		takes = strings.Join(declared, ", ")
	}
	return admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "unknown query parameter %s: %s %s takes %s",
		quoteAll(unknown), r.Method, r.URL.Path, takes)
}

func quoteAll(names []string) string {
	quoted := make([]string, len(names))
	for i, n := range names {
		quoted[i] = strconv.Quote(n)
	}
	return strings.Join(quoted, ", ")
}

// writeError answers err: an *admin.Error as it says, any other error as an
// internal one.
func writeError(w http.ResponseWriter, err error) {
	var e *admin.Error
	if !errors.As(err, &e) {
		e = admin.Errorf(http.StatusInternalServerError, admin.CodeInternal, "%s", err.Error())
	}
	envelope.WriteJSON(w, e.Status, admin.ErrorEnvelope{Error: e.ErrorDetail})
}

// decode reads the JSON body the validation accepted into v; on failure it
// answers and reports false.
func decode(w http.ResponseWriter, r *http.Request, v any) bool {
	body, _ := io.ReadAll(r.Body) // read already, from memory
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		return true
	}
	var typeErr *json.UnmarshalTypeError
	if errors.As(err, &typeErr) && typeErr.Field != "" {
		err = fmt.Errorf("%s must be %s", typeErr.Field, typeErr.Type.String())
	} else {
		err = fmt.Errorf("request body: %s", err.Error())
	}
	writeError(w, admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, "%s", err.Error()))
	return false
}

// pathVar is a route variable, unescaped: the router matches encoded paths.
func pathVar(r *http.Request, name string) string {
	raw := mux.Vars(r)[name]
	if v, err := url.PathUnescape(raw); err == nil {
		return v
	}
	return raw
}
