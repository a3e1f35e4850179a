package framework

import (
	"encoding/json"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/conformance"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// Exchange is one request and what came back of it.
type Exchange struct {
	Method        string
	URL           string
	Path          string
	RequestHeader http.Header
	RequestBody   []byte
	Enquiry       rechargestatus.Enquiry

	// Status, Header and Body are the answer; Status is zero when none came.
	Status  int
	Header  http.Header
	Body    []byte
	Elapsed time.Duration
	// Err is why no complete answer came: a refused or reset connection, a
	// timeout, a body cut short or larger than the client reads.
	Err error
	// RateLimited counts the 429 answers the client waited out before this
	// answer.
	RateLimited int

	redactor *Redactor
	// accept are the known dialects the run holds the endpoint to besides
	// the page.
	accept []string
}

// Redirected reports whether the answer is a redirect, which the client
// does not follow: a contract answer is never one.
func (ex *Exchange) Redirected() bool {
	return ex.Status >= 300 && ex.Status < 400
}

// Failure says why the exchange has no answer to judge, nil when it has one:
// nothing came, the answer broke off or was too large, or it was a redirect.
func (ex *Exchange) Failure() error {
	switch {
	case ex.Err != nil:
		return ex.Err
	case ex.Status == 0:
		return errors.New("no answer")
	case ex.Redirected():
		where := ex.Header.Get("Location")
		if where == "" {
			where = "nowhere (no Location)"
		}
		return fmt.Errorf("the endpoint answered a redirect, HTTP %d to %s, which the suite does not follow: --base-url should be the endpoint's own address", ex.Status, ex.redactor.URL(where))
	}
	return nil
}

// judgedAs is the dialect the run accepts that the answer is in, and the
// answer in the page form it stands for; "" and the body as it came when it
// is in none, or in the page's.
func (ex *Exchange) judgedAs() (string, []byte) {
	if len(ex.accept) == 0 || ex.Status == 0 {
		return "", ex.Body
	}
	names := dialect.MatchNames(dialect.Classify(ex.Status, ex.Header, ex.Body))
	if slices.Contains(names, dialect.Page) {
		return "", ex.Body
	}
	for _, name := range ex.accept {
		if !slices.Contains(names, name) {
			continue
		}
		if page, ok := dialect.Normalize(name, ex.Status, ex.Body); ok {
			return name, page
		}
	}
	return "", ex.Body
}

// isJSON reports whether the answer says it is JSON, or is.
func (ex *Exchange) isJSON() bool {
	media, _, err := mime.ParseMediaType(ex.Header.Get("Content-Type"))
	return (err == nil && (media == "application/json" || strings.HasSuffix(media, "+json"))) || json.Valid(ex.Body)
}

// PageBody is the answer as the specs read it: the body as it came, or, when
// it is in a dialect the run accepts (--accept-dialect), the page form it
// stands for, its code spelt response_code.
func (ex *Exchange) PageBody() []byte {
	_, body := ex.judgedAs()
	return body
}

// dialects are the dialects the specs expect the answer in: the page's,
// then each the run accepts. An accepted one the mock names in its
// X-Mock-Dialect answer header comes with the knobs the mock set.
func (ex *Exchange) dialects() []dialect.Dialect {
	out := []dialect.Dialect{dialect.Default()}
	for _, name := range ex.accept {
		d, err := dialect.Parse(ex.Header.Get(dialect.Header))
		if err != nil || d.Name() != name {
			d, _ = dialect.Lookup(name)
		}
		out = append(out, d)
	}
	return out
}

// Refusal is how a dialect refuses a request: the HTTP status, and the
// envelope in page form, as PageBody reads it.
type Refusal struct {
	// Dialect names the dialect.
	Dialect string
	Status  int
	Answer  rechargestatus.ErrorAnswer
}

// ExpectedRefusal is how the answer is expected to refuse failure f, worded
// by the page as message and remarks: the page's refusal, or that of a
// dialect the run accepts when the answer is that dialect's refusal.
func (ex *Exchange) ExpectedRefusal(f dialect.Failure, message, remarks string) Refusal {
	got, _ := ex.ErrorAnswer()
	var out []Refusal
	for _, d := range ex.dialects() {
		status, e := d.ErrorAnswer(f, message, remarks)
		page, _ := dialect.Normalize(d.Name(), status, d.AppendError(nil, e))
		want := Refusal{Dialect: d.Name(), Status: status}
		_ = json.Unmarshal(page, &want.Answer)
		if ex.Status == status && got.ResponseCode == want.Answer.ResponseCode && got.Message == want.Answer.Message &&
			(want.Answer.Remarks == "" || got.Remarks == want.Answer.Remarks) {
			return want
		}
		out = append(out, want)
	}
	return out[0]
}

// detailInRemarks reports whether a dialect the run accepts says what was
// wrong with a refused request in remarks rather than in its message.
func (ex *Exchange) detailInRemarks() bool {
	for _, d := range ex.dialects() {
		if d.Knobs().ValidationDetail == dialect.DetailInRemarks {
			return true
		}
	}
	return false
}

// Answer decodes the envelope of a processed enquiry (HTTP 200), in page
// form (PageBody).
func (ex *Exchange) Answer() (rechargestatus.Answer, error) {
	var a rechargestatus.Answer
	if err := json.Unmarshal(ex.PageBody(), &a); err != nil {
		return a, fmt.Errorf("the answer is not the JSON envelope: %w", err)
	}
	return a, nil
}

// ErrorAnswer decodes the error envelope, in page form (PageBody).
func (ex *Exchange) ErrorAnswer() (rechargestatus.ErrorAnswer, error) {
	var a rechargestatus.ErrorAnswer
	if err := json.Unmarshal(ex.PageBody(), &a); err != nil {
		return a, fmt.Errorf("the answer is not the JSON error envelope: %w", err)
	}
	return a, nil
}

// Data is the raw data member of the answer, nil when there is none.
func (ex *Exchange) Data() json.RawMessage {
	var envelope struct {
		Data json.RawMessage `json:"data"`
	}
	if json.Unmarshal(ex.PageBody(), &envelope) != nil || string(envelope.Data) == "null" {
		return nil
	}
	return envelope.Data
}

// PhaseOf is where a found transaction's data places it.
func PhaseOf(d *rechargestatus.Data) conformance.Phase {
	return conformance.PhaseOf(d.Status, d.Refunded)
}

// Dump shows the exchange as a person debugging it wants to read it: what was
// asked, then what came back and how long it took; no credential shows.
func (ex *Exchange) Dump() string {
	var b strings.Builder
	fmt.Fprintf(&b, "→ %s %s\n", ex.Method, printable(ex.redactor.URL(ex.URL), false))
	ex.writeHeaders(&b, ex.RequestHeader)
	ex.writeBody(&b, ex.RequestBody)
	switch {
	case ex.Status == 0 && ex.Err != nil:
		fmt.Fprintf(&b, "← no answer after %s: %s\n", ex.Elapsed.Round(time.Millisecond), printable(ex.redactor.Text(ex.Err.Error()), false))
	default:
		fmt.Fprintf(&b, "← HTTP %d %s (%s)\n", ex.Status, http.StatusText(ex.Status), ex.Elapsed.Round(time.Millisecond))
		ex.writeHeaders(&b, ex.Header)
		ex.writeBody(&b, ex.Body)
		if ex.Err != nil {
			fmt.Fprintf(&b, "  (%s)\n", printable(ex.redactor.Text(ex.Err.Error()), false))
		}
	}
	if ex.RateLimited > 0 {
		fmt.Fprintf(&b, "  (after waiting out %d answer(s) 429 Too Many Requests)\n", ex.RateLimited)
	}
	return strings.TrimRight(b.String(), "\n")
}

// Line sums the exchange up on one line, for a verbose run's log.
func (ex *Exchange) Line() string {
	answer := fmt.Sprintf("HTTP %d", ex.Status)
	if ex.Status == 0 {
		answer = "no answer"
	}
	if ex.Err != nil {
		answer += ": " + ex.redactor.Text(ex.Err.Error())
	}
	return printable(fmt.Sprintf("→ %s %s ← %s (%s)", ex.Method, ex.redactor.URL(ex.URL), answer, ex.Elapsed.Round(time.Millisecond)), false)
}

// writeHeaders shows at most dumpHeaderLimit header lines, each value cut
// at dumpHeaderValueLimit bytes.
func (ex *Exchange) writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for name := range h {
		names = append(names, name)
	}
	slices.Sort(names)
	shown, hiddenLines, hiddenBytes := 0, 0, 0
	for _, name := range names {
		for _, v := range h[name] {
			if shown == dumpHeaderLimit {
				hiddenLines++
				hiddenBytes += len(name) + len(v)
				continue
			}
			shown++
			value, left := cut(ex.redactor.Header(name, v), dumpHeaderValueLimit)
			fmt.Fprintf(b, "  %s: %s", printable(name, false), printable(value, false))
			if left > 0 {
				fmt.Fprintf(b, " … %d more bytes", left)
			}
			b.WriteByte('\n')
		}
	}
	if hiddenLines > 0 {
		fmt.Fprintf(b, "  … %d more header lines (%d bytes) not shown\n", hiddenLines, hiddenBytes)
	}
}

// writeBody shows at most dumpBodyLimit bytes of body, escaped.
func (ex *Exchange) writeBody(b *strings.Builder, body []byte) {
	if len(body) == 0 {
		b.WriteString("  (no body)\n")
		return
	}
	shown, left := cut(string(body), dumpBodyLimit)
	fmt.Fprintf(b, "  %s\n", printable(ex.redactor.Text(shown), false))
	if left > 0 {
		fmt.Fprintf(b, "  … %d more bytes\n", left)
	}
}
