package recharge

import (
	"fmt"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/partnertoken"
	"github.com/aopay-sandbox/rechargestatus/transaction"
)

var securePartner = Registration{ID: "AOP-SECURE", Key: "k3y"}

// verifyReqid signs a token for reqid issued at `at` and verifies it.
func verifyReqid(t *testing.T, v *TokenVerifier, reqid string, at time.Time) error {
	t.Helper()
	tok, err := partnertoken.Sign(securePartner.Key, securePartner.PartnerIDOrID(), reqid, at)
	if err != nil {
		t.Fatal(err)
	}
	return v.Verify(securePartner, tok)
}

func wantAuthRemarks(t *testing.T, err error, remarks string) {
	t.Helper()
	e, ok := err.(*transaction.Error)
	if !ok || e.Code != transaction.EUNAUTHORIZED || !strings.Contains(e.Remarks, remarks) {
		t.Fatalf("got %#v, want an authentication error whose remarks say %q", err, remarks)
	}
}

func TestReplayCacheRefusesNewReqidsWhenFullRatherThanForget(t *testing.T) {
	clock := NewFrozenClock(t0)
	v := &TokenVerifier{Clock: clock, ReplayCacheSize: 3}
	for i := range 3 {
		if err := verifyReqid(t, v, fmt.Sprintf("r%d", i), t0); err != nil {
			t.Fatalf("r%d: %v", i, err)
		}
	}
	wantAuthRemarks(t, verifyReqid(t, v, "r3", t0), "replay cache is full")
	// A full cache still remembers every reqid it holds.
	wantAuthRemarks(t, verifyReqid(t, v, "r0", t0), "already used")
	if n := v.replays.len(); n != 3 {
		t.Fatalf("%d reqids remembered, want the limit 3", n)
	}

	// Once the tokens have expired their reqids are forgotten, making room.
	clock.Advance(rechargestatus.TokenWindow + time.Second)
	now := clock.Now()
	if err := verifyReqid(t, v, "r3", now); err != nil {
		t.Fatalf("after the first tokens expired: %v", err)
	}
	if err := verifyReqid(t, v, "r0", now); err != nil {
		t.Fatalf("an expired token's reqid used again: %v", err)
	}
	if n := v.replays.len(); n != 2 {
		t.Fatalf("%d reqids remembered, want the 2 of unexpired tokens", n)
	}
}

func TestReplayCacheKeepsLongReqidsByDigest(t *testing.T) {
	v := &TokenVerifier{Clock: NewFrozenClock(t0)}
	long := strings.Repeat("x", 3000)
	if err := verifyReqid(t, v, long+"1", t0); err != nil {
		t.Fatal(err)
	}
	err := verifyReqid(t, v, long+"1", t0)
	wantAuthRemarks(t, err, "already used")
	if remarks := err.(*transaction.Error).Remarks; len(remarks) > 2*MaxRememberedReqidLength {
		t.Fatalf("remarks echo the whole reqid: %d bytes", len(remarks))
	}
	if err := verifyReqid(t, v, long+"2", t0); err != nil {
		t.Fatalf("a long reqid differing only at its end: %v", err)
	}
	short := strings.Repeat("y", MaxRememberedReqidLength)
	if err := verifyReqid(t, v, short, t0); err != nil {
		t.Fatal(err)
	}
	v.replays.mu.Lock()
	defer v.replays.mu.Unlock()
	for key := range v.replays.expires {
		if len(key) > 2+len(securePartner.ID)+MaxRememberedReqidLength {
			t.Errorf("a key of %d bytes is remembered", len(key))
		}
	}
}

// TestReplayCacheSweepsInTimeIndependentOfItsSize counts the entries looked
// at while forgetting expired reqids: it must follow the number expired, not
// the number held.
func TestReplayCacheSweepsInTimeIndependentOfItsSize(t *testing.T) {
	clock := NewFrozenClock(t0)
	v := &TokenVerifier{Clock: clock}
	const held, added = 2000, 500
	for i := range held {
		// Issued in the future, these stay valid throughout.
		if err := verifyReqid(t, v, fmt.Sprintf("held-%d", i), t0.Add(rechargestatus.TokenWindow-time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	for i := range added {
		if err := verifyReqid(t, v, fmt.Sprintf("short-%d", i), t0); err != nil {
			t.Fatal(err)
		}
	}
	clock.Advance(rechargestatus.TokenWindow + time.Second)
	before := v.replays.examined
	for i := range added {
		if err := verifyReqid(t, v, fmt.Sprintf("late-%d", i), clock.Now()); err != nil {
			t.Fatal(err)
		}
	}
	// Each insert peeks once; the short-lived ones expired are each popped once.
	examined := v.replays.examined - before
	if limit := uint64(2*added + added); examined > limit {
		t.Fatalf("%d entries examined for %d inserts into a cache of %d, want at most %d", examined, added, held+added, limit)
	}
	if n := v.replays.len(); n != held+added {
		t.Fatalf("%d remembered, want %d", n, held+added)
	}
}

// BenchmarkReplayCacheUse measures one reqid's cache cost with `held`
// unexpired reqids remembered: it must not grow with held.
func BenchmarkReplayCacheUse(b *testing.B) {
	for _, held := range []int{1_000, 100_000, DefaultReplayCacheSize} {
		b.Run(fmt.Sprintf("held=%d", held), func(b *testing.B) {
			var c replayCache
			expires := t0.Add(rechargestatus.TokenWindow).Unix()
			for i := range held {
				c.use(replayKey("AOP-SECURE", strconv.Itoa(i)), expires, t0, held+b.N+1)
			}
			keys := make([]string, b.N)
			for i := range keys {
				keys[i] = replayKey("AOP-SECURE", "new-"+strconv.Itoa(i))
			}
			b.ResetTimer()
			for i := range b.N {
				if c.use(keys[i], expires, t0, held+b.N+1) != replayFirstUse {
					b.Fatal("refused")
				}
			}
		})
	}
}

// BenchmarkReplayCacheMemory reports the heap an entry takes, for short
// reqids and for long ones kept by digest.
func BenchmarkReplayCacheMemory(b *testing.B) {
	for _, reqidLen := range []int{16, MaxRememberedReqidLength, 3000} {
		b.Run(fmt.Sprintf("reqid=%dB", reqidLen), func(b *testing.B) {
			const entries = 100_000
			pad := strings.Repeat("r", reqidLen-6)
			var perEntry float64
			for range b.N {
				var before, after runtime.MemStats
				runtime.GC()
				runtime.ReadMemStats(&before)
				c := new(replayCache)
				expires := t0.Add(rechargestatus.TokenWindow).Unix()
				for i := range entries {
					c.use(replayKey("AOP-SECURE", fmt.Sprintf("%s%06d", pad, i)), expires, t0, entries)
				}
				runtime.GC()
				runtime.ReadMemStats(&after)
				perEntry = float64(after.HeapAlloc-before.HeapAlloc) / entries
				runtime.KeepAlive(c)
			}
			b.ReportMetric(perEntry, "B/entry")
		})
	}
}
