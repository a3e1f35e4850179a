package contract_test

import (
	"net/http/httptest"
	"testing"

	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// serveMock serves the sandbox's mock with its built-in fixtures on a
// loopback port, as aopay-contract does without --base-url.
func serveMock() (string, func(), error) {
	srv, err := mockserver.New(mockserver.Config{Seed: 1})
	if err != nil {
		return "", nil, err
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config = srv.HTTPServer("")
	ts.Start()
	return ts.URL, func() {
		ts.CloseClientConnections()
		ts.Close()
	}, nil
}

// startMock serves the sandbox's mock until the test ends.
func startMock(t testing.TB) string {
	t.Helper()
	url, stop, err := serveMock()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(stop)
	return url
}
