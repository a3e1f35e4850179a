package redisstore_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/internal/testutil"
	"github.com/aopay-sandbox/rechargestatus/mockserver"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
	"github.com/aopay-sandbox/rechargestatus/mocktest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

// TestVersionSaysWhenTheSandboxIsLost holds Version to recharge.ErrLost
// while Redis holds nothing of the sandbox: before the first replacement,
// and after the server is emptied as a restart without persistence leaves
// it.
func TestVersionSaysWhenTheSandboxIsLost(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	s := open(t, srv.URL)
	ctx := context.Background()
	if _, err := s.Version(ctx); !errors.Is(err, recharge.ErrLost) {
		t.Fatalf("Version of a store never filled: %v, want ErrLost", err)
	}
	if err := s.Replace(ctx, recharge.Replacement{Add: []recharge.Transaction{tx("R-1", "T-1")}}); err != nil {
		t.Fatal(err)
	}
	v, err := s.Version(ctx)
	if err != nil || v <= 0 {
		t.Fatalf("Version after a replacement: %d, %v; want a positive version", v, err)
	}
	if err := s.Client().FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Version(ctx); !errors.Is(err, recharge.ErrLost) {
		t.Fatalf("Version of an emptied store: %v, want ErrLost", err)
	}
	// Filled again as before the loss, the store must not answer the
	// version it answered then: a replica that slept through the loss
	// would take it for no change.
	if err := s.Replace(ctx, recharge.Replacement{Add: []recharge.Transaction{tx("R-1", "T-1")}}); err != nil {
		t.Fatal(err)
	}
	if again, err := s.Version(ctx); err != nil || again == v {
		t.Fatalf("Version after the loss and the same replacement: %d, %v; want other than %d", again, err, v)
	}
}

// TestALostSandboxGetsItsFixturesBack empties the Redis of a running mock,
// as a restart of a server without persistence does: the enquiries that
// follow, several at once, get the fixtures' answers again, byte for byte,
// and the loss is logged once.
func TestALostSandboxGetsItsFixturesBack(t *testing.T) {
	t.Parallel()
	srv := redistest.Start(t)
	store := open(t, srv.URL)
	var logs testutil.SyncBuffer
	mock := mocktest.New(t,
		mocktest.WithLogger(slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))),
		mocktest.WithConfig(func(c *mockserver.Config) { c.Store = store }))
	enquire := func() ([]byte, error) {
		_, body, err := postEnquiry(mock, "12345678")
		return body, err
	}
	before, err := enquire()
	if err != nil || !bytes.Contains(before, []byte(`"txnid":"6469"`)) {
		t.Fatalf("the page's example before: %s, %v", before, err)
	}
	ctx := context.Background()
	if _, err := mock.Admin.MoveClock(ctx, admin.ClockMove{Advance: new(transaction.Duration(time.Hour))}); err != nil {
		t.Fatal(err)
	}
	if err := store.Client().FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	var (
		g       errgroup.Group
		mu      sync.Mutex
		answers [][]byte
	)
	for range 8 {
		g.Go(func() error {
			body, err := enquire()
			mu.Lock()
			answers = append(answers, body)
			mu.Unlock()
			return err
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	for _, got := range answers {
		if !bytes.Equal(got, before) {
			t.Fatalf("after Redis lost the sandbox: %s\nwant the fixture's answer again: %s", got, before)
		}
	}
	if clock, err := mock.Admin.Clock(ctx); err != nil || clock.Offset != "0s" {
		t.Fatalf("the clock after the loss: %+v, %v; want the system's again", clock, err)
	}
	if n := strings.Count(logs.String(), "lost the sandbox's state"); n != 1 {
		t.Fatalf("the loss is logged %d times, want once:\n%s", n, logs.String())
	}
}
