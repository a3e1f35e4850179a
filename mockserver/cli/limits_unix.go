//go:build unix

package cli

import (
	"math"
	"syscall"
)

// openFileLimit is the process's soft limit on open files (which the Go
// runtime raises to the hard limit at start).
func openFileLimit() (int, bool) {
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		return 0, false
	}
	if lim.Cur > math.MaxInt32 {
		return math.MaxInt32, true
	}
	return int(lim.Cur), true
}
