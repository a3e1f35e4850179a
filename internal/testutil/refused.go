package testutil

import "testing"

// RefusedAddr is a loopback address ("127.0.0.1:port") whose connections are
// refused for the whole of the test, and no one else's to take: its port
// stays bound, without listening and without SO_REUSEADDR, until the test
// ends. A port taken by listening and closing is free again at once, and
// another test's server may answer there.
func RefusedAddr(t testing.TB) string {
	t.Helper()
	addr, release, err := holdRefusedPort()
	if err != nil {
		t.Fatalf("holding a refusing loopback port: %v", err)
	}
	t.Cleanup(release)
	return addr
}
