package contract_test

import (
	"flag"
	"os"
	"testing"

	// The ginkgo CLI runs a package as a Ginkgo suite, in parallel with -p
	// among others, only when a test file imports Ginkgo.
	_ "github.com/onsi/ginkgo/v2"

	"github.com/aopay-sandbox/rechargestatus/contract"
	"github.com/aopay-sandbox/rechargestatus/contract/framework"
)

// cfg takes the suite's settings from the test binary's command line
// (`go test ./contract/... -args --base-url ...`, or after `--` with ginkgo)
// and from AOPAY_CONTRACT_* variables.
var cfg = framework.DefaultConfig()

func init() { cfg.RegisterFlags(flag.CommandLine) }

// TestContract runs the suite as its flags say; without --base-url, against
// an in-process mock.
func TestContract(t *testing.T) {
	if err := cfg.LoadEnv(flag.CommandLine, os.Getenv); err != nil {
		t.Fatal(err)
	}
	if cfg.BaseURL == "" && cfg.Target == framework.TargetMock {
		cfg.BaseURL = startMock(t)
	}
	if out := contract.Run(t, cfg); out.Unusable != nil {
		t.Fatal(out.Unusable)
	}
}
