// Package loadtest measures the mock against the floor set by net/http itself:
// throughput and latency beside a bare handler serving the same bytes, memory
// over many enquiries and creations, and the time from start to first answer.
package loadtest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"time"
)

// PageExampleRequest is the provider page's example enquiry, answered by the
// default fixtures with the page's example transaction.
var PageExampleRequest = []byte(`{"referenceid":"12345678","RegistrationID":"AOP-554"}`)

// ratio is a over b, zero when b is.
func ratio(a, b float64) float64 {
	if b == 0 {
		return 0
	}
	return a / b
}

// fetch sends the page's example enquiry and returns the answer.
func fetch(ctx context.Context, client *http.Client, url string) (contentType string, body []byte, err error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(PageExampleRequest))
	if err != nil {
		return "", nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	res, err := client.Do(req)
	if err != nil {
		return "", nil, err
	}
	defer res.Body.Close()
	body, err = io.ReadAll(res.Body)
	if err != nil {
		return "", nil, err
	}
	if res.StatusCode != http.StatusOK {
		return "", nil, fmt.Errorf("status %d: %s", res.StatusCode, body)
	}
	return res.Header.Get("Content-Type"), body, nil
}

// drive sends the page's example enquiry to url from conns workers until
// limit has passed or maxRequests were sent, and checks each answer is want.
// percentiles returns the median and 99th percentile of d, sorting it.
func roundDuration(d time.Duration) time.Duration {
	switch {
	case d >= 10*time.Millisecond:
		return d.Round(100 * time.Microsecond)
	case d >= 10*time.Microsecond:
		return d.Round(time.Microsecond)
	}
	return d
}

// WriteCompareReport prints r as a table with the ratios the targets are set on.
// postPageExample sends the provider page's example enquiry to url.
func postPageExample(ctx context.Context, client *http.Client, url string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(PageExampleRequest))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	return client.Do(req)
}
