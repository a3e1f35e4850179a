// Package buildinfo carries the version stamped into the binaries at build
// time with -ldflags "-X github.com/aopay-sandbox/rechargestatus/internal/buildinfo.Version=v1.2.3".
package buildinfo

import "runtime/debug"

// Version is the release the binary was built from.
var Version = ""

// String is Version, or what the Go toolchain recorded when none was stamped.
func String() string {
	if Version != "" {
		return Version
	}
	if info, ok := debug.ReadBuildInfo(); ok && info.Main.Version != "" {
		return info.Main.Version
	}
	return "devel"
}
