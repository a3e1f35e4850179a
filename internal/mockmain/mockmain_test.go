package mockmain

import (
	"runtime/debug"
	"testing"
)

func TestPaceGCLeavesAnExplicitGOGC(t *testing.T) {
	before := debug.SetGCPercent(100)
	defer debug.SetGCPercent(before)

	paceGC(func(string) string { return "" })
	if got := debug.SetGCPercent(100); got != gcPercent {
		t.Fatalf("without GOGC the pace is %d, want %d", got, gcPercent)
	}
	paceGC(func(name string) string {
		if name == "GOGC" {
			return "100"
		}
		return ""
	})
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC=100 the pace is %d, want it left at 100", got)
	}
}
