package boltstore_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aopay-sandbox/rechargestatus/mockserver/boltstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var _ recharge.WriteHealth = (*boltstore.Store)(nil)

// logLines are the log records at level.
func logLines(log *bytes.Buffer, level string) []string {
	var out []string
	for _, line := range strings.Split(log.String(), "\n") {
		if strings.Contains(line, "level="+level) {
			out = append(out, line)
		}
	}
	return out
}

func TestFailedWritesAreLoggedRateLimitedAndReported(t *testing.T) {
	ctx := context.Background()
	now := base
	var log bytes.Buffer
	s, err := boltstore.OpenCapped(filepath.Join(t.TempDir(), "state.db"), 256<<10, func() time.Time { return now })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.SetLogger(slog.New(slog.NewTextHandler(&log, nil)))

	// Fill the file until it can grow no more.
	var written []transaction.Key
	put := func(i int) error {
		tx := txn("R1", fmt.Sprintf("ref-%04d", i), transaction.StateSuccess)
		tx.Scenario = strings.Repeat("x", 2000)
		err := s.Put(ctx, tx)
		if err == nil {
			written = append(written, tx.Key)
		}
		return err
	}
	i := 0
	for ; i < 1000 && put(i) == nil; i++ {
	}
	if s.WriteError() == nil || len(written) == 0 {
		t.Fatalf("after %d writes into a capped file: WriteError %v", len(written), s.WriteError())
	}
	// A refused write that is the caller's fault is no storage failure.
	if err := s.Delete(ctx, transaction.Key{RegistrationID: "R1", ReferenceID: "none"}); transaction.ErrorCode(err) != transaction.ENOTFOUND {
		t.Fatalf("delete of a missing transaction: %v", err)
	}
	for range 5 {
		i++
		if put(i) == nil {
			t.Fatal("a write succeeded in a full file")
		}
	}
	if got := logLines(&log, "ERROR"); len(got) != 1 {
		t.Fatalf("%d error lines for 6 failures within %s, want 1:\n%s", len(got), boltstore.ErrorLogInterval, &log)
	}
	now = now.Add(boltstore.ErrorLogInterval)
	i++
	if put(i) == nil {
		t.Fatal("a write succeeded in a full file")
	}
	got := logLines(&log, "ERROR")
	if len(got) != 2 || !strings.Contains(got[1], "failuresNotLogged=5") {
		t.Fatalf("after the interval: %q, want a second error line counting the 5 not logged", got)
	}

	// Deleting frees pages; once a write succeeds the store is well again.
	recovered := false
	for _, k := range written {
		if s.Delete(ctx, k) == nil {
			recovered = true
			break
		}
	}
	if !recovered || s.WriteError() != nil {
		t.Fatalf("recovered %v, WriteError %v", recovered, s.WriteError())
	}
	if got := logLines(&log, "WARN"); len(got) != 1 || !strings.Contains(got[0], "succeed again") || !strings.Contains(got[0], "failedWrites=7") {
		t.Fatalf("warn lines %q, want one saying writes succeed again after 7 failures", got)
	}
}
