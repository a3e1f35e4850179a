// Command aopay-sandbox is the sandbox image's one executable: aopay-mock
// and aopay-contract in one binary, which runs as the command it is named
// by. The image holds it as /aopay-mock, with /aopay-contract a link to it;
// the two share most of their code, so one executable is a little larger
// than either alone and far smaller than both.
//
// Outside the image, install the commands themselves: cmd/aopay-mock and
// cmd/aopay-contract.
package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/aopay-sandbox/rechargestatus/internal/contractmain"
	"github.com/aopay-sandbox/rechargestatus/internal/mockmain"
)

// contractName is the name under which the executable runs aopay-contract;
// under any other it runs aopay-mock, the image's entrypoint.
const contractName = "aopay-contract"

func main() {
	os.Exit(run(os.Args))
}

// run runs the command argv[0] names with the rest of argv.
func run(argv []string) int {
	if len(argv) == 0 {
		return mockmain.Main(nil)
	}
	if invokedAs(argv[0]) == contractName {
		return contractmain.Main(argv[1:])
	}
	return mockmain.Main(argv[1:])
}

// invokedAs is the command name in argv0, the path the executable was run
// by: a link's own name, not its target's.
func invokedAs(argv0 string) string {
	return strings.TrimSuffix(filepath.Base(argv0), ".exe")
}
