// Package barehttp is the floor the mock is measured against: net/http
// answering every request with the same bytes and doing nothing else.
package barehttp

import (
	"io"
	"net/http"
	"strconv"
)

// Handler answers every request with body and contentType, reading the
// request body as any server must to keep the connection alive: the least
// work net/http allows for the same exchange.
func Handler(contentType string, body []byte) http.Handler {
	length := strconv.Itoa(len(body))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h.Set("Content-Type", contentType)
		h.Set("Content-Length", length)
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	})
}
