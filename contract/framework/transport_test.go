package framework

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestHTTPClientIsBoundedAsTheSuitesOwn holds the client other clients send
// through (the admin client's) to the suite's bounds.
func TestHTTPClientIsBoundedAsTheSuitesOwn(t *testing.T) {
	var calls atomic.Int64
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/elsewhere", http.StatusFound)
		case "/endless":
			for r.Context().Err() == nil {
				if _, err := w.Write(make([]byte, 4096)); err != nil {
					return
				}
			}
		case "/hang":
			<-r.Context().Done()
		default:
			_, _ = io.WriteString(w, strings.Repeat("x", 1000))
		}
	})
	var log strings.Builder
	c := NewClient(url, ClientOptions{Timeout: 200 * time.Millisecond, MaxAnswerBytes: 1000, MaxRequests: 5, Log: &log})
	h := c.HTTPClient()
	get := func(path string) ([]byte, error) {
		resp, err := h.Get(url + path)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		return io.ReadAll(resp.Body)
	}

	if body, err := get("/exactly-the-limit"); err != nil || len(body) != 1000 {
		t.Errorf("an answer of exactly the limit: %d bytes, %v", len(body), err)
	}
	if _, err := get("/redirect"); err == nil || !strings.Contains(err.Error(), "answered a redirect, HTTP 302 to /elsewhere") {
		t.Errorf("a redirect: %v", err)
	}
	var tooLarge *TooLargeError
	if _, err := get("/endless"); !errors.As(err, &tooLarge) {
		t.Errorf("an endless answer: %v", err)
	}
	var timeout interface{ Timeout() bool }
	if _, err := get("/hang"); !errors.As(err, &timeout) || !timeout.Timeout() {
		t.Errorf("no answer: %v", err)
	}
	c.Do(context.Background(), Request{})
	if _, err := get("/over-the-cap"); !errors.Is(err, ErrRequestCap) {
		t.Errorf("the sixth request: %v, want the cap", err)
	}
	if calls.Load() != 5 || c.Sent() != 5 {
		t.Errorf("server saw %d requests, client counted %d; want 5", calls.Load(), c.Sent())
	}
	if n := strings.Count(log.String(), "\n"); n != 5 {
		t.Errorf("logged %d lines, want one per request sent:\n%s", n, log.String())
	}
}
