// Command aopay-mock serves a stateful mock of AOPay's RechargeStatus API.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/aopay-sandbox/rechargestatus/mockserver/cli"
)

// gcPercent is the garbage collector's pace unless GOGC sets another: a
// cycle once the heap has grown to five times what survived the last.
//
// The mock's live heap is a few megabytes (the journal, the transactions)
// while every enquiry allocates a few kilobytes, most of them in the
// request's validation: at Go's default pace of 100 a collection ran almost
// without pause under load, its workers taking a quarter of the CPUs the
// requests needed. A heap bounded by --max-transactions and --journal-size
// stays bounded, at up to five times its live size.
const gcPercent = 400

// paceGC sets gcPercent unless the environment sets GOGC.
func paceGC(getenv func(string) string) {
	if getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
}

func main() {
	paceGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Run(ctx, os.Args[1:], os.Getenv, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
