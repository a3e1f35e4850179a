//go:build unix

package testutil

import (
	"fmt"
	"syscall"
)

// holdRefusedPort binds a TCP socket to a loopback port the kernel picks
// and never listens on it: a connection there is refused (RST), and the
// port cannot be bound again while the socket is held.
func holdRefusedPort() (string, func(), error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, err
	}
	release := func() { _ = syscall.Close(fd) }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		release()
		return "", nil, err
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		release()
		return "", nil, err
	}
	in4, ok := sa.(*syscall.SockaddrInet4)
	if !ok {
		release()
		return "", nil, fmt.Errorf("bound to %T, not IPv4", sa)
	}
	return fmt.Sprintf("127.0.0.1:%d", in4.Port), release, nil
}
