package testutil

import (
	"errors"
	"net"
	"syscall"
	"testing"
	"time"
)

// TestRefusedAddrStaysRefusedAndTaken: connections are refused, and the port
// cannot be listened on by anyone else while the test holds it.
func TestRefusedAddrStaysRefusedAndTaken(t *testing.T) {
	addr := RefusedAddr(t)
	for range 3 {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			t.Fatalf("%s accepted a connection", addr)
		}
		if !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dialling %s: %v, want connection refused", addr, err)
		}
	}
	if l, err := net.Listen("tcp", addr); err == nil {
		l.Close()
		t.Fatalf("%s could be listened on while held", addr)
	}
}
