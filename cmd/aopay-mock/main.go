// Command aopay-mock serves a stateful mock of AOPay's RechargeStatus API.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
