// Package memo keeps what is worth not working out again, within a fixed
// number of slots: a key goes in the slot its hash names, in place of what
// was there, so memory never grows past the slots and a hot key is kept
// again as soon as it comes back.
package memo

import (
	"hash/maphash"
	"math/bits"
	"sync/atomic"
)

// Map keeps values by key in a fixed number of slots, safe for concurrent
// use: a Load sees the whole of an entry stored or nothing.
type Map[K comparable, V any] struct {
	slots []atomic.Pointer[entry[K, V]]
	mask  uint64
	hash  func(K) uint64
}

type entry[K comparable, V any] struct {
	key   K
	value V
}

// New is an empty Map of at least slots slots (a power of two), its keys
// spread over them by hash.
func New[K comparable, V any](slots int, hash func(K) uint64) *Map[K, V] {
	n := uint64(1) << bits.Len(uint(max(slots, 1)-1))
	return &Map[K, V]{slots: make([]atomic.Pointer[entry[K, V]], n), mask: n - 1, hash: hash}
}

// Load is the value kept for k.
func (m *Map[K, V]) Load(k K) (v V, ok bool) {
	e := m.slots[m.hash(k)&m.mask].Load()
	if e == nil || e.key != k {
		return v, false
	}
	return e.value, true
}

// Store keeps v for k, in place of whatever its slot held.
func (m *Map[K, V]) Store(k K, v V) {
	m.slots[m.hash(k)&m.mask].Store(&entry[K, V]{key: k, value: v})
}

// Len counts the values kept.
func (m *Map[K, V]) Len() int {
	n := 0
	for i := range m.slots {
		if m.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

var seed = maphash.MakeSeed()

// String hashes s, for a Map keyed by strings.
func String(s string) uint64 { return maphash.String(seed, s) }

// Strings hashes a and b together, for a Map keyed by a pair of strings.
func Strings(a, b string) uint64 {
	return maphash.String(seed, a)*0x9E3779B97F4A7C15 ^ maphash.String(seed, b)
}
