// Command aopay-contract checks an AOPay RechargeStatus endpoint, the real
// provider or the sandbox's mock, against openapi.yaml. Its exit code says
// how the run ended: see contract.ExitPassed and the codes beside it.
package main

import (
	"os"

	"github.com/aopay-sandbox/rechargestatus/internal/contractmain"
)

func main() {
	os.Exit(contractmain.Main(os.Args[1:]))
}
