package memo

import (
	"fmt"
	"sync"
	"testing"
)

func TestMapKeepsWhatIsStoredLast(t *testing.T) {
	m := New[string, int](4)
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

func TestMapIsBounded(t *testing.T) {
	const limit, writers = 8, 4
	m := New[string, int](limit)
	var wg sync.WaitGroup
	for g := range writers {
		wg.Go(func() {
			for i := range 200 {
				k := fmt.Sprintf("%d-%d", g, i)
				m.Store(k, i)
				if v, ok := m.Load(k); ok && v != i {
					t.Errorf("%s: %d, want %d", k, v, i)
				}
			}
		})
	}
	wg.Wait()
	if n := m.Len(); n > limit+writers {
		t.Fatalf("%d kept, limit %d", n, limit)
	}
	m.Store("last", 1)
	if _, ok := m.Load("last"); !ok {
		t.Fatal("the value stored last is not kept")
	}
}
