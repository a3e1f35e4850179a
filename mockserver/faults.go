package mockserver

import (
	"context"
	"encoding/json"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
)

// FaultKind is a way the RechargeStatus endpoint fails on purpose, so that a
// client can rehearse what the real provider or the network may do to it.
type FaultKind string

const (
	FaultLatency     FaultKind = "latency"
	FaultStatus      FaultKind = "status"
	FaultReset       FaultKind = "reset"
	FaultEmpty       FaultKind = "empty"
	FaultTruncated   FaultKind = "truncated"
	FaultMalformed   FaultKind = "malformed"
	FaultContentType FaultKind = "content-type"
	FaultTrickle     FaultKind = "trickle"
	FaultHang        FaultKind = "hang"
)

// FaultKinds lists every kind, in the order the documentation presents them.
var FaultKinds = []FaultKind{FaultLatency, FaultStatus, FaultReset, FaultEmpty, FaultTruncated, FaultMalformed, FaultContentType, FaultTrickle, FaultHang}

func (k FaultKind) valid() bool { return slices.Contains(FaultKinds, k) }

// Bounds of fault timing. Every delay stays below the server's WriteTimeout,
// so a fault never turns into an accidental one of another kind.
const (
	MaxFaultDelay        = WriteTimeout - 10*time.Second
	DefaultHangBound     = 30 * time.Second
	DefaultTrickleSpread = 2 * time.Second
)

// FaultHeader is the request header that picks a fault for one call.
const FaultHeader = "X-Mock-Fault"

// statusFault is the provider-shaped answer of an injected HTTP status.
type statusFault struct {
	code    int
	message string
}

var statusFaults = map[int]statusFault{
	404: {rechargestatus.CodeServiceDisabled, rechargestatus.MessageServiceDisabled},
	412: {rechargestatus.CodeJWT, "Jwt Token Error"},
	429: {rechargestatus.CodeUnableToProcess, "Too Many Requests"},
	500: {rechargestatus.CodeUnableToProcess, rechargestatus.MessageUnableToProcess},
	502: {rechargestatus.CodeUnableToProcess, "Bad Gateway"},
	503: {rechargestatus.CodeUnableToProcess, "Service Unavailable"},
	504: {rechargestatus.CodeUnableToProcess, "Gateway Timeout"},
}

// FaultRule says which enquiries fail and how.
type FaultRule struct {
	ID             string            `json:"id,omitempty"`
	Kind           FaultKind         `json:"kind"`
	Status         int               `json:"status,omitempty"`
	RetryAfter     string            `json:"retryAfter,omitempty"`
	Latency        recharge.Duration `json:"latency,omitempty"`
	LatencyMin     recharge.Duration `json:"latencyMin,omitempty"`
	LatencyMax     recharge.Duration `json:"latencyMax,omitempty"`
	ReferenceID    string            `json:"referenceId,omitempty"`
	RegistrationID string            `json:"registrationId,omitempty"`
	// Probability is the chance a matching enquiry gets the fault; 1 when nil.
	Probability *float64 `json:"probability,omitempty"`
	// Count limits the rule to the next Count matching enquiries; 0 is no limit.
	Count int `json:"count,omitempty"`
	// Remaining is what is left of Count; set by the sandbox only.
	Remaining *int `json:"remaining,omitempty"`
	// Injected counts the faults the rule injected; set by the sandbox only.
	Injected int `json:"injected"`
}

var faultIDPattern = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

func invalidf(format string, args ...any) error {
	return recharge.Errorf(recharge.EINVALID, format, args...)
}

// Validate checks a rule; the error names the field at fault.
func (f FaultRule) Validate() error {
	if !f.Kind.valid() {
		names := make([]string, len(FaultKinds))
		for i, k := range FaultKinds {
			names[i] = string(k)
		}
		return invalidf("kind %q is not one of %s", f.Kind, strings.Join(names, ", "))
	}
	if f.ID != "" && !faultIDPattern.MatchString(f.ID) {
		return invalidf("id %q must be 1 to 64 letters, digits, dots, dashes or underscores", f.ID)
	}
	switch {
	case f.Kind == FaultStatus && f.Status == 0:
		return invalidf("status is required for kind status")
	case f.Kind != FaultStatus && f.Status != 0:
		return invalidf("status applies only to kind status")
	case f.Status != 0 && statusFaults[f.Status] == (statusFault{}):
		return invalidf("status %d is not one of 404, 412, 429, 500, 502, 503, 504", f.Status)
	}
	if f.RetryAfter != "" {
		if f.Status != 429 {
			return invalidf("retryAfter applies only to status 429")
		}
		if n, err := strconv.Atoi(f.RetryAfter); err != nil || n < 0 || len(f.RetryAfter) > 5 {
			return invalidf("retryAfter %q must be a number of seconds such as \"2\"", f.RetryAfter)
		}
	}
	ranged := f.LatencyMin != 0 || f.LatencyMax != 0
	switch {
	case ranged && f.Latency != 0:
		return invalidf("latency and latencyMin/latencyMax exclude each other")
	case ranged && f.LatencyMax == 0:
		return invalidf("latencyMax is required with latencyMin")
	case f.LatencyMin > f.LatencyMax:
		return invalidf("latencyMin %s must not exceed latencyMax %s", time.Duration(f.LatencyMin), time.Duration(f.LatencyMax))
	case f.Kind == FaultLatency && f.Latency == 0 && !ranged:
		return invalidf("latency (or latencyMin and latencyMax) is required for kind latency")
	}
	for name, d := range map[string]recharge.Duration{"latency": f.Latency, "latencyMax": f.LatencyMax} {
		if time.Duration(d) > MaxFaultDelay {
			return invalidf("%s %s exceeds the largest delay, %s", name, time.Duration(d), MaxFaultDelay)
		}
	}
	if f.Probability != nil && (*f.Probability < 0 || *f.Probability > 1) {
		return invalidf("probability %v must be between 0 and 1", *f.Probability)
	}
	if f.Count < 0 {
		return invalidf("count must not be negative")
	}
	return nil
}

// matches reports whether the rule's scope covers an enquiry.
func (f *FaultRule) matches(registrationID, referenceID string) bool {
	return (f.RegistrationID == "" || f.RegistrationID == registrationID) &&
		(f.ReferenceID == "" || f.ReferenceID == referenceID)
}

// drawDelay is the rule's latency, drawn uniformly when it is a range.
func (f *FaultRule) drawDelay(rng *rand.Rand) time.Duration {
	if f.LatencyMax == 0 {
		return time.Duration(f.Latency)
	}
	lo, hi := int64(f.LatencyMin), int64(f.LatencyMax)
	return time.Duration(lo + rng.Int64N(hi-lo+1))
}

// Spec writes the rule's effect in the X-Mock-Fault syntax.
func (f *FaultRule) Spec() string {
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

// ParseFaultHeader reads an X-Mock-Fault value: `<kind>[;param=value...]`,
// where the first segment may carry the kind's main parameter (`status=503`,
// `latency=2s`, `hang=1s`).
func ParseFaultHeader(v string) (FaultRule, error) {
	segments := strings.Split(v, ";")
	head, value, hasValue := strings.Cut(strings.TrimSpace(segments[0]), "=")
	f := FaultRule{Kind: FaultKind(strings.ToLower(strings.TrimSpace(head)))}
	if !f.Kind.valid() {
		return f, invalidf("%s: %s", FaultHeader, errorMessageOf(f.Validate()))
	}
	params := make([][2]string, 0, len(segments))
	if hasValue {
		main := "latency"
		if f.Kind == FaultStatus {
			main = "status"
		}
		params = append(params, [2]string{main, value})
	}
	for _, seg := range segments[1:] {
		seg = strings.TrimSpace(seg)
		if seg == "" {
			continue
		}
		k, v, ok := strings.Cut(seg, "=")
		if !ok {
			return f, invalidf("%s: parameter %q must be name=value", FaultHeader, seg)
		}
		params = append(params, [2]string{strings.TrimSpace(k), strings.TrimSpace(v)})
	}
	for _, p := range params {
		name, val := p[0], p[1]
		var err error
		switch strings.ToLower(name) {
		case "status":
			if f.Status, err = strconv.Atoi(val); err != nil {
				return f, invalidf("%s: status %q is not a number", FaultHeader, val)
			}
		case "retryafter":
			f.RetryAfter = val
		case "latency":
			err = parseFaultDuration(&f.Latency, "latency", val)
		case "latencymin":
			err = parseFaultDuration(&f.LatencyMin, "latencyMin", val)
		case "latencymax":
			err = parseFaultDuration(&f.LatencyMax, "latencyMax", val)
		default:
			return f, invalidf("%s: unknown parameter %q (status, retryAfter, latency, latencyMin, latencyMax)", FaultHeader, name)
		}
		if err != nil {
			return f, err
		}
	}
	if err := f.Validate(); err != nil {
		return f, invalidf("%s: %s", FaultHeader, errorMessageOf(err))
	}
	return f, nil
}

func parseFaultDuration(dst *recharge.Duration, name, val string) error {
	d, err := time.ParseDuration(val)
	if err != nil || d < 0 {
		return invalidf("%s: %s %q is not a duration such as 300ms or 2s", FaultHeader, name, val)
	}
	*dst = recharge.Duration(d)
	return nil
}

// errorMessageOf is the message of a domain error, or the text of any other.
func errorMessageOf(err error) string {
	if err == nil {
		return ""
	}
	if recharge.ErrorCode(err) == recharge.EINTERNAL {
		return err.Error()
	}
	return recharge.ErrorMessage(err)
}

// pickedFault is a fault chosen for one request.
type pickedFault struct {
	rule FaultRule
	// source is "header" or "rule <id>".
	source string
	// delay is the drawn latency: the delay before the fault, the spread of
	// a trickle, the bound of a hang.
	delay time.Duration
}

func (p pickedFault) describe() string { return p.source + ": " + p.rule.Spec() }

// liveRule is a rule in force with the state of its draws.
type liveRule struct {
	FaultRule
	rng *rand.Rand
}

// faultSet holds the rules in force. Draws come from one generator per rule,
// seeded by the sandbox seed and the rule's id, so the Nth enquiry a rule sees
// gets the same outcome in every run with the same seed.
type faultSet struct {
	mu     sync.Mutex
	seed   int64
	rules  []*liveRule
	nextID int
	// headerRNG draws latency ranges of X-Mock-Fault headers.
	headerRNG *rand.Rand
	// save commits the rules before a change is acknowledged.
	save func(ctx context.Context, data []byte) error
}

func newFaultSet(seed int64, save func(context.Context, []byte) error) *faultSet {
	return &faultSet{
		seed:      seed,
		headerRNG: rand.New(rand.NewPCG(uint64(seed), 0x686561646572)),
		save:      save,
	}
}

func (fs *faultSet) live(r FaultRule) *liveRule {
	h := fnv.New64a()
	h.Write([]byte(r.ID))
	if r.Count > 0 && r.Remaining == nil {
		n := r.Count
		r.Remaining = &n
	}
	return &liveRule{FaultRule: r, rng: rand.New(rand.NewPCG(uint64(fs.seed), h.Sum64()))}
}

// persisted is how the rules are kept in the store's settings.
type persistedFaults struct {
	Rules  []FaultRule `json:"rules"`
	NextID int         `json:"nextId"`
}

const faultsSetting = "faults"

func snapshot(rules []*liveRule) []FaultRule {
	out := make([]FaultRule, len(rules))
	for i, r := range rules {
		out[i] = r.FaultRule
		if r.Remaining != nil {
			n := *r.Remaining
			out[i].Remaining = &n
		}
		if r.Probability != nil {
			p := *r.Probability
			out[i].Probability = &p
		}
	}
	return out
}

// commit saves rules as the new set and, once saved, puts them in force.
// The caller holds fs.mu.
func (fs *faultSet) commit(ctx context.Context, rules []*liveRule, nextID int) error {
	data, err := json.Marshal(persistedFaults{Rules: snapshot(rules), NextID: nextID})
	if err != nil {
		return err
	}
	if fs.save != nil {
		if err := fs.save(ctx, data); err != nil {
			return fmt.Errorf("save faults: %w", err)
		}
	}
	fs.rules, fs.nextID = rules, nextID
	return nil
}

// restore puts saved rules back in force.
func (fs *faultSet) restore(data []byte) error {
	var p persistedFaults
	if err := json.Unmarshal(data, &p); err != nil {
		return fmt.Errorf("saved faults: %w", err)
	}
	fs.mu.Lock()
	defer fs.mu.Unlock()
	rules := make([]*liveRule, 0, len(p.Rules))
	for _, r := range p.Rules {
		rules = append(rules, fs.live(r))
	}
	fs.rules, fs.nextID = rules, p.NextID
	return nil
}

// List is the rules in force, in the order they are tried.
func (fs *faultSet) List() []FaultRule {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return snapshot(fs.rules)
}

// prepare validates a new rule and gives it an id unless it has one.
func (fs *faultSet) prepare(r FaultRule, taken map[string]bool, nextID *int) (FaultRule, error) {
	r.Remaining, r.Injected = nil, 0
	if err := r.Validate(); err != nil {
		return r, err
	}
	if r.ID == "" {
		for {
			*nextID++
			r.ID = "f" + strconv.Itoa(*nextID)
			if !taken[r.ID] {
				break
			}
		}
	} else if taken[r.ID] {
		return r, recharge.Errorf(recharge.ECONFLICT, "a fault rule with id %q already exists", r.ID)
	}
	taken[r.ID] = true
	return r, nil
}

// Replace puts rules in force instead of the current ones.
func (fs *faultSet) Replace(ctx context.Context, rules []FaultRule) ([]FaultRule, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	taken := make(map[string]bool, len(rules))
	for _, r := range rules {
		if r.ID != "" {
			if taken[r.ID] {
				return nil, invalidf("faults: id %q is used twice", r.ID)
			}
			taken[r.ID] = true
		}
	}
	nextID := fs.nextID
	live := make([]*liveRule, 0, len(rules))
	for i, r := range rules {
		if r.ID != "" {
			delete(taken, r.ID)
		}
		p, err := fs.prepare(r, taken, &nextID)
		if err != nil {
			return nil, invalidf("faults[%d].%s", i, errorMessageOf(err))
		}
		live = append(live, fs.live(p))
	}
	if err := fs.commit(ctx, live, nextID); err != nil {
		return nil, err
	}
	return snapshot(fs.rules), nil
}

// Add appends a rule, tried after the others.
func (fs *faultSet) Add(ctx context.Context, r FaultRule) (FaultRule, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	taken := make(map[string]bool, len(fs.rules))
	for _, l := range fs.rules {
		taken[l.ID] = true
	}
	nextID := fs.nextID
	p, err := fs.prepare(r, taken, &nextID)
	if err != nil {
		return FaultRule{}, err
	}
	l := fs.live(p)
	rules := append(slices.Clip(fs.rules), l)
	if err := fs.commit(ctx, rules, nextID); err != nil {
		return FaultRule{}, err
	}
	return snapshot([]*liveRule{l})[0], nil
}

// Delete removes the rule with id.
func (fs *faultSet) Delete(ctx context.Context, id string) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	i := slices.IndexFunc(fs.rules, func(l *liveRule) bool { return l.ID == id })
	if i < 0 {
		return recharge.Errorf(recharge.ENOTFOUND, "no fault rule with id %q", id)
	}
	return fs.commit(ctx, slices.Delete(slices.Clone(fs.rules), i, i+1), fs.nextID)
}

// Clear removes every rule.
func (fs *faultSet) Clear(ctx context.Context) error {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return fs.commit(ctx, nil, fs.nextID)
}

// Pick chooses the fault of an enquiry, if any: the first rule whose scope
// matches and whose draw succeeds. A counted rule that runs out expires.
func (fs *faultSet) Pick(ctx context.Context, registrationID, referenceID string) (pickedFault, bool, error) {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	for i, l := range fs.rules {
		if !l.matches(registrationID, referenceID) {
			continue
		}
		if l.Probability != nil && l.rng.Float64() >= *l.Probability {
			continue
		}
		l.Injected++
		picked := pickedFault{rule: l.FaultRule, source: "rule " + l.ID, delay: l.drawDelay(l.rng)}
		if l.Remaining == nil {
			return picked, true, nil
		}
		left := *l.Remaining - 1
		l.Remaining = &left
		rules := fs.rules
		if left <= 0 {
			rules = slices.Delete(slices.Clone(fs.rules), i, i+1)
		}
		// A counted rule's remaining count is state worth keeping: a
		// restart must not hand out the faults again. Should the store fail,
		// the count still holds for as long as the process runs.
		if err := fs.commit(ctx, rules, fs.nextID); err != nil {
			fs.rules = rules
			return picked, true, err
		}
		return picked, true, nil
	}
	return pickedFault{}, false, nil
}

// FromHeader picks the fault an X-Mock-Fault header asks for.
func (fs *faultSet) FromHeader(rule FaultRule) pickedFault {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	return pickedFault{rule: rule, source: "header", delay: rule.drawDelay(fs.headerRNG)}
}
