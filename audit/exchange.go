package audit

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Answer is what an answer told the client about its enquiry.
type Answer string

// The answers the rules tell apart.
const (
	AnswerPending  Answer = "pending"
	AnswerSuccess  Answer = "success"
	AnswerFailed   Answer = "failed"
	AnswerRefunded Answer = "refunded"
	AnswerNotFound Answer = "not-found"
	// AnswerRefused is a 401 or 412: the credentials were refused.
	AnswerRefused Answer = "refused"
	// AnswerRateLimited is a 429, or a 503 with Retry-After.
	AnswerRateLimited Answer = "rate-limited"
	// AnswerFailure is any other 5xx, or the upstream's 401 "Unable to
	// process request" (code 5).
	AnswerFailure Answer = "failure"
	// AnswerNone is no answer: the connection was reset or cut, or the
	// client gave up waiting.
	AnswerNone  Answer = "no-answer"
	AnswerOther Answer = "other"
)

// final reports whether a reaches a state that never changes.
func (a Answer) final() bool { return a == AnswerSuccess || a == AnswerRefunded }

// state reports whether a tells the transaction's state.
func (a Answer) state() bool {
	return a == AnswerPending || a == AnswerSuccess || a == AnswerFailed || a == AnswerRefunded
}

// failed reports whether a is a failure worth a retry with backoff.
func (a Answer) failed() bool { return a == AnswerFailure || a == AnswerNone }

// Exchange is what the audit reads of one journaled enquiry.
type Exchange struct {
	// ID is the journal's; StartedAfter is the ID of the last entry
	// journaled when the request came.
	ID, StartedAfter            uint64
	RegistrationID, ReferenceID string
	RemoteAddr                  string
	// TokenDigest stands for the Token sent, "" when none was.
	TokenDigest string
	// Started and Answered are on the sandbox clock.
	Started, Answered time.Time
	// SystemStarted is Started on the system clock, and Duration how long
	// the answer took on it.
	SystemStarted time.Time
	Duration      time.Duration
	Status        int
	Answer        Answer
	// RetryAfter is the wait a rate-limited answer asked for.
	RetryAfter time.Duration
}

// Key names a transaction.
type Key struct {
	RegistrationID, ReferenceID string
}

func (x *Exchange) key() Key { return Key{x.RegistrationID, x.ReferenceID} }

// sentAfter reports whether b was sent once a had been answered: a was
// journaled before b came.
func sentAfter(a, b *Exchange) bool { return b.StartedAfter >= a.ID }

// waited is how long after a's answer b came, on the sandbox clock or on
// the system clock, whichever moved further: a test that advances the
// sandbox clock waits on it, a client that sleeps waits on the system's.
func waited(a, b *Exchange) time.Duration {
	sandbox := b.Started.Sub(a.Answered)
	system := b.SystemStarted.Sub(a.SystemStarted.Add(a.Duration))
	return max(sandbox, system)
}

// ReadAnswer reads what an answer of status, with its headers and body,
// told the client; at is when it was sent, for a Retry-After given as a
// date. The body is the sandbox's own or an upstream's relayed: a code
// or data.status it cannot find makes the answer AnswerOther.
func ReadAnswer(status int, header map[string][]string, body []byte, at time.Time) (Answer, time.Duration) {
	switch {
	case status == 0:
		return AnswerNone, 0
	case status == http.StatusTooManyRequests:
		return AnswerRateLimited, retryAfter(header, at)
	case status == http.StatusServiceUnavailable:
		if wait := retryAfter(header, at); wait > 0 {
			return AnswerRateLimited, wait
		}
		return AnswerFailure, 0
	case status >= 500:
		return AnswerFailure, 0
	case status == http.StatusUnauthorized || status == http.StatusPreconditionFailed:
		if code, ok := responseCode(body); ok && code == unableToProcess {
			return AnswerFailure, 0
		}
		return AnswerRefused, 0
	case status != http.StatusOK:
		return AnswerOther, 0
	}
	code, ok := responseCode(body)
	switch {
	case !ok:
		return AnswerOther, 0
	case code == codeNotFound:
		return AnswerNotFound, 0
	case code != codeFound:
		return AnswerOther, 0
	}
	dataStatus, ok := stringMember(body, "status")
	switch {
	case !ok:
		return AnswerOther, 0
	case dataStatus == "1":
		return AnswerSuccess, 0
	case dataStatus != "0":
		return AnswerPending, 0
	}
	if refunded, _ := stringMember(body, "refunded"); refunded == "1" {
		return AnswerRefunded, 0
	}
	return AnswerFailed, 0
}

// The response codes the audit reads, as the provider's page and notes
// number them; the audit does not import the mock's wire types, to stay a
// leaf the admin API's types can use.
const (
	codeFound       = 1
	codeNotFound    = 2
	unableToProcess = 5
)

// retryAfter reads a Retry-After header: delay-seconds or an HTTP-date
// (RFC 9110 §10.2.3); 0 when absent or unreadable.
func retryAfter(header map[string][]string, at time.Time) time.Duration {
	v := strings.TrimSpace(firstHeader(header, "Retry-After"))
	if v == "" {
		return 0
	}
	if secs, err := strconv.ParseUint(v, 10, 32); err == nil {
		return time.Duration(secs) * time.Second
	}
	if date, err := http.ParseTime(v); err == nil && !at.IsZero() {
		return max(date.Sub(at), 0)
	}
	return 0
}

// firstHeader is the first value of name in header, whatever the letter
// case of the key.
func firstHeader(header map[string][]string, name string) string {
	if v := header[name]; len(v) > 0 {
		return v[0]
	}
	for k, v := range header {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}

// responseCode finds the answer's code, spelt response_code as the page
// does or responsecode as the upstream does.
func responseCode(body []byte) (int, bool) {
	for _, key := range []string{"response_code", "responsecode"} {
		if v, ok := member(body, key); ok {
			end := 0
			for end < len(v) && v[end] >= '0' && v[end] <= '9' {
				end++
			}
			if n, err := strconv.Atoi(string(v[:end])); err == nil {
				return n, true
			}
		}
	}
	return 0, false
}

// stringMember finds the first member key of body whose value is a string
// without escapes, and returns it: data.status is the only "status" of an
// answer that is a string.
func stringMember(body []byte, key string) (string, bool) {
	for rest := body; ; {
		v, ok := member(rest, key)
		if !ok {
			return "", false
		}
		if len(v) > 0 && v[0] == '"' {
			end := bytes.IndexByte(v[1:], '"')
			if end >= 0 && bytes.IndexByte(v[1:1+end], '\\') < 0 {
				return string(v[1 : 1+end]), true
			}
		}
		rest = v
	}
}

// member finds "key" followed by a colon in body and returns what follows
// the colon, spaces skipped. It reads the bytes of an answer the sandbox
// journaled, not a document to validate: the contract suite judges answers.
func member(body []byte, key string) ([]byte, bool) {
	var buf [32]byte
	quoted := append(append(append(buf[:0], '"'), key...), '"')
	for {
		i := bytes.Index(body, quoted)
		if i < 0 {
			return nil, false
		}
		rest := bytes.TrimLeft(body[i+len(quoted):], " \t\r\n")
		if len(rest) > 0 && rest[0] == ':' {
			return bytes.TrimLeft(rest[1:], " \t\r\n"), true
		}
		body = body[i+len(quoted):]
	}
}
