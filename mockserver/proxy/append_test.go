package proxy

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/fixtures"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return info.Size()
}

// recordOne records a found transaction of reference ref with status and
// flushes it, returning the bytes written for it, whether the recorder's
// writer or the flush wrote them.
func recordOne(t *testing.T, rec *recorder, ref, status string) int64 {
	t.Helper()
	before := rec.bytesWritten()
	q := rechargestatus.Enquiry{RegistrationID: "AOP-554", ReferenceID: ref}
	if _, err := rec.Record(q, http.StatusOK, foundAnswer(ref, "7"+ref[len(ref)-4:], status, "")); err != nil {
		t.Fatal(err)
	}
	if err := rec.Flush(); err != nil {
		t.Fatal(err)
	}
	return rec.bytesWritten() - before
}

// TestRecordingCostsBytesLinearInWhatIsRecorded records one new
// transaction per flush, hundreds of times: every flush writes the same few
// hundred bytes, the last as the second, so that a recording costs bytes in
// proportion to what it records rather than rewriting it all each time.
// Continuing the recording reads it once and writes nothing, and the next
// flush costs the same again.
func TestRecordingCostsBytesLinearInWhatIsRecorded(t *testing.T) {
	t.Parallel()
	const n = 100
	dir := t.TempDir()
	rec, err := newTestRecorder(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	perFlush := make([]int64, n)
	for i := range n {
		perFlush[i] = recordOne(t, rec, fmt.Sprintf("LIN-%04d", i), "1")
	}
	// The first flush also writes the registration.
	steady := perFlush[1]
	if most := slices.Max(perFlush[1:]); most != steady || steady > 512 {
		t.Fatalf("flushes of one transaction each wrote from %d to %d bytes: want the same few hundred every time, not a growing file", steady, most)
	}
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	size := fileSize(t, rec.txFile.path)

	again, err := newTestRecorder(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if w := again.bytesWritten(); w != 0 || fileSize(t, again.txFile.path) != size {
		t.Fatalf("continuing the recording wrote %d bytes", w)
	}
	if got := len(again.latest); got != n {
		t.Fatalf("continuing the recording knows %d transactions, want %d", got, n)
	}
	if b := recordOne(t, again, "LIN-0007", "1"); b != 0 {
		t.Fatalf("an answer recorded before the restart wrote %d bytes again", b)
	}
	if b := recordOne(t, again, fmt.Sprintf("LIN-%04d", n), "1"); b != steady {
		t.Fatalf("a new transaction after the restart wrote %d bytes, before it %d", b, steady)
	}
	// "failed" is one letter shorter than "success".
	if b := recordOne(t, again, "LIN-0003", "0"); b != steady-1 {
		t.Fatalf("a changed transaction wrote %d bytes, a new one %d", b, steady)
	}
	set, err := fixtures.Load(context.Background(), dir, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Transactions) != n+1 {
		t.Fatalf("the recording loads %d transactions, want %d", len(set.Transactions), n+1)
	}
	for _, tx := range set.Transactions {
		if tx.ReferenceID == "LIN-0003" && tx.State != transaction.StateFailed {
			t.Fatalf("LIN-0003 loads as %s, want its latest answer, failed", tx.State)
		}
	}
}

// TestContinuingDropsAnUnfinishedWrite cuts the last write of a recording
// short, as a crash would, then continues it: the unfinished write is
// dropped, what came before is kept, and the recording loads.
func TestContinuingDropsAnUnfinishedWrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec, err := newTestRecorder(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	recordOne(t, rec, "CUT-0001", "1")
	complete := fileSize(t, rec.txFile.path)
	recordOne(t, rec, "CUT-0002", "1")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(rec.txFile.path, complete+40); err != nil {
		t.Fatal(err)
	}
	var logged []error
	again, err := openRecorder(dir, "https://api.aopay.co.in", func(fixtures.Transaction) error { return nil }, func(err error) { logged = append(logged, err) }, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer again.Close()
	if len(logged) != 1 || !strings.Contains(logged[0].Error(), "unfinished write") {
		t.Fatalf("logged %v, want the dropped write", logged)
	}
	if got := fileSize(t, again.txFile.path); got != complete {
		t.Fatalf("the file holds %d bytes, want the %d of the complete writes", got, complete)
	}
	if _, known := again.latest[transaction.Key{RegistrationID: "AOP-554", ReferenceID: "CUT-0002"}]; known {
		t.Fatal("the transaction of the unfinished write is known")
	}
	recordOne(t, again, "CUT-0002", "1")
	set, err := fixtures.Load(context.Background(), dir, nil)
	if err != nil || len(set.Transactions) != 2 {
		t.Fatalf("the continued recording loads %d transactions, %v", len(set.Transactions), err)
	}
}

// TestARecordingCutShortLoadsAsFixtures cuts the last write of a recording
// short, as a crash would, and loads it as --fixtures DIR does without
// continuing it: the unfinished write is left out with a warning, and what
// came before loads.
func TestARecordingCutShortLoadsAsFixtures(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	rec, err := newTestRecorder(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	recordOne(t, rec, "CUT-0001", "1")
	complete := fileSize(t, rec.txFile.path)
	recordOne(t, rec, "CUT-0002", "1")
	if err := rec.Close(); err != nil {
		t.Fatal(err)
	}
	for _, cut := range []int64{1, 40, fileSize(t, rec.txFile.path) - complete - 1} {
		if err := os.Truncate(rec.txFile.path, complete+cut); err != nil {
			t.Fatal(err)
		}
		var log bytes.Buffer
		set, err := fixtures.Load(context.Background(), dir, slog.New(slog.NewTextHandler(&log, nil)))
		if err != nil {
			t.Fatalf("cut %d bytes into the last write: %v", cut, err)
		}
		if len(set.Transactions) != 1 || set.Transactions[0].ReferenceID != "CUT-0001" {
			t.Fatalf("cut %d bytes into the last write: loaded %+v, want CUT-0001 alone", cut, set.Transactions)
		}
		want := fmt.Sprintf("last write was cut short; that write is left out\" file=%s bytes=%d", rec.txFile.path, cut)
		if !strings.Contains(log.String(), want) {
			t.Fatalf("log %q, want a warning naming the file and the %d bytes left out", log.String(), cut)
		}
	}
}

// TestContinuingAdoptsTheOneFileOfEarlierReleases continues a recording
// that earlier releases kept in one file rewritten whole: its content moves
// to the appended files, and the old file goes.
func TestContinuingAdoptsTheOneFileOfEarlierReleases(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var answer struct {
		Data map[string]json.RawMessage `json:"data"`
	}
	if err := json.Unmarshal(foundAnswer("OLD-0001", "70001", "1", ""), &answer); err != nil {
		t.Fatal(err)
	}
	tx, err := transactionOf(transaction.Key{RegistrationID: "AOP-554", ReferenceID: "OLD-0001"}, answer.Data)
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := fixtures.Set{
		Registrations: []fixtures.Registration{{ID: "AOP-554"}, {ID: "AOP-DISABLED", Disabled: true}},
		Transactions:  []fixtures.Transaction{tx},
	}.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, legacyRecordFile), legacy, 0o644); err != nil {
		t.Fatal(err)
	}
	rec, err := newTestRecorder(t, dir)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(dir, legacyRecordFile)); !os.IsNotExist(err) {
		t.Fatalf("the old file is still there: %v", err)
	}
	if b := recordOne(t, rec, "OLD-0001", "1"); b != 0 {
		t.Fatalf("an answer the old file held wrote %d bytes", b)
	}
	set, err := fixtures.Load(context.Background(), dir, nil)
	if err != nil || len(set.Transactions) != 1 || len(set.Registrations) != 2 || !set.Registrations[1].Disabled {
		t.Fatalf("the adopted recording loads %+v, %v", set, err)
	}
}
