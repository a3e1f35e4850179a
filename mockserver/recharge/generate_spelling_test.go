package recharge

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"testing"
)

// The generator spells its numbers and hashes its keys without fmt and
// hash/fnv, to spare allocations on every auto-created transaction; what it
// writes must stay what they wrote, or a seed would stop reproducing a run.
func TestGeneratorSpellsAsFmtAndHashesAsFNV(t *testing.T) {
	for _, p := range []int64{0, 1, 9, 10, 99, 100, 101, 12345, -1, -9, -10, -99, -100, -12345, 1 << 40} {
		if got, want := paise(p), fmt.Sprintf("%d.%02d", p/100, p%100); got != want {
			t.Errorf("paise(%d) = %q, fmt %q", p, got, want)
		}
	}
	for n := range 10000 {
		for _, width := range []int{2, 4} {
			if got, want := string(appendPadded(nil, n, width)), fmt.Sprintf("%0*d", width, n); got != want {
				t.Fatalf("appendPadded(%d, %d) = %q, fmt %q", n, width, got, want)
			}
		}
	}
	for _, seed := range []int64{1, -7, 1 << 62} {
		for _, s := range []string{"", "AOP-554", "ORDER-1", "é\x00x"} {
			h := fnv.New64a()
			fmt.Fprintf(h, "%d\x00%s\x00%s", seed, "AOP-554", s)
			var b [20]byte
			got := fnvAdd(fnvAdd(fnvAdd(fnvAdd(fnvAdd(fnvOffset, strconv.AppendInt(b[:0], seed, 10)), "\x00"), "AOP-554"), "\x00"), s)
			if got != h.Sum64() {
				t.Errorf("seed %d, %q: %x, hash/fnv %x", seed, s, got, h.Sum64())
			}
		}
	}
}
