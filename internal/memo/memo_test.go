package memo

import (
	"fmt"
	"sync"
	"testing"
)

func TestMapKeepsWhatIsStoredLast(t *testing.T) {
	m := New[string, int](4, String)
	if _, ok := m.Load("a"); ok {
		t.Fatal("an empty map keeps a")
	}
	m.Store("a", 1)
	m.Store("a", 2)
	if v, ok := m.Load("a"); !ok || v != 2 {
		t.Fatalf("a: %d %v, want 2", v, ok)
	}
	if n := m.Len(); n != 1 {
		t.Fatalf("%d kept, want 1: storing a key again keeps it once", n)
	}
}

// TestMapIsBounded stores many keys from several goroutines, each checking
// that what it loads is what was stored for that key.
func TestMapIsBounded(t *testing.T) {
	const slots, writers = 8, 4
	m := New[string, string](slots, String)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range 500 {
				k := fmt.Sprintf("%d-%d", g, i)
				m.Store(k, "v"+k)
				if v, ok := m.Load(k); ok && v != "v"+k {
					t.Errorf("%s: %s, want v%s", k, v, k)
				}
			}
		})
	}
	wg.Wait()
	if n := m.Len(); n > slots {
		t.Fatalf("%d kept in %d slots", n, slots)
	}
	m.Store("last", "x")
	if v, ok := m.Load("last"); !ok || v != "x" {
		t.Fatal("the value stored last is not kept")
	}
}

// TestMapTellsKeysOfOneSlotApart hashes every key alike.
func TestMapTellsKeysOfOneSlotApart(t *testing.T) {
	m := New[string, int](4, func(string) uint64 { return 0 })
	m.Store("a", 1)
	m.Store("b", 2)
	if _, ok := m.Load("a"); ok {
		t.Fatal("a is found in the slot b took")
	}
	if v, ok := m.Load("b"); !ok || v != 2 {
		t.Fatalf("b: %d %v", v, ok)
	}
}

func TestStringsHashesThePair(t *testing.T) {
	if Strings("ab", "c") == Strings("a", "bc") || Strings("a", "b") == Strings("b", "a") {
		t.Fatal("pairs of the same letters hash alike")
	}
}
