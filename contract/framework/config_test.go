package framework

import (
	"flag"
	"io"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"
)

// The suite's flags are registered on the test binary's command line too,
// so that `go test ./contract/... -args --base-url ...` reaches every test
// binary under contract/ without one refusing the flags.
func init() {
	cfg := DefaultConfig()
	cfg.RegisterFlags(flag.CommandLine)
}

func parse(t *testing.T, args []string, env map[string]string) (Config, error) {
	t.Helper()
	cfg := DefaultConfig()
	fs := flag.NewFlagSet("test", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg.RegisterFlags(fs)
	if err := fs.Parse(args); err != nil {
		return cfg, err
	}
	if err := cfg.LoadEnv(fs, func(k string) string { return env[k] }); err != nil {
		return cfg, err
	}
	return cfg, cfg.Validate()
}

func TestConfigPrecedence(t *testing.T) {
	cases := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(t *testing.T, c Config)
	}{
		{"defaults", nil, nil, func(t *testing.T, c Config) {
			if c.Target != TargetMock || c.RegistrationID != DefaultRegistrationID || c.Timeout != DefaultTimeout || c.SuiteTimeout != DefaultSuiteTimeout || c.BaseURL != "" || !c.Preflight || c.Reset {
				t.Errorf("defaults: %+v", c)
			}
			if !reflect.DeepEqual(c.References, DefaultMockReferences()) {
				t.Errorf("mock references %v, want %v", c.References, DefaultMockReferences())
			}
			if c.EffectiveRPS() != 0 || c.EffectiveMaxRequests() != 0 || c.EffectiveLabelFilter() != "" {
				t.Errorf("mock: rps %g, cap %d, filter %q", c.EffectiveRPS(), c.EffectiveMaxRequests(), c.EffectiveLabelFilter())
			}
			if c.PartnerID != DefaultRegistrationID || c.SecureKey != DefaultSecureKey {
				t.Errorf("partner %q, secure key %q", c.PartnerID, c.SecureKey)
			}
			if s := c.TokenSubject(); s.RegistrationID != SecureRegistration || s.Key != DefaultSecureKey {
				t.Errorf("a mock without a partner key forges tokens of %+v, want AOP-SECURE's", s)
			}
		}},
		{"environment over defaults", nil, map[string]string{
			"AOPAY_CONTRACT_TARGET": "real", "AOPAY_CONTRACT_BASE_URL": "https://api.example/", "AOPAY_CONTRACT_REFERENCE": "A-1, B-2\nC-3",
			"AOPAY_CONTRACT_TIMEOUT": "3s", "AOPAY_CONTRACT_PARTNER_KEY": "k", "AOPAY_CONTRACT_PARTNER_ID": "P-1", "AOPAY_CONTRACT_VERBOSE": "true",
			"AOPAY_CONTRACT_HEADER": "X-Team: payments\nX-Env: uat", "AOPAY_CONTRACT_SECRET_HEADER": "X-Api-Key: s3cret", "NO_COLOR": "1",
		}, func(t *testing.T, c Config) {
			if c.Target != TargetReal || c.BaseURL != "https://api.example" || c.Timeout != 3*time.Second || !c.Verbose || !c.NoColor {
				t.Errorf("from the environment: %+v", c)
			}
			if !reflect.DeepEqual(c.References, []string{"A-1", "B-2", "C-3"}) {
				t.Errorf("references %v", c.References)
			}
			if c.PartnerKey != "k" || c.PartnerID != "P-1" {
				t.Errorf("partner key %q, partner %q", c.PartnerKey, c.PartnerID)
			}
			if c.Headers.Get("X-Team") != "payments" || c.Headers.Get("X-Env") != "uat" || c.SecretHeaders.Get("X-Api-Key") != "s3cret" {
				t.Errorf("headers %v, secret headers %d", c.Headers, len(c.SecretHeaders))
			}
			if c.EffectiveRPS() != DefaultRealRPS || c.EffectiveMaxRequests() != DefaultRealMaxRequests {
				t.Errorf("real: rps %g, cap %d", c.EffectiveRPS(), c.EffectiveMaxRequests())
			}
			if s := c.TokenSubject(); s != (TokenSubject{RegistrationID: DefaultRegistrationID, ReferenceID: "A-1", PartnerID: "P-1", Key: "k"}) {
				t.Errorf("token subject %+v", s)
			}
			for _, secret := range []string{"k", "payments", "uat", "s3cret"} {
				if !containsString(c.Secrets(), secret) {
					t.Errorf("%q is not among the secrets", secret)
				}
			}
		}},
		{"the former name of the partner key", nil, map[string]string{EnvTokenKey: "old"}, func(t *testing.T, c Config) {
			if c.PartnerKey != "old" {
				t.Errorf("partner key %q, want the one of %s", c.PartnerKey, EnvTokenKey)
			}
		}},
		{"flags over environment", []string{"--target=mock", "--reference", "C-3", "--reference", "D-4", "--rps", "5", "--label-filter", "!faults", "--header", "X-A: 1", "--header", "X-B: 2"},
			map[string]string{"AOPAY_CONTRACT_TARGET": "real", "AOPAY_CONTRACT_REFERENCE": "A-1", "AOPAY_CONTRACT_RPS": "1", "AOPAY_CONTRACT_HEADER": "X-C: 3"},
			func(t *testing.T, c Config) {
				if c.Target != TargetMock || c.RPS != 5 || c.EffectiveRPS() != 5 {
					t.Errorf("flags: %+v", c)
				}
				if !reflect.DeepEqual(c.References, []string{"C-3", "D-4"}) {
					t.Errorf("references %v, want the flags' only", c.References)
				}
				if want := (http.Header{"X-A": {"1"}, "X-B": {"2"}}); !reflect.DeepEqual(c.Headers, want) {
					t.Errorf("headers %v, want the flags' only", c.Headers)
				}
				if c.EffectiveLabelFilter() != "(!faults)" {
					t.Errorf("filter %q", c.EffectiveLabelFilter())
				}
			}},
		{"a real target leaves the mock's specs out", []string{"--target=real", "--base-url=http://127.0.0.1:1", "--reference=R-1", "--label-filter=!slow"}, nil,
			func(t *testing.T, c Config) {
				want := "!admin && !faults && !fixtures && !sandbox && !token && (!slow)"
				if got := c.EffectiveLabelFilter(); got != want {
					t.Errorf("filter %q, want %q", got, want)
				}
			}},
		{"a dialect accepted from the environment", nil, map[string]string{"AOPAY_CONTRACT_ACCEPT_DIALECT": "Upstream, page"},
			func(t *testing.T, c Config) {
				if !reflect.DeepEqual([]string(c.AcceptDialects), []string{"upstream"}) {
					t.Errorf("accepted dialects %v, want [upstream]: page adds nothing", c.AcceptDialects)
				}
			}},
		{"a real target with a partner key runs the token specs", []string{"--target=real", "--base-url=http://127.0.0.1:1", "--reference=R-1", "--partner-key=k"}, nil,
			func(t *testing.T, c Config) {
				if got := c.EffectiveLabelFilter(); strings.Contains(got, LabelToken) {
					t.Errorf("filter %q leaves the token specs out", got)
				}
			}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, err := parse(t, tc.args, tc.env)
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, c)
		})
	}
}

func TestConfigRefusesBadSettings(t *testing.T) {
	cases := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown target flag", []string{"--target=prod"}, nil, "want mock or real"},
		{"unknown target variable", nil, map[string]string{"AOPAY_CONTRACT_TARGET": "prod"}, "AOPAY_CONTRACT_TARGET"},
		{"real without a URL", []string{"--target=real", "--reference=R-1"}, nil, "needs --base-url"},
		{"real without a reference", []string{"--target=real", "--base-url=https://api.example"}, nil, "needs at least one --reference"},
		{"reset of a real target", []string{"--target=real", "--base-url=https://api.example", "--reference=R-1", "--reset"}, nil, "--reset"},
		{"URL without a scheme", []string{"--base-url=api.example"}, nil, "want an http or https URL"},
		{"URL with a query", []string{"--base-url=http://api.example/?x=1"}, nil, "no query"},
		{"empty registration", []string{"--registration-id="}, nil, "--registration-id"},
		{"reference too long", []string{"--reference=" + strings.Repeat("9", 65)}, nil, "1 to 64 characters"},
		{"zero timeout", []string{"--timeout=0s"}, nil, "--timeout"},
		{"zero suite timeout", []string{"--suite-timeout=0s"}, nil, "--suite-timeout"},
		{"negative rate", []string{"--rps=-1"}, nil, "--rps"},
		{"negative cap", []string{"--max-requests=-1"}, nil, "--max-requests"},
		{"zero answer size", []string{"--max-answer-bytes=0"}, nil, "--max-answer-bytes"},
		{"bad label filter", []string{"--label-filter=a &&"}, nil, "--label-filter"},
		{"bad focus", []string{"--focus=("}, nil, "--focus"},
		{"header without a colon", []string{"--header=X-Api-Key s3cret"}, nil, "--header: want 'Name: value'"},
		{"secret header without a name", nil, map[string]string{EnvSecretHeader: ": s3cret"}, EnvSecretHeader},
		{"bad duration variable", nil, map[string]string{"AOPAY_CONTRACT_TIMEOUT": "soon"}, "AOPAY_CONTRACT_TIMEOUT"},
		{"unknown dialect", []string{"--accept-dialect=aggregator"}, nil, `unknown dialect "aggregator", want page or upstream`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want an error saying %q, got %v", tc.want, err)
			}
			if strings.Contains(err.Error(), "s3cret") {
				t.Errorf("the error shows a header's value: %v", err)
			}
		})
	}
}

func containsString(xs []string, x string) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}
