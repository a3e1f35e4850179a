// Package faults makes the RechargeStatus endpoint fail on purpose, so that
// a client can rehearse what the real provider or the network may do to it:
// the rules in force, the X-Mock-Fault header that picks a fault for one
// request, and the middleware that injects them.
package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// Bounds of fault timing. Every delay stays below the server's write timeout
// (mockserver.WriteTimeout, 60s), so that a fault never turns into an
// accidental one of another kind.
const (
	MaxDelay             = 50 * time.Second
	DefaultHangBound     = 30 * time.Second
	DefaultTrickleSpread = 2 * time.Second
)

// statusAnswer is the provider-shaped answer of an injected HTTP status.
type statusAnswer struct {
	code    int
	message string
}

var statusAnswers = map[int]statusAnswer{
	404: {rechargestatus.CodeServiceDisabled, rechargestatus.MessageServiceDisabled},
	412: {rechargestatus.CodeJWT, rechargestatus.MessageJWT},
	429: {rechargestatus.CodeUnableToProcess, "Too Many Requests"},
	500: {rechargestatus.CodeUnableToProcess, rechargestatus.MessageUnableToProcess},
	502: {rechargestatus.CodeUnableToProcess, "Bad Gateway"},
	503: {rechargestatus.CodeUnableToProcess, "Service Unavailable"},
	504: {rechargestatus.CodeUnableToProcess, "Gateway Timeout"},
}

var idPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func invalidf(format string, args ...any) *admin.Error {
	return admin.Errorf(http.StatusBadRequest, admin.CodeInvalid, format, args...)
}

func validKind(k admin.FaultKind) bool { return slices.Contains(admin.FaultKinds, k) }

// Validate checks a rule; the error, an *admin.Error, names the field at
// fault.
func Validate(f admin.FaultRule) error {
	if !validKind(f.Kind) {
		names := make([]string, len(admin.FaultKinds))
		for i, k := range admin.FaultKinds {
			names[i] = string(k)
		}
		return invalidf("kind %q is not one of %s", f.Kind, strings.Join(names, ", "))
	}
	if f.ID != "" && !idPattern.MatchString(f.ID) {
		return invalidf("id %q must be 1 to 64 letters, digits, dots, dashes or underscores", f.ID)
	}
	if err := validateStatus(f); err != nil {
		return err
	}
	if err := validateLatency(f); err != nil {
		return err
	}
	if f.Probability != nil && (*f.Probability < 0 || *f.Probability > 1) {
		return invalidf("probability %v must be between 0 and 1", *f.Probability)
	}
	if f.Count < 0 {
		return invalidf("count must not be negative")
	}
	return nil
}

func validateStatus(f admin.FaultRule) error {
	switch {
	case f.Kind == admin.FaultStatus && f.Status == 0:
		return invalidf("status is required for kind status")
	case f.Kind != admin.FaultStatus && f.Status != 0:
		return invalidf("status applies only to kind status")
	case f.Status != 0 && statusAnswers[f.Status] == (statusAnswer{}):
		return invalidf("status %d is not one of 404, 412, 429, 500, 502, 503, 504", f.Status)
	}
	if f.RetryAfter != "" {
		if f.Status != http.StatusTooManyRequests {
			return invalidf("retryAfter applies only to status 429")
		}
		if n, err := strconv.Atoi(f.RetryAfter); err != nil || n < 0 || len(f.RetryAfter) > 5 {
			return invalidf("retryAfter %q must be a number of seconds such as \"2\"", f.RetryAfter)
		}
	}
	return nil
}

func validateLatency(f admin.FaultRule) error {
	ranged := f.LatencyMin != 0 || f.LatencyMax != 0
	switch {
	case ranged && f.Latency != 0:
		return invalidf("latency and latencyMin/latencyMax exclude each other")
	case ranged && f.LatencyMax == 0:
		return invalidf("latencyMax is required with latencyMin")
	case f.LatencyMin > f.LatencyMax:
		return invalidf("latencyMin %s must not exceed latencyMax %s", time.Duration(f.LatencyMin), time.Duration(f.LatencyMax))
	case f.Kind == admin.FaultLatency && f.Latency == 0 && !ranged:
		return invalidf("latency (or latencyMin and latencyMax) is required for kind latency")
	}
	for name, d := range map[string]transaction.Duration{"latency": f.Latency, "latencyMax": f.LatencyMax} {
		if time.Duration(d) > MaxDelay {
			return invalidf("%s %s exceeds the largest delay, %s", name, time.Duration(d), MaxDelay)
		}
	}
	return nil
}

// matches reports whether the rule's scope covers an enquiry.
func matches(f *admin.FaultRule, registrationID, referenceID string) bool {
	return (f.RegistrationID == "" || f.RegistrationID == registrationID) &&
		(f.ReferenceID == "" || f.ReferenceID == referenceID)
}

// drawDelay is the rule's latency, drawn uniformly when it is a range.
func drawDelay(f *admin.FaultRule, rng *rand.Rand) time.Duration {
	if f.LatencyMax == 0 {
		return time.Duration(f.Latency)
	}
	lo, hi := int64(f.LatencyMin), int64(f.LatencyMax)
	return time.Duration(lo + rng.Int64N(hi-lo+1))
}

// Describe writes the rule's effect in the X-Mock-Fault syntax.
func Describe(f admin.FaultRule) string {
	var b strings.Builder
	b.WriteString(string(f.Kind))
	if f.Status != 0 {
		fmt.Fprintf(&b, "=%d", f.Status)
	}
	if f.RetryAfter != "" {
		b.WriteString(";retryAfter=" + f.RetryAfter)
	}
	if f.Latency != 0 {
		b.WriteString(";latency=" + time.Duration(f.Latency).String())
	}
	if f.LatencyMax != 0 {
		fmt.Fprintf(&b, ";latencyMin=%s;latencyMax=%s", time.Duration(f.LatencyMin), time.Duration(f.LatencyMax))
	}
	return b.String()
}

// ParseHeader reads an X-Mock-Fault value. Its one grammar:
//
//	header  = kind [ "=" value ] *( ";" param )
//	param   = name "=" value
//
// with optional spaces around every name, value, "=" and ";". The first
// segment's value is the kind's main parameter (`status=503`, `latency=2s`,
// `hang=1s`). An empty segment (`;;`, a trailing `;`), a parameter without a
// value and a parameter given twice (the main one included) are refused
// rather than guessed at. The error is an *admin.Error.
func ParseHeader(v string) (admin.FaultRule, error) {
	segments := strings.Split(v, ";")
	head, value, hasValue := strings.Cut(segments[0], "=")
	f := admin.FaultRule{Kind: admin.FaultKind(strings.ToLower(strings.TrimSpace(head)))}
	if !validKind(f.Kind) {
		return f, invalidf("%s: %s", admin.FaultHeader, messageOf(Validate(f)))
	}
	params := make([][2]string, 0, len(segments))
	if hasValue {
		main := "latency"
		if f.Kind == admin.FaultStatus {
			main = "status"
		}
		params = append(params, [2]string{main, strings.TrimSpace(value)})
	}
	for i, seg := range segments[1:] {
		if strings.TrimSpace(seg) == "" {
			return f, invalidf("%s: parameter %d after the kind is empty; separate parameters with one ;", admin.FaultHeader, i+1)
		}
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			return f, invalidf("%s: parameter %q must be name=value", admin.FaultHeader, strings.TrimSpace(seg))
		}
		params = append(params, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	seen := make(map[string]bool, len(params))
	for _, p := range params {
		name := strings.ToLower(p[0])
		switch {
		case p[0] == "":
			return f, invalidf("%s: a parameter has a value but no name", admin.FaultHeader)
		case p[1] == "":
			return f, invalidf("%s: parameter %s has no value", admin.FaultHeader, p[0])
		case seen[name]:
			return f, invalidf("%s: parameter %s is given twice", admin.FaultHeader, p[0])
		}
		seen[name] = true
		if err := setParam(&f, p[0], p[1]); err != nil {
			return f, err
		}
	}
	if err := Validate(f); err != nil {
		return f, invalidf("%s: %s", admin.FaultHeader, messageOf(err))
	}
	return f, nil
}

func setParam(f *admin.FaultRule, name, val string) error {
	var err error
	switch strings.ToLower(name) {
	case "status":
		if f.Status, err = strconv.Atoi(val); err != nil {
			return invalidf("%s: status %q is not a number", admin.FaultHeader, val)
		}
	case "retryafter":
		f.RetryAfter = val
	case "latency":
		return parseDuration(&f.Latency, "latency", val)
	case "latencymin":
		return parseDuration(&f.LatencyMin, "latencyMin", val)
	case "latencymax":
		return parseDuration(&f.LatencyMax, "latencyMax", val)
	default:
		return invalidf("%s: unknown parameter %q (status, retryAfter, latency, latencyMin, latencyMax)", admin.FaultHeader, name)
	}
	return nil
}

func parseDuration(dst *transaction.Duration, name, val string) error {
	d, err := time.ParseDuration(val)
	if err != nil || d < 0 {
		return invalidf("%s: %s %q is not a duration such as 300ms or 2s", admin.FaultHeader, name, val)
	}
	*dst = transaction.Duration(d)
	return nil
}

// messageOf is the message of an *admin.Error, or the text of any other.
func messageOf(err error) string {
	var e *admin.Error
	if errors.As(err, &e) {
		return e.Message
	}
	return err.Error()
}
