package mocktest_test

import (
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// firstNewChild, set in the environment, makes the test binary time its
// first mocktest.New and print it instead of running its tests; if it names
// a file, the binary writes the CPU profile of that New there.
const firstNewChild = "MOCKTEST_FIRST_NEW"

func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(firstNewChild); ok {
		os.Exit(timeFirstNew(v))
	}
	os.Exit(m.Run())
}

func timeFirstNew(profile string) int {
	if profile != "" {
		f, err := os.Create(profile)
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	start := time.Now()
	m, err := mocktest.Start()
	took := time.Since(start)
	if profile != "" {
		pprof.StopCPUProfile()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	m.Close()
	fmt.Println(took.Nanoseconds())
	return 0
}

// BenchmarkFirstNew is what the first mock of a process costs: each
// operation runs this test binary afresh and times its first mocktest.New
// alone, without the process's start; first-ms is the median.
//
//	go test -run='^$' -bench=FirstNew -benchtime=11x ./mocktest
func BenchmarkFirstNew(b *testing.B) {
	var took []time.Duration
	for b.Loop() {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), firstNewChild+"=")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("a fresh process: %v %s", err, out)
		}
		ns, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
		if err != nil {
			b.Fatalf("a fresh process printed %q", out)
		}
		took = append(took, time.Duration(ns))
	}
	slices.Sort(took)
	b.ReportMetric(float64(took[len(took)/2])/1e6, "first-ms")
	b.ReportMetric(float64(took[0])/1e6, "min-ms")
}
