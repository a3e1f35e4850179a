package contractmain

import (
	"fmt"
	"net/http/httptest"

	"github.com/aopay-sandbox/rechargestatus/mockserver"
)

// startMock serves the sandbox's mock with its built-in fixtures on a loopback
// port, with the mock's own timeouts, for --target mock without --base-url.
func startMock() (baseURL string, stop func(), err error) {
	srv, err := mockserver.New(mockserver.Config{Seed: 1})
	if err != nil {
		return "", nil, fmt.Errorf("start the in-process mock: %w", err)
	}
	ts := httptest.NewUnstartedServer(srv)
	ts.Config = mockserver.HTTPServer("", srv)
	ts.Start()
	return ts.URL, func() {
		srv.Stop()
		ts.CloseClientConnections()
		ts.Close()
		_ = srv.Close()
	}, nil
}
