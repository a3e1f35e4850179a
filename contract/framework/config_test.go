package contract

import (
	"flag"
	"io"
	"reflect"
	"strings"
	"testing"
	"time"
)

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
			if c.Target != TargetMock || c.RegistrationID != DefaultRegistrationID || c.Timeout != DefaultTimeout || c.BaseURL != "" {
				t.Errorf("defaults: %+v", c)
			}
			if !reflect.DeepEqual(c.References, DefaultMockReferences) {
				t.Errorf("mock references %v, want %v", c.References, DefaultMockReferences)
			}
			if c.EffectiveRPS() != 0 || c.EffectiveLabelFilter() != "" {
				t.Errorf("mock: rps %g, filter %q", c.EffectiveRPS(), c.EffectiveLabelFilter())
			}
			if c.PartnerID != DefaultRegistrationID || c.SecureKey != DefaultSecureKey {
				t.Errorf("partner %q, secure key %q", c.PartnerID, c.SecureKey)
			}
		}},
		{"environment over defaults", nil, map[string]string{
			"AOPAY_CONTRACT_TARGET": "real", "AOPAY_CONTRACT_BASE_URL": "https://api.example/", "AOPAY_CONTRACT_REFERENCE": "A-1, B-2\nC-3",
			"AOPAY_CONTRACT_TIMEOUT": "3s", "AOPAY_CONTRACT_TOKEN_KEY": "k", "AOPAY_CONTRACT_PARTNER_ID": "P-1", "AOPAY_CONTRACT_VERBOSE": "true",
		}, func(t *testing.T, c Config) {
			if c.Target != TargetReal || c.BaseURL != "https://api.example" || c.Timeout != 3*time.Second || !c.Verbose {
				t.Errorf("from the environment: %+v", c)
			}
			if !reflect.DeepEqual(c.References, []string{"A-1", "B-2", "C-3"}) {
				t.Errorf("references %v", c.References)
			}
			if c.TokenKey != "k" || c.PartnerID != "P-1" {
				t.Errorf("token key %q, partner %q", c.TokenKey, c.PartnerID)
			}
			if c.EffectiveRPS() != DefaultRealRPS {
				t.Errorf("real: rps %g, want %g", c.EffectiveRPS(), DefaultRealRPS)
			}
		}},
		{"flags over environment", []string{"--target=mock", "--reference", "C-3", "--reference", "D-4", "--rps", "5", "--label-filter", "!faults"},
			map[string]string{"AOPAY_CONTRACT_TARGET": "real", "AOPAY_CONTRACT_REFERENCE": "A-1", "AOPAY_CONTRACT_RPS": "1"},
			func(t *testing.T, c Config) {
				if c.Target != TargetMock || c.RPS != 5 || c.EffectiveRPS() != 5 {
					t.Errorf("flags: %+v", c)
				}
				if !reflect.DeepEqual(c.References, []string{"C-3", "D-4"}) {
					t.Errorf("references %v, want the flags' only", c.References)
				}
				if c.EffectiveLabelFilter() != "(!faults)" {
					t.Errorf("filter %q", c.EffectiveLabelFilter())
				}
			}},
		{"real target filters the mock's specs out", []string{"--target=real", "--base-url=http://127.0.0.1:1", "--reference=R-1", "--label-filter=!slow"}, nil,
			func(t *testing.T, c Config) {
				want := "(" + RealTargetLabelFilter + ") && (!slow)"
				if got := c.EffectiveLabelFilter(); got != want {
					t.Errorf("filter %q, want %q", got, want)
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
		{"URL without a scheme", []string{"--base-url=api.example"}, nil, "want an http or https URL"},
		{"URL with a query", []string{"--base-url=http://api.example/?x=1"}, nil, "no query"},
		{"empty registration", []string{"--registration-id="}, nil, "--registration-id"},
		{"reference too long", []string{"--reference=" + strings.Repeat("9", 65)}, nil, "1 to 64 characters"},
		{"zero timeout", []string{"--timeout=0s"}, nil, "--timeout"},
		{"negative rate", []string{"--rps=-1"}, nil, "--rps"},
		{"bad duration variable", nil, map[string]string{"AOPAY_CONTRACT_TIMEOUT": "soon"}, "AOPAY_CONTRACT_TIMEOUT"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parse(t, tc.args, tc.env)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("want an error saying %q, got %v", tc.want, err)
			}
		})
	}
}
