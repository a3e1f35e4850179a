package contract_test

import (
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mocktest"
)

// serveMock serves the sandbox's mock with its built-in fixtures on a
// loopback port, as aopay-contract does without --base-url.
func serveMock() (string, func(), error) {
	m, err := mocktest.Start()
	if err != nil {
		return "", nil, err
	}
	return m.URL, m.Close, nil
}

// startMock serves the sandbox's mock until the test ends.
func startMock(t testing.TB) string {
	t.Helper()
	return mocktest.New(t).URL
}
