package cli

import (
	"fmt"
	"io"

	"github.com/aopay-sandbox/rechargestatus/internal/buildinfo"
)

// RunVersion is `aopay-mock version` (and `aopay-mock --version`): it prints
// the version stamped at build time, alone on its line so scripts can read it.
func RunVersion(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 {
		fmt.Fprintf(stderr, "aopay-mock version: unexpected argument %q\n", args[0])
		return 2
	}
	fmt.Fprintln(stdout, buildinfo.String())
	return 0
}
