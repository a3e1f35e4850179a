package framework

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// PreflightError is why a run stops before its first spec: the target cannot
// be checked as it stands.
type PreflightError struct{ Reason string }

func (e *PreflightError) Error() string { return "preflight: " + e.Reason }

func stop(format string, args ...any) error {
	return &PreflightError{Reason: fmt.Sprintf(format, args...)}
}

// movedClockTolerance is how far the mock's clock may stand from the real
// one before a run would meet expired tokens and early transitions.
const movedClockTolerance = time.Second

// Preflight checks the target once before any spec: with Reset, it first
// resets the mock (fixtures, fault rules, clock, journal); then (target mock)
// the admin API must accept the suite's token, the clock must not be moved
// and no fault rule may touch the suite's requests; then an enquiry of the
// first reference must be answered in time, in the provider's envelope, and
// not refused as an unknown partner. Its error is a *PreflightError.
func Preflight(ctx context.Context, s *Suite) error {
	if s.Config.Target == TargetMock {
		if err := checkMock(ctx, s); err != nil {
			return err
		}
	}
	return checkEnquiry(ctx, s)
}

func checkMock(ctx context.Context, s *Suite) error {
	where := s.Client.Redactor().URL(s.Config.BaseURL)
	adminFailure := func(err error) error {
		var refusal *admin.Error
		switch {
		case errors.As(err, &refusal) && (refusal.Status == http.StatusUnauthorized || refusal.Status == http.StatusForbidden):
			return stop("the mock's admin API at %s/__admin/ refuses the suite's token (HTTP %d): set %s to the mock's --admin-token", where, refusal.Status, EnvAdminToken)
		case errors.As(err, &refusal) && refusal.Status == http.StatusNotFound:
			return stop("%s has no admin API at /__admin/: is it the sandbox's mock? Check any other endpoint with --target real", where)
		}
		return stop("cannot use the mock's admin API at %s: %v", where, err)
	}
	if s.Config.Reset {
		// A reset also puts the clock back to the system's.
		if _, err := s.Admin.Reset(ctx); err != nil {
			return adminFailure(err)
		}
	}
	clock, err := s.Admin.Clock(ctx)
	if err != nil {
		return adminFailure(err)
	}
	offset, err := time.ParseDuration(clock.Offset)
	if err != nil {
		return stop("the mock's clock answers offset %q, not a duration", clock.Offset)
	}
	if clock.Frozen || offset.Abs() > movedClockTolerance {
		state := "moved by " + clock.Offset
		if clock.Frozen {
			state = "frozen at " + clock.Now.Format(time.RFC3339)
		}
		return stop("the mock's clock is %s, so tokens would expire and transactions resolve early: run with --reset, or POST /__admin/clock {\"set\": \"<now>\"}", state)
	}
	rules, err := s.Admin.ListFaults(ctx)
	if err != nil {
		return adminFailure(err)
	}
	if touching := touchingRules(rules, s.Config); len(touching) > 0 {
		return stop("the mock has fault rules that would touch the suite's requests (%s): run with --reset, or DELETE /__admin/faults", strings.Join(touching, "; "))
	}
	return nil
}

// touchingRules describes the live rules that could fault an enquiry of the
// suite: a rule for any registration the specs use, or any registration,
// and for any referenceid, or one the specs enquire by name.
func touchingRules(rules []admin.FaultRule, cfg Config) []string {
	registrations := []string{cfg.RegistrationID, cfg.TokenSubject().RegistrationID, FixtureRegistration, SecureRegistration, DisabledRegistration}
	references := append(slices.Clone(cfg.References), FixtureReferences()...)
	var out []string
	for _, r := range rules {
		if r.Remaining != nil && *r.Remaining <= 0 {
			continue
		}
		if r.RegistrationID != "" && !slices.Contains(registrations, r.RegistrationID) {
			continue
		}
		if r.ReferenceID != "" && !slices.Contains(references, r.ReferenceID) {
			continue
		}
		scope := "every enquiry"
		switch {
		case r.RegistrationID != "" && r.ReferenceID != "":
			scope = r.RegistrationID + "/" + r.ReferenceID
		case r.RegistrationID != "":
			scope = "registration " + r.RegistrationID
		case r.ReferenceID != "":
			scope = "referenceid " + r.ReferenceID
		}
		kind := string(r.Kind)
		if r.Status != 0 {
			kind = fmt.Sprintf("%s %d", r.Kind, r.Status)
		}
		out = append(out, fmt.Sprintf("%s: %s for %s", r.ID, kind, scope))
	}
	return out
}

// FixtureReferences are the built-in fixtures' referenceids the mock-only
// specs enquire by name.
func FixtureReferences() []string {
	return []string{"12345678", "FAILED-1001", "REFUND-1001", "NOTFOUND-1001", "BADSIG-1001", "AUTHFAIL-1001", SecureReference}
}

// checkEnquiry enquires the first reference and stops the run when the
// answer cannot be judged at all, or refuses the partner.
func checkEnquiry(ctx context.Context, s *Suite) error {
	cfg := s.Config
	where := s.Client.Redactor().URL(cfg.BaseURL + rechargestatus.EnquiryPath)
	q := rechargestatus.Enquiry{ReferenceID: cfg.References[0], RegistrationID: cfg.RegistrationID}
	ex := s.Client.Do(ctx, EnquiryRequest(q))
	if err := ex.Failure(); err != nil {
		return stop("cannot check %s: %v", where, err)
	}
	a, ok := envelopeOf(ex)
	if !ok {
		return stop("%s does not answer in the provider's envelope: HTTP %d, Content-Type %q, %s", where, ex.Status, ex.Header.Get("Content-Type"), clipBody(ex))
	}
	if ex.Status == http.StatusUnauthorized || ex.Status == http.StatusPreconditionFailed || ex.Status == http.StatusForbidden {
		return stop("%s refuses the partner %s (HTTP %d, response_code %d, %q): check --registration-id, --partner-key (%s), --partner-id, %s and --header",
			where, cfg.RegistrationID, ex.Status, a.ResponseCode, s.Client.Redactor().Text(a.Message), EnvName("partner-key"), EnvAuthorisedKey)
	}
	return nil
}

// envelopeOf reads the members every answer of the provider carries:
// status, response_code and message, in a JSON object. The code may be
// spelt responsecode, as the upstream aggregator spells it: whether that
// keeps the contract is for the specs to judge and explain, as it is
// whether the answer comes as application/json.
func envelopeOf(ex *Exchange) (rechargestatus.ErrorAnswer, bool) {
	var raw map[string]json.RawMessage
	if json.Unmarshal(ex.Body, &raw) != nil {
		return rechargestatus.ErrorAnswer{}, false
	}
	if _, ok := raw[string(dialect.CodeKeyPage)]; !ok {
		raw[string(dialect.CodeKeyPage)] = raw[string(dialect.CodeKeyUpstream)]
	}
	for _, member := range []string{"status", string(dialect.CodeKeyPage), "message"} {
		if raw[member] == nil {
			return rechargestatus.ErrorAnswer{}, false
		}
	}
	page, err := json.Marshal(raw)
	var a rechargestatus.ErrorAnswer
	return a, err == nil && json.Unmarshal(page, &a) == nil
}

func clipBody(ex *Exchange) string {
	const limit = 120
	body := ex.redactor.Text(string(ex.Body))
	if len(body) > limit {
		body = body[:limit] + "…"
	}
	if body == "" {
		return "an empty body"
	}
	return fmt.Sprintf("%q", body)
}
