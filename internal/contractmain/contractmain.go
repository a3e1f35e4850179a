// Package contractmain is aopay-contract's main, shared by
// cmd/aopay-contract and the image's executable (cmd/aopay-sandbox), which
// runs it under that name.
package contractmain

import (
	"os"

	"github.com/aopay-sandbox/rechargestatus/contract"
)

// Main runs aopay-contract with args, the command line after the program's
// name, and returns its exit code: see contract.ExitPassed and the codes
// beside it.
func Main(args []string) int {
	cmd := contract.Command{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: os.Getenv, StartMock: startMock}
	return cmd.Main(args)
}
