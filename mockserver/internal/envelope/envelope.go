// Package envelope writes the sandbox's JSON answers: the provider's answers
// and error envelope, in the dialect of the request they answer, and any
// other JSON value.
package envelope

import (
	"encoding/json"
	"net/http"
	"sync"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// JSONContentType is the Content-Type of every JSON answer.
const JSONContentType = "application/json; charset=utf-8"

var jsonContentTypeValue = []string{JSONContentType}

// answerBuffers keep the buffers answers are encoded into: an enquiry's
// answer is the hottest write of the sandbox, and dialect encodes it
// without reflection.
var answerBuffers = sync.Pool{New: func() any { b := make([]byte, 0, 512); return &b }}

// WriteJSON answers v with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		body = []byte(`{"status":false,"response_code":5,"message":"Unable to process request"}`)
	}
	write(w, status, body)
}

// WriteBody answers with status body, JSON encoded before, such as an
// answer kept to serve again; the body is only read.
func WriteBody(w http.ResponseWriter, status int, body []byte) { write(w, status, body) }

func write(w http.ResponseWriter, status int, body []byte) {
	// Assigning the shared, canonical value spares Set's allocation on every
	// answer; Set and Add replace or grow the slice, never write into it.
	w.Header()["Content-Type"] = jsonContentTypeValue
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// writeEncoded answers with status what encode appends to a pooled buffer.
func writeEncoded(w http.ResponseWriter, status int, encode func(dst []byte) []byte) {
	buf := answerBuffers.Get().(*[]byte)
	body := encode((*buf)[:0])
	write(w, status, body)
	// The writer has copied the body by now; the buffer can serve again.
	*buf = body
	answerBuffers.Put(buf)
}

// WriteAnswer answers a, a processed enquiry, with status, as dialect d
// spells it.
func WriteAnswer(w http.ResponseWriter, d dialect.Dialect, status int, a rechargestatus.Answer) {
	writeEncoded(w, status, func(dst []byte) []byte { return d.AppendAnswer(dst, a) })
}

// WriteError answers e with status in the provider's error envelope, its
// code spelt as dialect d spells an error's.
func WriteError(w http.ResponseWriter, d dialect.Dialect, status int, e rechargestatus.ErrorAnswer) {
	writeEncoded(w, status, func(dst []byte) []byte { return d.AppendError(dst, e) })
}

// WriteFailure answers failure f as dialect d does; message and remarks
// are the page's wording of it (dialect.Dialect.ErrorAnswer).
func WriteFailure(w http.ResponseWriter, d dialect.Dialect, f dialect.Failure, message, remarks string) {
	status, e := d.ErrorAnswer(f, message, remarks)
	WriteError(w, d, status, e)
}

// WriteRefusal answers a request refused before it was processed with
// status, such as 413 or 415, worded as dialect d words a validation
// error. detail says what is wrong with the request.
func WriteRefusal(w http.ResponseWriter, d dialect.Dialect, status int, detail string) {
	_, e := d.ErrorAnswer(dialect.Validation, detail, "")
	WriteError(w, d, status, e)
}
