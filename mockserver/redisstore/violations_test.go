package redisstore_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mockserver/proxy"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
)

// violationLogs are the proxy.ViolationLog implementations under test,
// each made to keep the latest limit violations.
var violationLogs = []struct {
	name string
	open func(t *testing.T, limit int) proxy.ViolationLog
}{
	{"memory", func(_ *testing.T, limit int) proxy.ViolationLog { return proxy.NewMemoryViolationLog(limit) }},
	{"redis", func(t *testing.T, limit int) proxy.ViolationLog {
		return openWithLimit(t, redistest.Start(t).URL, limit)
	}},
}

func openWithLimit(t *testing.T, url string, limit int) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), url, redisstore.Options{ConnectTimeout: 5 * time.Second, JournalEntries: int64(limit)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

var violationTime = time.Date(2026, 3, 14, 10, 30, 0, 0, time.UTC)

// violation is the violation of reference's answer that rule found.
func violation(reference, rule string) admin.Violation {
	return admin.Violation{Time: violationTime, RegistrationID: "AOP-554", ReferenceID: reference, Status: 200,
		Source: "invariants", Pointer: "/data/refid", Rule: rule, Message: "refid is not the referenceid asked",
		Dialects: []string{"upstream"}, Explanation: "a known dialect"}
}

// references lists the reference IDs of vs, in order.
func references(vs []admin.Violation) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = v.ReferenceID
	}
	return out
}

func page(t *testing.T, log proxy.ViolationLog, q admin.ViolationQuery, after uint64, limit int) admin.ViolationList {
	t.Helper()
	list, err := log.ViolationPage(context.Background(), q, after, limit)
	if err != nil {
		t.Fatalf("page after %d: %v", after, err)
	}
	return list
}

func add(t *testing.T, log proxy.ViolationLog, vs ...admin.Violation) {
	t.Helper()
	if err := log.AddViolations(context.Background(), vs); err != nil {
		t.Fatalf("add: %v", err)
	}
}

// TestViolationLogConformance holds the log in Redis to the answers of the
// one in memory: the same numbers, pages, filters, cap and clear.
func TestViolationLogConformance(t *testing.T) {
	for _, impl := range violationLogs {
		t.Run(impl.name, func(t *testing.T) {
			t.Parallel()
			testViolationLog(t, impl.open)
		})
	}
}

func testViolationLog(t *testing.T, open func(t *testing.T, limit int) proxy.ViolationLog) {
	log := open(t, 5)
	ctx := context.Background()
	if got := page(t, log, admin.ViolationQuery{}, 0, 10); got.Total != 0 || got.Violations == nil || len(got.Violations) != 0 || got.Next != "" {
		t.Fatalf("empty log pages %+v, want no violations, an empty list", got)
	}
	add(t, log)
	add(t, log, violation("ORDER-0", "refid"), violation("ORDER-0", "type"))
	for i := 1; i < 7; i++ {
		add(t, log, violation(fmt.Sprintf("ORDER-%d", i), "refid"))
	}
	// 8 found, the latest 5 kept: numbers 4 to 8.
	all := page(t, log, admin.ViolationQuery{}, 0, math.MaxInt)
	if want := []string{"ORDER-2", "ORDER-3", "ORDER-4", "ORDER-5", "ORDER-6"}; all.Total != 8 || !slices.Equal(references(all.Violations), want) || all.Next != "" {
		t.Fatalf("all: total %d, %v, next %q; want 8, %v, none", all.Total, references(all.Violations), all.Next, want)
	}
	want, _ := json.Marshal(violation("ORDER-2", "refid"))
	if got, _ := json.Marshal(all.Violations[0]); string(got) != string(want) {
		t.Fatalf("kept %s, want %s", got, want)
	}
	for _, tt := range []struct {
		name  string
		q     admin.ViolationQuery
		after uint64
		limit int
		refs  []string
		next  string
	}{
		{"a first page", admin.ViolationQuery{}, 0, 2, []string{"ORDER-2", "ORDER-3"}, "5"},
		{"the page after", admin.ViolationQuery{}, 5, 2, []string{"ORDER-4", "ORDER-5"}, "7"},
		{"the last page", admin.ViolationQuery{}, 7, 2, []string{"ORDER-6"}, ""},
		{"after a number forgotten", admin.ViolationQuery{}, 2, 1, []string{"ORDER-2"}, "4"},
		{"after the total", admin.ViolationQuery{}, 8, 2, []string{}, ""},
		{"after the largest number", admin.ViolationQuery{}, math.MaxUint64, 2, []string{}, ""},
		{"filtered", admin.ViolationQuery{ReferenceID: "ORDER-5"}, 0, 2, []string{"ORDER-5"}, ""},
		{"filtered by rule", admin.ViolationQuery{Rule: "type"}, 0, 2, []string{}, ""},
		{"filtered and paged", admin.ViolationQuery{RegistrationID: "AOP-554", Rule: "refid"}, 4, 3, []string{"ORDER-3", "ORDER-4", "ORDER-5"}, "7"},
	} {
		got := page(t, log, tt.q, tt.after, tt.limit)
		if got.Total != 8 || !slices.Equal(references(got.Violations), tt.refs) || got.Next != tt.next {
			t.Errorf("%s: total %d, %v, next %q; want 8, %v, next %q", tt.name, got.Total, references(got.Violations), got.Next, tt.refs, tt.next)
		}
	}
	if err := log.ClearViolations(ctx); err != nil {
		t.Fatal(err)
	}
	if got := page(t, log, admin.ViolationQuery{}, 0, 10); got.Total != 0 || len(got.Violations) != 0 {
		t.Fatalf("after a clear: %+v, want nothing", got)
	}
	add(t, log, violation("AFTER", "refid"))
	if got := page(t, log, admin.ViolationQuery{}, 0, 1); got.Total != 1 || !slices.Equal(references(got.Violations), []string{"AFTER"}) {
		t.Fatalf("after a clear and an add: %+v, want AFTER numbered 1", got)
	}
	if got := page(t, log, admin.ViolationQuery{}, 1, 1); len(got.Violations) != 0 {
		t.Fatalf("after 1 once cleared: %+v, want nothing", got)
	}
}

// Two stores on one server stand for two replicas adding at once: every
// violation is numbered once, in one sequence, each answer's violations
// side by side; both list the same pages, and a clear through one is seen
// by the other.
func TestViolationsThroughTwoReplicasAreExact(t *testing.T) {
	srv := redistest.Start(t)
	const workers, rounds, limit = 8, 25, 10_000
	replicas := []*redisstore.Store{openWithLimit(t, srv.URL, limit), openWithLimit(t, srv.URL, limit)}
	ctx := context.Background()
	var g errgroup.Group
	added := 0
	for w := range workers {
		s := replicas[w%len(replicas)]
		size := w%3 + 1
		added += rounds * size
		g.Go(func() error {
			for r := range rounds {
				batch := make([]admin.Violation, size)
				for i := range batch {
					batch[i] = violation(fmt.Sprintf("W%d-R%d", w, r), strconv.Itoa(i))
				}
				if err := s.AddViolations(ctx, batch); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	all := page(t, replicas[0], admin.ViolationQuery{}, 0, math.MaxInt)
	if all.Total != uint64(added) || len(all.Violations) != added {
		t.Fatalf("total %d, %d listed; want %d of each", all.Total, len(all.Violations), added)
	}
	// An answer's violations are numbered together, in their order.
	seen := map[string]bool{}
	for i := 0; i < len(all.Violations); {
		ref := all.Violations[i].ReferenceID
		if seen[ref] {
			t.Fatalf("violations of %s not side by side", ref)
		}
		seen[ref] = true
		for n := 0; i < len(all.Violations) && all.Violations[i].ReferenceID == ref; n, i = n+1, i+1 {
			if all.Violations[i].Rule != strconv.Itoa(n) {
				t.Fatalf("violation %d of %s is rule %s", n, ref, all.Violations[i].Rule)
			}
		}
	}
	// The other replica pages through the same sequence.
	var paged []admin.Violation
	var after uint64
	for {
		p := page(t, replicas[1], admin.ViolationQuery{}, after, 7)
		paged = append(paged, p.Violations...)
		if p.Next == "" {
			break
		}
		if after, _ = strconv.ParseUint(p.Next, 10, 64); after != uint64(len(paged)) {
			t.Fatalf("next %s after %d listed", p.Next, len(paged))
		}
	}
	if !slices.EqualFunc(paged, all.Violations, func(a, b admin.Violation) bool { return a.ReferenceID == b.ReferenceID && a.Rule == b.Rule }) {
		t.Fatal("the pages of one replica differ from the list of the other")
	}
	if err := replicas[1].ClearViolations(ctx); err != nil {
		t.Fatal(err)
	}
	if got := page(t, replicas[0], admin.ViolationQuery{}, 0, 10); got.Total != 0 || len(got.Violations) != 0 {
		t.Fatalf("after a clear through the other replica: %+v", got)
	}
}

// Replicas adding at once to a full log keep exactly the latest limit.
func TestViolationsCapIsExactAcrossReplicas(t *testing.T) {
	srv := redistest.Start(t)
	const limit, workers, rounds = 7, 6, 20
	replicas := []*redisstore.Store{openWithLimit(t, srv.URL, limit), openWithLimit(t, srv.URL, limit)}
	var g errgroup.Group
	for w := range workers {
		s := replicas[w%len(replicas)]
		g.Go(func() error {
			for r := range rounds {
				if err := s.AddViolations(context.Background(), []admin.Violation{violation(fmt.Sprintf("W%d-R%d", w, r), "refid")}); err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got := page(t, replicas[1], admin.ViolationQuery{}, 0, math.MaxInt)
	if got.Total != workers*rounds || len(got.Violations) != limit {
		t.Fatalf("total %d, %d kept; want %d, %d", got.Total, len(got.Violations), workers*rounds, limit)
	}
	// The kept are the latest: numbered from total-limit+1.
	if p := page(t, replicas[0], admin.ViolationQuery{}, workers*rounds-limit, 1); len(p.Violations) != 1 || p.Violations[0].ReferenceID != got.Violations[0].ReferenceID || p.Next != strconv.Itoa(workers*rounds-limit+1) {
		t.Fatalf("first kept %+v, want %s numbered %d", p, got.Violations[0].ReferenceID, workers*rounds-limit+1)
	}
}

// With the server gone the log answers ErrUnavailable, for the proxy to
// relay answers regardless and the admin API to answer 503.
func TestViolationsWithRedisDown(t *testing.T) {
	srv := redistest.Start(t)
	s := openWithLimit(t, srv.URL, 10)
	srv.Stop(t)
	ctx := context.Background()
	if err := s.AddViolations(ctx, []admin.Violation{violation("ORDER-1", "refid")}); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("add with redis down: %v, want ErrUnavailable", err)
	}
	if _, err := s.ViolationPage(ctx, admin.ViolationQuery{}, 0, 10); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("page with redis down: %v, want ErrUnavailable", err)
	}
	if err := s.ClearViolations(ctx); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Errorf("clear with redis down: %v, want ErrUnavailable", err)
	}
}
