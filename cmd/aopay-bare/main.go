// Command aopay-bare serves fixed bytes to every request with net/http and
// nothing more, on loopback: the floor "aopay-load compare" measures
// aopay-mock against, run as a process of its own as the mock is.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/aopay-sandbox/rechargestatus/internal/loadtest/barehttp"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := run(ctx, os.Args[1:], os.Stderr)
	stop()
	os.Exit(code)
}

func run(ctx context.Context, args []string, stderr io.Writer) int {
	fs := flag.NewFlagSet("aopay-bare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8081", "loopback address to listen on")
	contentType := fs.String("content-type", "application/json", "Content-Type of every answer")
	bodyFile := fs.String("body-file", "", "file holding the body of every answer (required)")
	var srv http.Server
	fs.DurationVar(&srv.ReadHeaderTimeout, "read-header-timeout", 0, "http.Server ReadHeaderTimeout (0: none)")
	fs.DurationVar(&srv.ReadTimeout, "read-timeout", 0, "http.Server ReadTimeout (0: none)")
	fs.DurationVar(&srv.WriteTimeout, "write-timeout", 0, "http.Server WriteTimeout (0: none)")
	fs.DurationVar(&srv.IdleTimeout, "idle-timeout", 0, "http.Server IdleTimeout (0: none)")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if err := serve(ctx, &srv, *addr, *contentType, *bodyFile); err != nil {
		fmt.Fprintf(stderr, "aopay-bare: %v\n", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, srv *http.Server, addr, contentType, bodyFile string) error {
	if bodyFile == "" {
		return errors.New("--body-file is required")
	}
	// Measurements stay on this machine.
	host, _, err := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return fmt.Errorf("--addr %q: want a loopback IP and port, such as 127.0.0.1:8081", addr)
	}
	body, err := os.ReadFile(bodyFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	srv.Handler = barehttp.Handler(contentType, body)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdown); err != nil {
		return err
	}
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}
