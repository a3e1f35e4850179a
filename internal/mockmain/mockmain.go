// Package mockmain is aopay-mock's main, shared by cmd/aopay-mock and the
// image's executable (cmd/aopay-sandbox), which runs it under that name.
package mockmain

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

// Main runs aopay-mock with args, the command line after the program's
// name, until it ends or SIGINT or SIGTERM stops it, and returns its exit
// code.
func Main(args []string) int {
	paceGC(os.Getenv)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return cli.Run(ctx, args, os.Getenv, os.Stdout, os.Stderr)
}
