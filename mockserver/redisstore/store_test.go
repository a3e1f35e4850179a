package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/aopay-sandbox/rechargestatus/mockserver/recharge"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore"
	"github.com/aopay-sandbox/rechargestatus/mockserver/redisstore/redistest"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

func open(t *testing.T, url string) *redisstore.Store {
	t.Helper()
	s, err := redisstore.Open(context.Background(), url, redisstore.Options{ConnectTimeout: 5 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func tx(ref, txnid string) recharge.Transaction {
	return recharge.Transaction{
		Key:   transaction.Key{RegistrationID: "AOP-554", ReferenceID: ref},
		State: transaction.StateSuccess, TxnID: txnid, Amount: "1", Comm: "0.00", TDS: "0.00",
		Origin: transaction.OriginFixture,
	}
}

// Two stores on one server stand for two replicas: every increment of one
// key through either is applied exactly once.
func TestUpdatesThroughTwoReplicasAreExact(t *testing.T) {
	srv := redistest.Start(t)
	replicas := []*redisstore.Store{open(t, srv.URL), open(t, srv.URL)}
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "HOT"}
	const workers, rounds = 16, 20
	var g errgroup.Group
	for w := range workers {
		s := replicas[w%len(replicas)]
		g.Go(func() error {
			for range rounds {
				_, err := s.Update(context.Background(), key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
					if !found {
						cur = tx("HOT", "1")
					}
					cur.Enquiries++
					return cur, nil
				})
				if err != nil {
					return err
				}
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		t.Fatal(err)
	}
	got, err := replicas[1].Get(context.Background(), key)
	if err != nil {
		t.Fatal(err)
	}
	if got.Enquiries != workers*rounds {
		t.Fatalf("%d enquiries counted, want %d", got.Enquiries, workers*rounds)
	}
}

// Readers on another replica see the store before or after a Replace,
// never between: the fixture keeps its txnid throughout, and a transaction
// not in the fixtures is either there with all the others or gone with them.
func TestReplaceIsAtomicToReadersOfAnotherReplica(t *testing.T) {
	srv := redistest.Start(t)
	writer, reader := open(t, srv.URL), open(t, srv.URL)
	ctx := context.Background()
	fixture := tx("12345678", "6469")
	big := []recharge.Transaction{fixture}
	for i := range 5000 {
		big = append(big, tx(fmt.Sprintf("AUTO-%05d", i), fmt.Sprint(1_000_000+i)))
	}
	if err := writer.Replace(ctx, recharge.Replacement{Add: big}); err != nil {
		t.Fatal(err)
	}
	var stop atomic.Bool
	var reads, wrong atomic.Int64
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for !stop.Load() {
				got, err := reader.Get(ctx, fixture.Key)
				reads.Add(1)
				if err != nil || got.TxnID != "6469" {
					wrong.Add(1)
				}
			}
		})
	}
	wg.Go(func() {
		for !stop.Load() {
			n, err := reader.Count(ctx)
			if err == nil && n != 1 && n != len(big) {
				wrong.Add(1)
			}
		}
	})
	for i := range 10 {
		content := big
		if i%2 == 0 {
			content = big[:1]
		}
		if err := writer.Replace(ctx, recharge.Replacement{Add: content}); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if reads.Load() == 0 || wrong.Load() != 0 {
		t.Fatalf("%d of %d reads saw a store between two contents", wrong.Load(), reads.Load())
	}
	if n, _ := reader.Count(ctx); n != len(big) {
		t.Fatalf("after the last replace %d transactions, want %d", n, len(big))
	}
	t.Logf("10 replaces of up to %d transactions, %d reads", len(big), reads.Load())
}

// An update that read before a Replace does not write into the old
// generation: it runs again on the new content.
func TestUpdateRacingReplaceLandsInTheNewContent(t *testing.T) {
	srv := redistest.Start(t)
	a, b := open(t, srv.URL), open(t, srv.URL)
	ctx := context.Background()
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "12345678"}
	calls := 0
	got, err := a.Update(ctx, key, func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
		calls++
		if calls == 1 {
			if found {
				t.Fatal("found before any content")
			}
			if err := b.Replace(ctx, recharge.Replacement{Add: []recharge.Transaction{tx("12345678", "6469")}}); err != nil {
				t.Fatal(err)
			}
			return tx("12345678", "AUTO"), nil
		}
		if !found || cur.TxnID != "6469" {
			t.Fatalf("second run saw %+v (found %v), want the fixture", cur, found)
		}
		cur.Enquiries++
		return cur, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if got.TxnID != "6469" || got.Enquiries != 1 || calls != 2 {
		t.Fatalf("got %+v after %d calls", got, calls)
	}
}

// With the server gone every call fails with ErrUnavailable and WriteError
// says so; once it is back the store recovers by itself.
func TestUnreachableRedisIsReportedAndRecovered(t *testing.T) {
	srv := redistest.Start(t)
	s := open(t, srv.URL)
	ctx := context.Background()
	if err := s.Put(ctx, tx("A", "1")); err != nil {
		t.Fatal(err)
	}
	srv.Stop(t)
	_, err := s.Get(ctx, transaction.Key{RegistrationID: "AOP-554", ReferenceID: "A"})
	if !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("get with redis down: %v, want ErrUnavailable", err)
	}
	if s.WriteError() == nil {
		t.Fatal("WriteError is nil with redis down")
	}
	// The commands every enquiry makes go through the client's batching:
	// they meet the outage the same way.
	key := transaction.Key{RegistrationID: "AOP-554", ReferenceID: "A"}
	count := func(cur recharge.Transaction, found bool) (recharge.Transaction, error) {
		cur.Enquiries++
		return cur, nil
	}
	if _, err := s.UpdateEnquiry(ctx, key, count); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("enquiry with redis down: %v, want ErrUnavailable", err)
	}
	if _, err := s.Version(ctx); !errors.Is(err, redisstore.ErrUnavailable) {
		t.Fatalf("version with redis down: %v, want ErrUnavailable", err)
	}
	srv.Restart(t)
	if err := s.Put(ctx, tx("A", "2")); err != nil {
		t.Fatalf("put once redis is back: %v", err)
	}
	if s.WriteError() != nil {
		t.Fatalf("WriteError %v once redis answers again", s.WriteError())
	}
	// The restarted server has forgotten the scripts: they are sent again.
	for want := 1; want <= 2; want++ {
		got, err := s.UpdateEnquiry(ctx, key, count)
		if err != nil || got.Enquiries != want || got.TxnID != "2" {
			t.Fatalf("enquiry %d once redis is back: %+v, %v", want, got, err)
		}
	}
}

func TestOpenGivesUpOnAnUnreachableServerWithinItsTimeout(t *testing.T) {
	srv := redistest.Start(t)
	srv.Stop(t)
	start := time.Now()
	_, err := redisstore.Open(context.Background(), srv.URL, redisstore.Options{ConnectTimeout: 500 * time.Millisecond})
	if err == nil {
		t.Fatal("opened a store on a stopped server")
	}
	if elapsed := time.Since(start); elapsed > 5*time.Second {
		t.Fatalf("gave up after %v", elapsed)
	}
	t.Log(err)
}

func TestOpenRedactsThePasswordOfABadURL(t *testing.T) {
	_, err := redisstore.Open(context.Background(), "redis://user:s3cret@127.0.0.1:1/notanumber", redisstore.Options{})
	if err == nil {
		t.Fatal("a URL with a bad database opened")
	}
	if got := err.Error(); strings.Contains(got, "s3cret") {
		t.Fatalf("error shows the password: %s", got)
	}
}
