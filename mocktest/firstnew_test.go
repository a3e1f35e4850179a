package mocktest_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// firstNewChild, set in the environment, makes the test binary time its
// first mocktest.New, then the first admin call to that mock, and print
// both in nanoseconds instead of running its tests; if it names a file, the
// binary writes the CPU profile of that New there.
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
	defer m.Close()
	start = time.Now()
	if _, err := m.Admin.Clock(context.Background()); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println(took.Nanoseconds(), time.Since(start).Nanoseconds())
	return 0
}

// BenchmarkFirstNew is what the first mock of a process costs: each
// operation runs this test binary afresh and times its first mocktest.New
// alone, without the process's start, and then the first admin call to
// that mock, which is the first to need the admin document. first-ms and
// first-admin-ms are the medians, min-ms the quickest New.
//
//	go test -run='^$' -bench=FirstNew -benchtime=21x ./mocktest
func BenchmarkFirstNew(b *testing.B) {
	var news, admins []time.Duration
	for b.Loop() {
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), firstNewChild+"=")
		out, err := cmd.Output()
		if err != nil {
			b.Fatalf("a fresh process: %v %s", err, out)
		}
		var newNs, adminNs int64
		if _, err := fmt.Sscan(string(out), &newNs, &adminNs); err != nil {
			b.Fatalf("a fresh process printed %q: %v", out, err)
		}
		news = append(news, time.Duration(newNs))
		admins = append(admins, time.Duration(adminNs))
	}
	slices.Sort(news)
	slices.Sort(admins)
	b.ReportMetric(milliseconds(news[len(news)/2]), "first-ms")
	b.ReportMetric(milliseconds(news[0]), "min-ms")
	b.ReportMetric(milliseconds(admins[len(admins)/2]), "first-admin-ms")
}

func milliseconds(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
