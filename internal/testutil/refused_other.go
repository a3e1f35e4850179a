//go:build !unix

package testutil

import "net"

// holdRefusedPort keeps a loopback listener whose connections are closed as
// soon as they are accepted: the closest a system without a bound, not
// listening socket comes to refusing them.
func holdRefusedPort() (string, func(), error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			_ = c.Close()
		}
	}()
	return l.Addr().String(), func() { _ = l.Close() }, nil
}
