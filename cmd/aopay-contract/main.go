// Command aopay-contract checks an AOPay RechargeStatus endpoint, the real
// provider or the sandbox's mock, against openapi.yaml, and exits 0 only when
// every spec of the contract suite passed.
package main

import (
	"os"

	"github.com/aopay-sandbox/rechargestatus/contract"
)

func main() {
	os.Exit(contract.Main(os.Args[1:], os.Getenv, os.Stdout, os.Stderr))
}
