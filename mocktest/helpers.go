package mocktest

import (
	"context"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// T is what the Mock's test helpers fail: a *testing.T or *testing.B, or
// anything else that reports a failure as they do. A helper returns after
// Fatalf only when Fatalf itself returns, with zero values.
type T interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Put creates or replaces the transaction at key, failing t when the
// sandbox refuses it, and returns the transaction as the next enquiry
// finds it.
func (m *Mock) Put(t T, key transaction.Key, d transaction.Description) admin.TransactionView {
	t.Helper()
	v, _, err := m.Admin.PutTransaction(context.Background(), key, d)
	if err != nil {
		t.Fatalf("mocktest: put %s: %v", key, err)
	}
	return v
}

// Get reads the transaction at key, failing t when there is none.
func (m *Mock) Get(t T, key transaction.Key) admin.TransactionView {
	t.Helper()
	v, err := m.Admin.GetTransaction(context.Background(), key)
	if err != nil {
		t.Fatalf("mocktest: get %s: %v", key, err)
	}
	return v
}

// Transition forces the transaction at key into state to, failing t when
// the domain forbids it.
func (m *Mock) Transition(t T, key transaction.Key, to transaction.State) admin.TransactionView {
	t.Helper()
	v, err := m.Admin.Transition(context.Background(), key, to)
	if err != nil {
		t.Fatalf("mocktest: transition %s to %s: %v", key, to, err)
	}
	return v
}

// Advance moves the sandbox clock forward by d, failing t when it cannot,
// and returns the clock.
func (m *Mock) Advance(t T, d time.Duration) admin.Clock {
	t.Helper()
	c, err := m.Admin.MoveClock(context.Background(), admin.Advance(d))
	if err != nil {
		t.Fatalf("mocktest: advance the clock by %s: %v", d, err)
	}
	return c
}

// Find lists the journaled requests matcher matches, oldest first, failing
// t when the sandbox refuses the matcher.
func (m *Mock) Find(t T, matcher admin.RequestMatcher) []admin.JournalEntry {
	t.Helper()
	found, err := m.Admin.FindRequests(context.Background(), matcher)
	if err != nil {
		t.Fatalf("mocktest: find %s: %v", matcher, err)
	}
	return found.Requests
}

// Verify fails t unless as many journaled requests as want match matcher,
// saying how many did and listing the near misses with each field they
// missed.
func (m *Mock) Verify(t T, want admin.CountExpectation, matcher admin.RequestMatcher) {
	t.Helper()
	if err := admin.Verify(context.Background(), m.Admin, want, matcher); err != nil {
		t.Fatalf("mocktest: verify: %v", err)
	}
}
