package loadtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os/exec"
	"slices"
	"syscall"
	"time"

	rechargestatus "github.com/aopay-sandbox/rechargestatus"
)

// StartupOptions says which binary to time and how often.
type StartupOptions struct {
	// Binary is an aopay-mock executable.
	Binary string
	// Runs is how many times it is started.
	Runs int
	// Timeout bounds the wait for each first answer.
	Timeout time.Duration
}

// StartupReport holds the time from process start to the first correct
// answer of each run.
type StartupReport struct {
	Runs []time.Duration
}

// Median is the middle run.
func (r *StartupReport) Median() time.Duration {
	s := slices.Clone(r.Runs)
	slices.Sort(s)
	return s[len(s)/2]
}

// MeasureStartup starts the binary with the default fixtures on a free
// loopback port, Runs times, and times each start until the page's example
// enquiry is answered.
func MeasureStartup(ctx context.Context, opts StartupOptions) (*StartupReport, error) {
	if opts.Runs <= 0 || opts.Timeout <= 0 {
		return nil, errors.New("runs and timeout must be positive")
	}
	r := &StartupReport{}
	for range opts.Runs {
		d, err := timeStartup(ctx, opts.Binary, opts.Timeout)
		if err != nil {
			return nil, err
		}
		r.Runs = append(r.Runs, d)
	}
	return r, nil
}

func freeLoopbackAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	addr := ln.Addr().String()
	return addr, ln.Close()
}

func timeStartup(ctx context.Context, binary string, timeout time.Duration) (time.Duration, error) {
	addr, err := freeLoopbackAddr()
	if err != nil {
		return 0, err
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.Command(binary, "--addr", addr, "--log-level", "off")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	// A fresh connection per poll: a refused dial must not be cached.
	client := &http.Client{Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true}, Timeout: time.Second}
	start := time.Now()
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()
	url := "http://" + addr + rechargestatus.EnquiryPath
	poll := time.NewTicker(200 * time.Microsecond)
	defer poll.Stop()
	for {
		ok, err := answersPageExample(ctx, client, url)
		if ok {
			return time.Since(start), nil
		}
		select {
		case err := <-exited:
			exited <- err
			return 0, fmt.Errorf("%s exited before answering (%v): %s", binary, err, stderr.Bytes())
		case <-ctx.Done():
			return 0, fmt.Errorf("%s did not answer within %s: last error %v", binary, timeout, err)
		case <-poll.C:
		}
	}
}

func answersPageExample(ctx context.Context, client *http.Client, url string) (bool, error) {
	res, err := postPageExample(ctx, client, url)
	if err != nil {
		return false, err
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		return false, err
	}
	if res.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`"refid":"12345678"`)) {
		return false, fmt.Errorf("answer %d %s", res.StatusCode, body)
	}
	return true, nil
}

// WriteStartupReport prints each run and the median.
func WriteStartupReport(w io.Writer, r *StartupReport) {
	fmt.Fprint(w, "start to first answer:")
	for _, d := range r.Runs {
		fmt.Fprintf(w, " %s", d.Round(100*time.Microsecond))
	}
	s := slices.Clone(r.Runs)
	slices.Sort(s)
	fmt.Fprintf(w, "\nmedian %s, min %s, max %s (target < 100ms)\n",
		r.Median().Round(100*time.Microsecond), s[0].Round(100*time.Microsecond), s[len(s)-1].Round(100*time.Microsecond))
}
