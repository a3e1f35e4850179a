// Package reqnote carries what a request to the provider's endpoint turned
// out to be, from the handlers that learn it to the journal, the logs and the
// metrics that report it, once the answer is written.
package reqnote

import (
	"context"
	"net/http"
	"time"

	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// Note is what the handlers learned of one request. Each field is written by
// the one handler that learns it, and read once the answer is written.
type Note struct {
	// Start is when the request came.
	Start time.Time
	// Route is the path template of the operation, for the metrics' labels.
	Route string
	// Body is the request body as the client sent it.
	Body []byte
	// RegistrationID and ReferenceID name the transaction enquired, once
	// the request is known to be a valid enquiry.
	RegistrationID, ReferenceID string
	// Scenario is what was answered, such as pending-success or fault:hang.
	Scenario string
	// Fault is the fault injected, and who asked for it.
	Fault string
	// Chosen is the dialect the request is answered in, once chosen; it
	// points to a value that outlives the request, and is never written
	// through. Dialect reads it.
	Chosen *dialect.Dialect
}

// Dialect is the dialect the request is answered in: the page's until one
// is chosen.
func (n *Note) Dialect() dialect.Dialect {
	if n.Chosen == nil {
		return dialect.Default()
	}
	return *n.Chosen
}

type key struct{}

// With returns r carrying n.
func With(r *http.Request, n *Note) *http.Request {
	return r.WithContext(context.WithValue(r.Context(), key{}, n))
}

// From is the note r carries; a note of its own, read by nobody, when r
// carries none, so that a handler served alone need not check.
func From(r *http.Request) *Note {
	if n, ok := r.Context().Value(key{}).(*Note); ok {
		return n
	}
	return &Note{Start: time.Now()}
}
