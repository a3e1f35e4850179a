// Command aopay-load measures aopay-mock on loopback: throughput and latency
// against a bare net/http handler, memory, and startup time.
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	"github.com/aopay-sandbox/rechargestatus/internal/loadtest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := loadtest.Main(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
