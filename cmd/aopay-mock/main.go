// Command aopay-mock serves a stateful mock of AOPay's RechargeStatus API.
package main

import (
	"os"

	"github.com/aopay-sandbox/rechargestatus/internal/mockmain"
)

func main() {
	os.Exit(mockmain.Main(os.Args[1:]))
}
