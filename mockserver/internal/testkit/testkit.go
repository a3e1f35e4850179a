// Package testkit holds what the mock's tests in several packages share:
// sending a request straight to a handler, and holding the answer to the
// promises every answer keeps.
package testkit

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/conformance"
)

// Spec validates against the documents the mock serves.
var Spec = func() *conformance.Validator {
	provider, err := conformance.LoadSpec("")
	if err != nil {
		panic(err)
	}
	doc, err := admin.SandboxSpec(provider)
	if err != nil {
		panic(err)
	}
	v, err := conformance.NewValidator(doc)
	if err != nil {
		panic(err)
	}
	return v
}()

// Answer is what a handler answered.
type Answer struct {
	Status int
	Header http.Header
	Body   []byte
}

// Send serves one request to h, whatever its path, and returns the answer.
func Send(h http.Handler, method, path, contentType string, header http.Header, body []byte) Answer {
	r := httptest.NewRequest(method, "http://127.0.0.1:8080/", bytes.NewReader(body))
	// httptest.NewRequest panics on a target it cannot parse; the path is
	// set apart so that any path reaches the router.
	u, err := url.ParseRequestURI(path)
	if err != nil {
		u = &url.URL{Path: path}
	}
	r.URL, r.RequestURI = u, path
	if contentType != "" {
		r.Header.Set("Content-Type", contentType)
	}
	for k, v := range header {
		r.Header[k] = v
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return Answer{Status: w.Code, Header: w.Header(), Body: w.Body.Bytes()}
}

// CheckSpec fails t when a, the answer to method path with reqBody, breaks
// the spec. Answers to paths the spec lacks have nothing to break.
func (a Answer) CheckSpec(t testing.TB, method, path string, reqBody []byte) {
	t.Helper()
	check := httptest.NewRequest(method, "http://127.0.0.1:8080/", nil)
	u, err := url.ParseRequestURI(path)
	if err != nil {
		return
	}
	check.URL = u
	check.Header.Set("Content-Type", "application/json")
	viol := Spec.CheckResponse(context.Background(), check, reqBody, a.Status, a.Header, a.Body)
	if len(viol) > 0 && viol[0].Rule != conformance.RuleRoute {
		t.Fatalf("%s %s answered %d %s, which breaks its OpenAPI document: %v", method, path, a.Status, a.Body, viol)
	}
}

// CheckJSON fails t unless a is a JSON answer and no 5xx.
func (a Answer) CheckJSON(t testing.TB, what string) {
	t.Helper()
	if a.Status >= 500 {
		t.Fatalf("%s: %d %s", what, a.Status, a.Body)
	}
	if ct := a.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("%s: Content-Type %q, body %q", what, ct, a.Body)
	}
	if !json.Valid(a.Body) {
		t.Fatalf("%s: answer %d is not JSON: %q", what, a.Status, a.Body)
	}
}

// CheckAdminError fails t unless a is in the admin API's error envelope.
func (a Answer) CheckAdminError(t testing.TB, what string) {
	t.Helper()
	var e admin.ErrorEnvelope
	if err := json.Unmarshal(a.Body, &e); err != nil || e.Error.Code == "" || e.Error.Message == "" {
		t.Fatalf("%s: %d %q is not an admin error", what, a.Status, a.Body)
	}
}
