package cli

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
	"github.com/aopay-sandbox/rechargestatus/admin"
)

// TestHeldFaultsLeaveRoomForEnquiries sends as many hanging faults as
// --max-conns admits connections: half of them hang, the rest are refused
// with 429 and Retry-After, and an ordinary enquiry is answered while the
// hangs still hold their connections.
func TestHeldFaultsLeaveRoomForEnquiries(t *testing.T) {
	const conns = 10
	base, _ := startMock(t, []string{"--max-conns", "10", "--log-level", "warn"}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	hangs := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	refused := make(chan *http.Response, conns)
	var hanging sync.WaitGroup
	heldEnded := make(chan struct{})
	for range conns {
		hanging.Add(1)
		go func() {
			defer hanging.Done()
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+rechargestatus.EnquiryPath,
				strings.NewReader(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set(admin.FaultHeader, "hang=20s")
			res, err := hangs.Do(req)
			if err != nil {
				// Held until the test let go of it.
				return
			}
			body, _ := io.ReadAll(res.Body)
			res.Body.Close()
			res.Body = io.NopCloser(strings.NewReader(string(body)))
			refused <- res
		}()
	}
	defer func() {
		cancel()
		hanging.Wait()
	}()
	go func() {
		hanging.Wait()
		close(heldEnded)
	}()

	// Each refusal finds the most held already: once half are refused,
	// the other half hang.
	for i := range conns - conns/2 {
		select {
		case res := <-refused:
			body, _ := io.ReadAll(res.Body)
			var answer rechargestatus.ErrorAnswer
			if res.StatusCode != http.StatusTooManyRequests || res.Header.Get("Retry-After") == "" ||
				json.Unmarshal(body, &answer) != nil || answer.ResponseCode != rechargestatus.CodeUnableToProcess ||
				!strings.Contains(answer.Remarks, "--max-held-faults") {
				t.Fatalf("refusal %d: %d Retry-After %q %s, want 429 with Retry-After in the envelope", i, res.StatusCode, res.Header.Get("Retry-After"), body)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%d of %d hanging faults refused; want %d", i, conns, conns-conns/2)
		}
	}

	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}}
	if err := enquirePageExample(client, base); err != nil {
		t.Fatalf("an ordinary enquiry while faults hang: %v", err)
	}
	select {
	case <-heldEnded:
		t.Fatal("the hanging faults ended before the enquiry was answered: nothing was held")
	default:
	}
	if n := len(refused); n > 0 {
		t.Fatalf("%d more hanging faults refused than the limit leaves", n)
	}
}

// TestHeldFaultsWithin: --max-held-faults never leaves fewer than half of
// --max-conns to other requests, and 0 holds as many as that allows.
func TestHeldFaultsWithin(t *testing.T) {
	tests := []struct{ held, conns, want int }{
		{64, 1024, 64},
		{64, 10, 5},
		{0, 10, 5},
		{3, 10, 3},
		{64, 1, 1},
		{64, 0, 64},
		{0, 0, -1},
	}
	for _, tt := range tests {
		if got := heldFaultsWithin(tt.held, tt.conns); got != tt.want {
			t.Errorf("heldFaultsWithin(%d, %d) = %d, want %d", tt.held, tt.conns, got, tt.want)
		}
	}
}
