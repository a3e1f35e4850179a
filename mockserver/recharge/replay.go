package recharge

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"sync"
	"time"
)

// DefaultReplayCacheSize bounds the reqids a TokenVerifier remembers at once.
// A reqid is remembered until its token expires, at most twice TokenWindow,
// so the default admits a sustained 800 fresh tokens a second; each entry
// costs about 150 bytes at most, so the cache stays under 75 MiB.
const DefaultReplayCacheSize = 500_000

// MaxRememberedReqidLength is the longest reqid remembered as it is; a longer
// one is remembered by its SHA-256 digest, so a client sending huge reqids
// costs the cache no more than one sending short ones.
const MaxRememberedReqidLength = 64

// replayCache remembers each (registration, reqid) until its token expires.
// Entries leave in expiry order from a min-heap, so forgetting expired ones
// costs O(log n) per entry however many live ones there are; and at its
// limit the cache refuses a new reqid rather than forget one still valid,
// which would let that token be replayed.
type replayCache struct {
	mu      sync.Mutex
	expires map[string]int64 // key → Unix second after which it may be reused
	order   expiryHeap
	// examined counts the entries that sweeping has looked at, so that tests
	// can tell sweeping's cost apart from the cache's size.
	examined uint64
}

// replayVerdict is what the cache says of a reqid.
type replayVerdict int

const (
	replayFirstUse replayVerdict = iota
	replayRepeated
	replayCacheFull
)

// use records key, valid until expires, unless it is already remembered and
// unexpired at now, or the cache holds limit unexpired entries.
func (c *replayCache) use(key string, expires int64, now time.Time, limit int) replayVerdict {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.expires == nil {
		c.expires = make(map[string]int64)
	}
	c.sweep(now)
	// After a sweep every entry left is unexpired (unless the clock went
	// back, which keeps a reqid refused for longer, never shorter).
	if _, ok := c.expires[key]; ok {
		return replayRepeated
	}
	if len(c.expires) >= limit {
		return replayCacheFull
	}
	c.expires[key] = expires
	heap.Push(&c.order, expiryEntry{expires: expires, key: key})
	return replayFirstUse
}

// sweep forgets the entries expired at now, earliest first.
func (c *replayCache) sweep(now time.Time) {
	for len(c.order) > 0 {
		c.examined++
		if !now.After(time.Unix(c.order[0].expires, 0)) {
			return
		}
		e := heap.Pop(&c.order).(expiryEntry)
		delete(c.expires, e.key)
	}
}

func (c *replayCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.expires)
}

// replayKey identifies a reqid of a registration; the registration's length
// comes first so that no two pairs share a key.
func replayKey(registration, reqid string) string {
	b := make([]byte, 0, binary.MaxVarintLen64+len(registration)+min(len(reqid), MaxRememberedReqidLength+1))
	b = binary.AppendUvarint(b, uint64(len(registration)))
	b = append(b, registration...)
	if len(reqid) <= MaxRememberedReqidLength {
		return "r" + string(append(b, reqid...))
	}
	h := sha256.New()
	h.Write(b)
	h.Write([]byte(reqid))
	return "d" + string(h.Sum(nil))
}

type expiryEntry struct {
	expires int64
	key     string
}

// expiryHeap is a min-heap of entries by expiry, for container/heap.
type expiryHeap []expiryEntry

func (h expiryHeap) Len() int           { return len(h) }
func (h expiryHeap) Less(i, j int) bool { return h[i].expires < h[j].expires }
func (h expiryHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)        { *h = append(*h, x.(expiryEntry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = expiryEntry{}
	*h = old[:len(old)-1]
	return e
}
