package framework

import (
	"errors"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"time"
	"unicode"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/aopay-sandbox/rechargestatus/dialect"
)

// Target is the kind of endpoint the suite checks.
type Target string

const (
	// TargetMock is the sandbox's mock: every spec runs, including those that
	// set scenarios up through the admin API, inject faults or hold the mock
	// to promises only the sandbox makes.
	TargetMock Target = "mock"
	// TargetReal is any other endpoint, the provider first: every read-only
	// promise of openapi.yaml, rate limited and capped.
	TargetReal Target = "real"
)

// Labels of specs that not every target runs, and the malformed requests a
// run may opt out of.
const (
	// LabelAdmin marks specs that set scenarios up through /__admin/.
	LabelAdmin = "admin"
	// LabelFaults marks specs that inject faults.
	LabelFaults = "faults"
	// LabelFixtures marks specs that rely on the mock's built-in fixtures and
	// referenceid conventions.
	LabelFixtures = "fixtures"
	// LabelSandbox marks specs that hold the endpoint to a promise only the
	// sandbox makes, listed under x-sandbox-promises in openapi.yaml.
	LabelSandbox = "sandbox"
	// LabelNegative marks specs that send malformed requests; every target
	// runs them unless --label-filter '!negative' opts out.
	LabelNegative = "negative"
	// LabelToken marks specs that send forged, stale or replayed Token
	// headers; a real target runs them when a partner key is set.
	LabelToken = "token"
)

// EnvPrefix prefixes the environment variable of every setting:
// --base-url is AOPAY_CONTRACT_BASE_URL.
const EnvPrefix = "AOPAY_CONTRACT_"

// Variables read from the environment only, so that secrets stay out of
// command lines and CI logs.
const (
	// EnvAuthorisedKey is sent as the `Authorisedkey` header the upstream's
	// test environment asks for; no header when unset.
	EnvAuthorisedKey = EnvPrefix + "AUTHORISED_KEY"
	// EnvSecretHeader holds extra request headers whose values are secret, one
	// `Name: value` per line.
	EnvSecretHeader = EnvPrefix + "SECRET_HEADER"
	// EnvAdminToken is the mock's --admin-token, sent as a bearer token to
	// /__admin/.
	EnvAdminToken = EnvPrefix + "ADMIN_TOKEN"
	// EnvSecureKey is the key of the mock's AOP-SECURE registration, which the
	// token specs forge tokens of on a mock without --partner-key; the
	// built-in fixtures' key when unset.
	EnvSecureKey = EnvPrefix + "SECURE_KEY"
	// EnvTokenKey is the former name of AOPAY_CONTRACT_PARTNER_KEY, still read
	// when that one is unset.
	EnvTokenKey = EnvPrefix + "TOKEN_KEY"
)

// Defaults of Config.
const (
	DefaultRegistrationID = "AOP-554"
	DefaultTimeout        = 10 * time.Second
	DefaultSuiteTimeout   = 10 * time.Minute
	// DefaultRealRPS is the request rate a run against a real target keeps to
	// unless --rps says otherwise.
	DefaultRealRPS = 1.0
	// DefaultRealMaxRequests caps the requests of a run against a real target
	// unless --max-requests says otherwise.
	DefaultRealMaxRequests = 300
	// DefaultSecureKey is the key of AOP-SECURE in the built-in fixtures.
	DefaultSecureKey = "aopay-sandbox-secret"
)

// The built-in fixtures' partners and transactions the mock-only specs use.
const (
	FixtureRegistration  = "AOP-554"
	SecureRegistration   = "AOP-SECURE"
	SecureReference      = "SECURE-1001"
	DisabledRegistration = "AOP-DISABLED"
)

// DefaultMockReferences are enquired as known references of the mock when
// --reference is not given: final transactions of the built-in fixtures.
func DefaultMockReferences() []string { return []string{"12345678", "FAILED-1001", "REFUND-1001"} }

// Config is everything a run of the suite is told.
type Config struct {
	// BaseURL is where the endpoint is, such as https://api.aopay.co.in. Empty
	// for target mock lets a command start an in-process mock.
	BaseURL string
	// Target is mock or real.
	Target Target
	// RegistrationID is the partner whose references are enquired.
	RegistrationID string
	// References are known referenceids of RegistrationID.
	References []string
	// PartnerID is the partnerId claim of the tokens; RegistrationID when empty.
	PartnerID string
	// PartnerKey signs a Token header on every enquiry of RegistrationID, and
	// lets a real run check the token failures. Secret.
	PartnerKey string
	// Headers are added to every request; their values never show in output.
	Headers http.Header
	// SecretHeaders are like Headers, read from the environment only.
	SecretHeaders http.Header
	// AuthorisedKey is sent as the Authorisedkey header. Secret.
	AuthorisedKey string
	// AdminToken is the mock's --admin-token. Secret.
	AdminToken string
	// SecureKey is the key of the mock's AOP-SECURE registration.
	SecureKey string
	// JUnitReport and JSONReport are files the run writes its report to.
	JUnitReport string
	JSONReport  string
	// Timeout bounds every request, from dialling to the last byte.
	Timeout time.Duration
	// SuiteTimeout bounds the whole run.
	SuiteTimeout time.Duration
	// RPS caps requests per second; zero means the target's default:
	// DefaultRealRPS for real, no cap for mock.
	RPS float64
	// MaxRequests caps the requests of the run; zero means the target's
	// default: DefaultRealMaxRequests for real, no cap for mock.
	MaxRequests int
	// MaxAnswerBytes bounds what the client reads of one answer; a longer
	// answer is reported as too large.
	MaxAnswerBytes int64
	// LabelFilter narrows the specs, in Ginkgo's label filter language, on top
	// of the target's own filter.
	LabelFilter string
	// Focus runs only the specs whose text matches this regular expression.
	Focus string
	// Verbose reports every spec and a line per request as it runs.
	Verbose bool
	// NoColor leaves colours out of the report.
	NoColor bool
	// Reset resets the mock (admin.Admin.Reset: fixtures, fault rules,
	// clock, journal) before the first spec (target mock only).
	Reset bool
	// Preflight checks the target once before any spec, and stops the run
	// when it cannot be checked.
	Preflight bool
	// AcceptDialects are known dialects of the provider (dialect.Names) the
	// endpoint is held to besides the page: an answer in one of them is
	// judged in the page form it stands for, so that a scheduled run holds
	// the provider to that dialect as its known baseline. Without it, an
	// answer in a known dialect fails and its failure names the dialect.
	AcceptDialects dialect.Accept

	// headerErrors are the malformed headers given, reported by Validate
	// without their values.
	headerErrors []error
}

// DefaultConfig is the configuration of a run given no flag and no variable.
func DefaultConfig() Config {
	return Config{
		Target:         TargetMock,
		RegistrationID: DefaultRegistrationID,
		Timeout:        DefaultTimeout,
		SuiteTimeout:   DefaultSuiteTimeout,
		SecureKey:      DefaultSecureKey,
		Preflight:      true,
		MaxAnswerBytes: DefaultMaxAnswerBytes,
	}
}

// flagNames are the settings RegisterFlags adds, each backed by EnvPrefix +
// its name in upper case with underscores.
func flagNames() []string {
	return []string{
		"base-url", "target", "registration-id", "reference", "partner-id", "partner-key", "header",
		"junit-report", "json-report", "timeout", "suite-timeout", "rps", "max-requests", "max-answer-bytes",
		"label-filter", "focus", "verbose", "no-color", "reset", "preflight", dialect.FlagAcceptDialect,
	}
}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// RegisterFlags adds the settings to fs, with c's values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "base URL of the endpoint, such as https://api.aopay.co.in (target mock: empty starts an in-process mock)")
	fs.Var((*targetValue)(&c.Target), "target", "mock (every spec) or real (every read-only promise, rate limited)")
	fs.StringVar(&c.RegistrationID, "registration-id", c.RegistrationID, "RegistrationID whose references are enquired")
	fs.Var((*referenceList)(&c.References), "reference", "a known referenceid of --registration-id; repeat it or separate with commas or spaces (target mock default: "+strings.Join(DefaultMockReferences(), ",")+")")
	fs.StringVar(&c.PartnerID, "partner-id", c.PartnerID, "partnerId claim of the Token (default: --registration-id)")
	fs.StringVar(&c.PartnerKey, "partner-key", c.PartnerKey, "HS256 key signing a Token on every enquiry of --registration-id; with it a real run checks the token failures. Prefer the variable: a command line shows in process lists")
	fs.Var(c.headerFlag(), "header", "'Name: value' added to every request, its value never shown; repeat it")
	fs.StringVar(&c.JUnitReport, "junit-report", c.JUnitReport, "write a JUnit XML report to this file")
	fs.StringVar(&c.JSONReport, "json-report", c.JSONReport, "write Ginkgo's JSON report to this file")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "limit of every request, from connecting to the last byte of the answer")
	fs.DurationVar(&c.SuiteTimeout, "suite-timeout", c.SuiteTimeout, "limit of the whole run")
	fs.Float64Var(&c.RPS, "rps", c.RPS, "requests per second at most; 0 is the target's default (real: 1, mock: no limit)")
	fs.IntVar(&c.MaxRequests, "max-requests", c.MaxRequests, fmt.Sprintf("requests of the whole run at most; 0 is the target's default (real: %d, mock: no limit)", DefaultRealMaxRequests))
	fs.Int64Var(&c.MaxAnswerBytes, "max-answer-bytes", c.MaxAnswerBytes, fmt.Sprintf("bytes of one answer's body the suite reads at most; a longer answer is reported as too large (its header is bounded at %d bytes)", MaxAnswerHeaderBytes))
	fs.StringVar(&c.LabelFilter, "label-filter", c.LabelFilter, "run only the specs this Ginkgo label filter selects, such as '!negative'")
	fs.StringVar(&c.Focus, "focus", c.Focus, "run only the specs whose text matches this regular expression")
	fs.BoolVar(&c.Verbose, "verbose", c.Verbose, "report every spec and a line per request as it runs, not only failures")
	fs.BoolVar(&c.NoColor, "no-color", c.NoColor, "no colours in the report (also off when NO_COLOR is set or the output is not a terminal)")
	fs.BoolVar(&c.Reset, "reset", c.Reset, "target mock: reset the mock (POST /__admin/reset: fixtures, fault rules, clock, journal) before the first spec")
	fs.BoolVar(&c.Preflight, "preflight", c.Preflight, "check the target once before any spec and stop when it cannot be checked")
	fs.Var(&c.AcceptDialects, dialect.FlagAcceptDialect, fmt.Sprintf("known dialects of the provider (%s, comma-separated) the endpoint is held to besides the page: an answer in one is judged in the page form it stands for (default: none; a failing answer in a known dialect names it)", strings.Join(dialect.Names(), ", ")))
}

// LoadEnv fills every setting of fs that the command line left unset from its
// environment variable, and the environment-only settings of c. A flag given
// on the command line wins over its variable, which wins over the default.
func (c *Config) LoadEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	for _, name := range flagNames() {
		v := getenv(EnvName(name))
		if v == "" || given[name] || fs.Lookup(name) == nil {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvName(name), v, err))
		}
	}
	if c.PartnerKey == "" {
		c.PartnerKey = getenv(EnvTokenKey)
	}
	c.AuthorisedKey = firstNonEmpty(getenv(EnvAuthorisedKey), c.AuthorisedKey)
	c.AdminToken = firstNonEmpty(getenv(EnvAdminToken), c.AdminToken)
	c.SecureKey = firstNonEmpty(getenv(EnvSecureKey), c.SecureKey)
	// https://no-color.org: any value but the empty one turns colours off.
	if getenv("NO_COLOR") != "" {
		c.NoColor = true
	}
	if v := getenv(EnvSecretHeader); v != "" {
		_ = c.secretHeaderFlag().Set(v)
	}
	return errors.Join(errs...)
}

// Validate checks that the settings make a run, and fills in the defaults
// that depend on the target.
func (c *Config) Validate() error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Target {
	case TargetMock, TargetReal:
	default:
		add("--target %q: want mock or real", c.Target)
	}
	if c.BaseURL != "" {
		if err := checkBaseURL(c.BaseURL); err != nil {
			errs = append(errs, err)
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.RegistrationID == "" || len(c.RegistrationID) > 64 {
		add("--registration-id %q: want 1 to 64 characters", c.RegistrationID)
	}
	for _, ref := range c.References {
		if ref == "" || len(ref) > 64 {
			add("--reference %q: want 1 to 64 characters", ref)
		}
	}
	errs = append(errs, c.validateTarget()...)
	if c.Timeout <= 0 {
		add("--timeout %s: want a positive duration", c.Timeout)
	}
	if c.SuiteTimeout <= 0 {
		add("--suite-timeout %s: want a positive duration", c.SuiteTimeout)
	}
	if c.RPS < 0 {
		add("--rps %g: want zero (the target's default) or more", c.RPS)
	}
	if c.MaxAnswerBytes <= 0 {
		add("--max-answer-bytes %d: want a positive number", c.MaxAnswerBytes)
	}
	if c.MaxRequests < 0 {
		add("--max-requests %d: want zero (the target's default) or more", c.MaxRequests)
	}
	if _, err := types.ParseLabelFilter(c.EffectiveLabelFilter()); err != nil {
		add("--label-filter %q: %v", c.LabelFilter, err)
	}
	if _, err := regexp.Compile(c.Focus); err != nil {
		add("--focus %q: %v", c.Focus, err)
	}
	errs = append(errs, c.headerErrors...)
	if c.PartnerID == "" {
		c.PartnerID = c.RegistrationID
	}
	return errors.Join(errs...)
}

// validateTarget checks what the target needs, and gives a mock its default
// references.
func (c *Config) validateTarget() []error {
	var errs []error
	add := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	switch c.Target {
	case TargetReal:
		if c.BaseURL == "" {
			add("--target real needs --base-url, such as https://api.aopay.co.in")
		}
		if len(c.References) == 0 {
			add("--target real needs at least one --reference of --registration-id")
		}
		if c.Reset {
			add("--reset puts a mock's fixtures back: it needs --target mock")
		}
	case TargetMock:
		if len(c.References) == 0 {
			c.References = DefaultMockReferences()
		}
	}
	return errs
}

func checkBaseURL(raw string) error {
	u, err := url.Parse(raw)
	switch {
	case err != nil:
		return fmt.Errorf("--base-url: %w", err)
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		return fmt.Errorf("--base-url %q: want an http or https URL such as https://api.aopay.co.in", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Errorf("--base-url %q: want no query and no fragment", u.Redacted())
	}
	return nil
}

// EffectiveRPS is the request rate the run keeps to; zero means no limit.
func (c Config) EffectiveRPS() float64 {
	switch {
	case c.RPS > 0:
		return c.RPS
	case c.Target == TargetReal:
		return DefaultRealRPS
	}
	return 0
}

// EffectiveMaxRequests is the cap of the run's requests; zero means none.
func (c Config) EffectiveMaxRequests() int {
	switch {
	case c.MaxRequests > 0:
		return c.MaxRequests
	case c.Target == TargetReal:
		return DefaultRealMaxRequests
	}
	return 0
}

// Exclusion is a label whose specs the target does not run, and why.
type Exclusion struct {
	Label  string
	Reason string
}

// Exclusions lists the labels the target leaves out.
func (c Config) Exclusions() []Exclusion {
	if c.Target != TargetReal {
		return nil
	}
	out := []Exclusion{
		{LabelAdmin, "need the sandbox's admin API"},
		{LabelFaults, "inject faults, which only the sandbox does"},
		{LabelFixtures, "rely on the sandbox's built-in transactions"},
		{LabelSandbox, "hold the endpoint to a promise only the sandbox makes (x-sandbox-promises)"},
	}
	if c.PartnerKey == "" {
		out = append(out, Exclusion{LabelToken, "need a partner key (--partner-key or " + EnvName("partner-key") + ")"})
	}
	return out
}

// EffectiveLabelFilter combines the target's exclusions with --label-filter.
func (c Config) EffectiveLabelFilter() string {
	var parts []string
	for _, e := range c.Exclusions() {
		parts = append(parts, "!"+e.Label)
	}
	if strings.TrimSpace(c.LabelFilter) != "" {
		parts = append(parts, "("+c.LabelFilter+")")
	}
	return strings.Join(parts, " && ")
}

// TokenSubject is the partner whose tokens the token specs forge, and one
// transaction of it.
type TokenSubject struct {
	RegistrationID string
	ReferenceID    string
	PartnerID      string
	Key            string
}

// TokenSubject is the run's partner when a partner key is set, else (target
// mock) the built-in fixtures' AOP-SECURE.
func (c Config) TokenSubject() TokenSubject {
	if c.PartnerKey != "" && len(c.References) > 0 {
		return TokenSubject{RegistrationID: c.RegistrationID, ReferenceID: c.References[0], PartnerID: c.PartnerID, Key: c.PartnerKey}
	}
	return TokenSubject{RegistrationID: SecureRegistration, ReferenceID: SecureReference, PartnerID: SecureRegistration, Key: c.SecureKey}
}

// Secrets lists every value the run must never show: keys, tokens and the
// values of the headers it was given.
func (c Config) Secrets() []string {
	out := []string{c.PartnerKey, c.AuthorisedKey, c.AdminToken}
	for _, h := range []http.Header{c.Headers, c.SecretHeaders} {
		for _, values := range h {
			out = append(out, values...)
		}
	}
	return out
}

type targetValue Target

func (t *targetValue) String() string { return string(*t) }

func (t *targetValue) Set(s string) error {
	switch Target(s) {
	case TargetMock, TargetReal:
		*t = targetValue(s)
		return nil
	}
	return fmt.Errorf("want mock or real, got %q", s)
}

// referenceList collects repeated --reference flags, each of which may hold
// several references separated by commas or white space (a CI secret often
// holds one per line).
type referenceList []string

func (l *referenceList) String() string {
	if l == nil {
		return ""
	}
	return strings.Join(*l, ",")
}

func (l *referenceList) Set(s string) error {
	*l = append(*l, strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })...)
	return nil
}

// headerFlag collects repeated --header flags, each `Name: value`; a
// variable may hold several, one per line. A malformed one is reported by
// Validate, not by the flag package, which would print the value.
type headerFlag struct {
	dst    *http.Header
	source string
	errs   *[]error
}

func (c *Config) headerFlag() headerFlag {
	return headerFlag{dst: &c.Headers, source: "--header", errs: &c.headerErrors}
}

func (c *Config) secretHeaderFlag() headerFlag {
	return headerFlag{dst: &c.SecretHeaders, source: EnvSecretHeader, errs: &c.headerErrors}
}

// String names the headers only: their values are never shown, not even as a
// flag's default.
func (h headerFlag) String() string {
	if h.dst == nil || *h.dst == nil {
		return ""
	}
	names := make([]string, 0, len(*h.dst))
	for name := range *h.dst {
		names = append(names, name)
	}
	return strings.Join(names, ",")
}

func (h headerFlag) Set(s string) error {
	for line := range strings.Lines(s) {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		name = strings.TrimSpace(name)
		if !ok || !validHeaderName(name) {
			*h.errs = append(*h.errs, fmt.Errorf("%s: want 'Name: value' with a header name such as X-Api-Key (the value is not shown)", h.source))
			continue
		}
		if *h.dst == nil {
			*h.dst = http.Header{}
		}
		h.dst.Add(name, strings.TrimSpace(value))
	}
	return nil
}

func validHeaderName(name string) bool {
	if name == "" {
		return false
	}
	for _, r := range name {
		if r > unicode.MaxASCII || !(unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("!#$%&'*+-.^_`|~", r)) {
			return false
		}
	}
	return true
}

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
