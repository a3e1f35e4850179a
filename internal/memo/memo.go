// Package memo keeps what is worth not working out again, within a bound:
// when it is full, everything kept is dropped together and kept afresh, so
// memory never grows past the bound and a hot set is soon kept again.
package memo

import (
	"sync"
	"sync/atomic"
)

// Map keeps at most about limit values by key, safe for concurrent use:
// goroutines that add at the moment the bound is reached may each add one
// more before the drop.
type Map[K comparable, V any] struct {
	entries atomic.Pointer[sync.Map]
	n       atomic.Int64
	limit   int64
}

// New is an empty Map of at most limit values.
func New[K comparable, V any](limit int) *Map[K, V] {
	m := &Map[K, V]{limit: int64(limit)}
	m.entries.Store(new(sync.Map))
	return m
}

// Load is the value kept for k.
func (m *Map[K, V]) Load(k K) (v V, ok bool) {
	e, ok := m.entries.Load().Load(k)
	if !ok {
		return v, false
	}
	return e.(V), true
}

// Store keeps v for k, in place of any value kept for it.
func (m *Map[K, V]) Store(k K, v V) {
	entries := m.entries.Load()
	if _, had := entries.Swap(k, v); !had && m.n.Add(1) > m.limit && m.entries.CompareAndSwap(entries, new(sync.Map)) {
		m.n.Store(0)
	}
}

// Len counts the values kept.
func (m *Map[K, V]) Len() int {
	n := 0
	m.entries.Load().Range(func(any, any) bool { n++; return true })
	return n
}
