package mocktest_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"runtime/pprof"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// firstNewChild, set in the environment, makes the test binary time its
// first mocktest.New, then the first admin call to that mock, and print
// both in nanoseconds instead of running its tests; if it names a file, the
// binary writes the CPU profile of that New there.
const firstNewChild = "MOCKTEST_FIRST_NEW"

// firstAdminChild, set in the environment, makes the test binary send its
// first mock's first admin requests all at once instead of running its
// tests.
const firstAdminChild = "MOCKTEST_FIRST_ADMIN_AT_ONCE"

func TestMain(m *testing.M) {
	if v, ok := os.LookupEnv(firstNewChild); ok {
		os.Exit(timeFirstNew(v))
	}
	if _, ok := os.LookupEnv(firstAdminChild); ok {
		if err := firstAdminAtOnce(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// TestFirstAdminRequestsAtOnce: the admin document is parsed by the first
// admin request of a process, so a fresh process (this binary again, built
// with -race when the tests are) sends several at once; each is answered
// as the others of its kind, validated as any later one is.
func TestFirstAdminRequestsAtOnce(t *testing.T) {
	t.Parallel()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), firstAdminChild+"=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("a fresh process: %v\n%s", err, out)
	}
}

// firstAdminAtOnce starts a mock and sends its first admin requests at
// once: one that the admin document accepts and one that it refuses, four
// times each.
func firstAdminAtOnce() error {
	m, err := mocktest.Start()
	if err != nil {
		return err
	}
	defer m.Close()
	kinds := []struct {
		path   string
		status int
	}{
		{"/__admin/transactions/AOP-554/FAILED-1001", http.StatusOK},
		{"/__admin/transactions?referenceID=FAILED-1001", http.StatusBadRequest},
	}
	const each = 4
	answers := make([]string, len(kinds)*each)
	errs := make([]error, len(answers))
	var wg sync.WaitGroup
	for i := range answers {
		kind := kinds[i%len(kinds)]
		wg.Go(func() {
			resp, err := http.Get(m.URL + kind.path)
			if err != nil {
				errs[i] = err
				return
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err == nil && resp.StatusCode != kind.status {
				err = fmt.Errorf("GET %s answered %d %s, want %d", kind.path, resp.StatusCode, body, kind.status)
			}
			answers[i], errs[i] = string(body), err
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return err
	}
	for i := len(kinds); i < len(answers); i++ {
		if answers[i] != answers[i%len(kinds)] {
			return fmt.Errorf("GET %s answered %s and %s", kinds[i%len(kinds)].path, answers[i%len(kinds)], answers[i])
		}
	}
	return nil
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
