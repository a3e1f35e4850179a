package mocktest_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// failureLog is a mocktest.T that keeps what would fail a test.
type failureLog struct{ failures []string }

func (r *failureLog) Helper() {}

func (r *failureLog) Fatalf(format string, args ...any) {
	r.failures = append(r.failures, fmt.Sprintf(format, args...))
}

func TestVerifyPassesOnTheCountAndFailsWithNearMisses(t *testing.T) {
	t.Parallel()
	mock := mocktest.New(t)
	for range 3 {
		enquire(mock, "AOP-554", "ORDER-9")
	}
	enquire(mock, "AOP-554", "ORDER-10")
	orderNine := admin.RequestMatcher{ReferenceID: "ORDER-9"}
	tests := []struct {
		name     string
		want     admin.CountExpectation
		matcher  admin.RequestMatcher
		failWith []string // nothing when the verification passes
	}{
		{"exactly as many", admin.Exactly(3), orderNine, nil},
		{"at least fewer", admin.AtLeast(2), orderNine, nil},
		{"never of another", admin.Never(), admin.RequestMatcher{ReferenceID: "ORDER-11"}, nil},
		{"exactly one more", admin.Exactly(4), orderNine, []string{"expected exactly 4", "got 3", "near miss #4", "referenceId: want ORDER-9, got ORDER-10"}},
		{"exactly one fewer", admin.Exactly(2), orderNine, []string{"expected exactly 2", "got 3"}},
		{"never of one sent", admin.Never(), orderNine, []string{"expected no request", "got 3"}},
		{"at least one of a status", admin.AtLeast(1), admin.RequestMatcher{ReferenceID: "ORDER-9", Status: 503}, []string{"got 0", "near miss #3", "status: want 503, got 200"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := &failureLog{}
			mock.Verify(rec, tt.want, tt.matcher)
			if tt.failWith == nil {
				if len(rec.failures) > 0 {
					t.Fatalf("failed: %s", rec.failures)
				}
				return
			}
			if len(rec.failures) != 1 {
				t.Fatalf("failures %q, want one", rec.failures)
			}
			for _, part := range tt.failWith {
				if !strings.Contains(rec.failures[0], part) {
					t.Errorf("failure %q does not say %q", rec.failures[0], part)
				}
			}
		})
	}
}

func TestHelpersFailTheTestNamingWhatWasRefused(t *testing.T) {
	t.Parallel()
	mock := mocktest.New(t, mocktest.WithClock(time.Date(2026, 3, 5, 12, 0, 0, 0, time.UTC)))
	rec := &failureLog{}
	unknown := transaction.Key{RegistrationID: "NOPE", ReferenceID: "1"}
	mock.Put(rec, unknown, transaction.Description{State: transaction.StateSuccess})
	mock.Get(rec, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "NEVER-PUT"})
	mock.Transition(rec, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "12345678"}, transaction.StatePending)
	mock.Find(rec, admin.RequestMatcher{Headers: map[string]admin.HeaderMatch{"X-A": admin.HeaderMatches("(")}})
	want := []string{"put NOPE/1", "get AOP-554/NEVER-PUT", "transition AOP-554/12345678 to pending", "find {\"headers\""}
	if len(rec.failures) != len(want) {
		t.Fatalf("failures %q, want %d", rec.failures, len(want))
	}
	for i, w := range want {
		if !strings.HasPrefix(rec.failures[i], "mocktest: "+w) || !strings.Contains(rec.failures[i], "admin API: HTTP 4") {
			t.Errorf("failure %q, want one of %s saying the sandbox's refusal", rec.failures[i], w)
		}
	}
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "ORDER-1"}
	mock.Put(t, key, transaction.Description{State: transaction.StatePending, Resolve: transaction.ResolveAfterEnquiries(transaction.StateFailed, 1)})
	mock.Put(t, key, transaction.Description{State: transaction.StatePending, Resolve: transaction.ResolveAfter(transaction.StateFailed, time.Hour)})
	if clock := mock.Advance(t, time.Hour); !clock.Now.Equal(time.Date(2026, 3, 5, 13, 0, 0, 0, time.UTC)) {
		t.Fatalf("clock at %s after an hour", clock.Now)
	}
	if v := mock.Get(t, key); v.State != transaction.StateFailed {
		t.Fatalf("state %s an hour on, want failed", v.State)
	}
}
