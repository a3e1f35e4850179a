// Package contract is the contract suite of AOPay's RechargeStatus endpoint: a
// Ginkgo v2 and Gomega suite that tells whether an endpoint, the real
// provider or the sandbox's mock, honours openapi.yaml and the invariants of
// package contract/conformance. It offers the suite's configuration, its HTTP
// client (timeouts, a rate limit, request and answer dumps), a client of the
// mock's admin API, and RunSuite and Main, which run the suite from `go test`
// or from the aopay-contract command.
package contract

import (
	"errors"
	"flag"
	"fmt"
	"net/url"
	"strings"
	"time"
	"unicode"
)

// Target is the kind of endpoint the suite checks.
type Target string

const (
	// TargetMock is the sandbox's mock: every spec runs, including those that
	// set scenarios up through the admin API or inject faults.
	TargetMock Target = "mock"
	// TargetReal is the provider: only read-only status enquiries of known
	// references, rate limited.
	TargetReal Target = "real"
)

// Labels of specs that only the sandbox's mock can answer. A run against the
// real provider filters them out, so its reports list them as skipped.
const (
	// LabelAdmin marks specs that set up scenarios through /__admin/.
	LabelAdmin = "admin"
	// LabelFaults marks specs that inject faults.
	LabelFaults = "faults"
	// LabelFixtures marks specs that rely on the mock's built-in fixtures and
	// referenceid conventions.
	LabelFixtures = "fixtures"
	// LabelNegative marks specs that send malformed requests.
	LabelNegative = "negative"
)

// RealTargetLabelFilter keeps the specs a run against the real provider may
// run: read-only enquiries.
var RealTargetLabelFilter = fmt.Sprintf("!%s && !%s && !%s && !%s", LabelAdmin, LabelFaults, LabelFixtures, LabelNegative)

// EnvPrefix prefixes the environment variable of every setting:
// --base-url is AOPAY_CONTRACT_BASE_URL.
const EnvPrefix = "AOPAY_CONTRACT_"

// Variables read from the environment only, so that secrets stay out of
// command lines and CI logs.
const (
	// EnvTokenKey is the HS256 key that signs a `Token` header on every
	// enquiry of --registration-id; no header when unset.
	EnvTokenKey = EnvPrefix + "TOKEN_KEY"
	// EnvPartnerID is the token's partnerId claim; --registration-id when unset.
	EnvPartnerID = EnvPrefix + "PARTNER_ID"
	// EnvAuthorisedKey is sent as the `Authorisedkey` header the upstream's
	// test environment asks for; no header when unset.
	EnvAuthorisedKey = EnvPrefix + "AUTHORISED_KEY"
	// EnvAdminToken is the mock's --admin-token, sent as a bearer token to
	// /__admin/.
	EnvAdminToken = EnvPrefix + "ADMIN_TOKEN"
	// EnvSecureKey is the key of the mock's AOP-SECURE registration, for the
	// token specs; the built-in fixtures' key when unset.
	EnvSecureKey = EnvPrefix + "SECURE_KEY"
)

// Defaults of Config.
const (
	DefaultRegistrationID = "AOP-554"
	DefaultTimeout        = 10 * time.Second
	// DefaultRealRPS is the request rate a run against the real provider keeps
	// to unless --rps says otherwise.
	DefaultRealRPS = 1.0
	// DefaultSecureKey is the key of AOP-SECURE in the built-in fixtures.
	DefaultSecureKey = "aopay-sandbox-secret"
)

// DefaultMockReferences are enquired as known references of the mock when
// --reference is not given: final transactions of the built-in fixtures.
var DefaultMockReferences = []string{"12345678", "FAILED-1001", "REFUND-1001"}

// Config is everything a run of the suite is told.
type Config struct {
	// BaseURL is where the endpoint is, such as https://api.aopay.co.in; empty
	// for target mock starts an in-process mock.
	BaseURL string
	// Target is mock or real.
	Target Target
	// RegistrationID is the partner whose references are enquired.
	RegistrationID string
	// References are known referenceids of RegistrationID.
	References []string
	// JUnitReport and JSONReport are files the run writes its report to.
	JUnitReport string
	JSONReport  string
	// Timeout bounds every request, from dialling to the last byte.
	Timeout time.Duration
	// RPS caps requests per second; zero means the target's default:
	// DefaultRealRPS for real, no cap for mock.
	RPS float64
	// LabelFilter narrows the specs, in Ginkgo's label filter language, on top
	// of the target's own filter.
	LabelFilter string
	// Verbose reports every spec and its requests as it runs, not only failures.
	Verbose bool
	// NoColor leaves colours out of the report.
	NoColor bool

	// Read from the environment only (see the Env* names).
	TokenKey      string
	PartnerID     string
	AuthorisedKey string
	AdminToken    string
	SecureKey     string
}

// DefaultConfig is the configuration of a run given no flag and no variable.
func DefaultConfig() Config {
	return Config{
		Target:         TargetMock,
		RegistrationID: DefaultRegistrationID,
		Timeout:        DefaultTimeout,
		SecureKey:      DefaultSecureKey,
	}
}

// flagNames are the settings RegisterFlags adds, each backed by EnvPrefix +
// its name in upper case with underscores.
var flagNames = []string{"base-url", "target", "registration-id", "reference", "junit-report", "json-report", "timeout", "rps", "label-filter", "verbose", "no-color"}

// EnvName is the environment variable of a flag.
func EnvName(flagName string) string {
	return EnvPrefix + strings.ToUpper(strings.ReplaceAll(flagName, "-", "_"))
}

// RegisterFlags adds the settings to fs, with c's values as defaults.
func (c *Config) RegisterFlags(fs *flag.FlagSet) {
	fs.StringVar(&c.BaseURL, "base-url", c.BaseURL, "base URL of the endpoint, such as https://api.aopay.co.in (target mock: empty starts an in-process mock)")
	fs.Var((*targetValue)(&c.Target), "target", "mock (every spec) or real (read-only enquiries of --reference, rate limited)")
	fs.StringVar(&c.RegistrationID, "registration-id", c.RegistrationID, "RegistrationID whose references are enquired")
	fs.Var((*referenceList)(&c.References), "reference", "a known referenceid of --registration-id; repeat it or separate with commas or spaces (target mock default: "+strings.Join(DefaultMockReferences, ",")+")")
	fs.StringVar(&c.JUnitReport, "junit-report", c.JUnitReport, "write a JUnit XML report to this file")
	fs.StringVar(&c.JSONReport, "json-report", c.JSONReport, "write Ginkgo's JSON report to this file")
	fs.DurationVar(&c.Timeout, "timeout", c.Timeout, "limit of every request, from connecting to the last byte of the answer")
	fs.Float64Var(&c.RPS, "rps", c.RPS, "requests per second at most; 0 is the target's default (real: 1, mock: no limit)")
	fs.StringVar(&c.LabelFilter, "label-filter", c.LabelFilter, "run only the specs this Ginkgo label filter selects, such as '!faults'")
	fs.BoolVar(&c.Verbose, "verbose", c.Verbose, "report every spec and its requests, not only failures")
	fs.BoolVar(&c.NoColor, "no-color", c.NoColor, "no colours in the report")
}

// LoadEnv fills every setting of fs that the command line left unset from its
// environment variable, and the environment-only settings of c. A flag given
// on the command line wins over its variable, which wins over the default.
func (c *Config) LoadEnv(fs *flag.FlagSet, getenv func(string) string) error {
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var errs []error
	for _, name := range flagNames {
		v := getenv(EnvName(name))
		if v == "" || given[name] || fs.Lookup(name) == nil {
			continue
		}
		if err := fs.Set(name, v); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %w", EnvName(name), v, err))
		}
	}
	c.TokenKey = firstNonEmpty(getenv(EnvTokenKey), c.TokenKey)
	c.PartnerID = firstNonEmpty(getenv(EnvPartnerID), c.PartnerID)
	c.AuthorisedKey = firstNonEmpty(getenv(EnvAuthorisedKey), c.AuthorisedKey)
	c.AdminToken = firstNonEmpty(getenv(EnvAdminToken), c.AdminToken)
	c.SecureKey = firstNonEmpty(getenv(EnvSecureKey), c.SecureKey)
	return errors.Join(errs...)
}

// Validate checks that the settings make a run, and fills in the defaults
// that depend on the target.
func (c *Config) Validate() error {
	var errs []error
	switch c.Target {
	case TargetMock, TargetReal:
	default:
		errs = append(errs, fmt.Errorf("--target %q: want mock or real", c.Target))
	}
	if c.BaseURL != "" {
		u, err := url.Parse(c.BaseURL)
		switch {
		case err != nil:
			errs = append(errs, fmt.Errorf("--base-url %q: %w", c.BaseURL, err))
		case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
			errs = append(errs, fmt.Errorf("--base-url %q: want an http or https URL such as https://api.aopay.co.in", c.BaseURL))
		case u.RawQuery != "" || u.Fragment != "":
			errs = append(errs, fmt.Errorf("--base-url %q: want no query and no fragment", c.BaseURL))
		}
		c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	}
	if c.RegistrationID == "" || len(c.RegistrationID) > 64 {
		errs = append(errs, fmt.Errorf("--registration-id %q: want 1 to 64 characters", c.RegistrationID))
	}
	for _, ref := range c.References {
		if ref == "" || len(ref) > 64 {
			errs = append(errs, fmt.Errorf("--reference %q: want 1 to 64 characters", ref))
		}
	}
	if c.Target == TargetReal {
		if c.BaseURL == "" {
			errs = append(errs, errors.New("--target real needs --base-url, such as https://api.aopay.co.in"))
		}
		if len(c.References) == 0 {
			errs = append(errs, errors.New("--target real needs at least one --reference of --registration-id"))
		}
	}
	if c.Target == TargetMock && len(c.References) == 0 {
		c.References = append([]string(nil), DefaultMockReferences...)
	}
	if c.Timeout <= 0 {
		errs = append(errs, fmt.Errorf("--timeout %s: want a positive duration", c.Timeout))
	}
	if c.RPS < 0 {
		errs = append(errs, fmt.Errorf("--rps %g: want zero (the target's default) or more", c.RPS))
	}
	if c.PartnerID == "" {
		c.PartnerID = c.RegistrationID
	}
	return errors.Join(errs...)
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

// EffectiveLabelFilter combines the target's filter with --label-filter.
func (c Config) EffectiveLabelFilter() string {
	var parts []string
	if c.Target == TargetReal {
		parts = append(parts, "("+RealTargetLabelFilter+")")
	}
	if strings.TrimSpace(c.LabelFilter) != "" {
		parts = append(parts, "("+c.LabelFilter+")")
	}
	return strings.Join(parts, " && ")
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

func firstNonEmpty(values ...string) string {
	for _, v := range values {
		if v != "" {
			return v
		}
	}
	return ""
}
