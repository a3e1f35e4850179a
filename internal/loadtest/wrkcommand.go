package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
)

func runWrkCompare(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts := DefaultWrkOptions
	fs := flag.NewFlagSet("aopay-load compare", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.MockBinary, "bin", "", "aopay-mock binary to measure (default: go build of this module's)")
	fs.StringVar(&opts.BareBinary, "bare-bin", "", "aopay-bare binary serving the same bytes (default: go build of this module's)")
	fs.IntVar(&opts.Rounds, "rounds", opts.Rounds, "rounds; each drives the bare server and the mock once, in alternating order")
	fs.DurationVar(&opts.Duration, "duration", opts.Duration, "wrk run of each target in a round, whole seconds")
	fs.DurationVar(&opts.Warmup, "warmup", opts.Warmup, "wrk run of each target before the first round, whole seconds (0: none)")
	fs.IntVar(&opts.Threads, "threads", opts.Threads, "wrk threads (-t)")
	fs.IntVar(&opts.Connections, "conns", opts.Connections, "wrk keep-alive connections (-c)")
	minRatio := fs.Float64("min-ratio", DefaultMinRatio, "with --assert, least median mock/bare throughput")
	assert := fs.Bool("assert", false, "exit 1 when the median mock/bare throughput is below --min-ratio or any socket error or status >= 400 occurred")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "aopay-load compare: wrk -t %d -c %d, %d rounds of %s per target after %s of warm-up; %s/%s, %d CPUs; load average %s\n",
		opts.Threads, opts.Connections, opts.Rounds, opts.Duration, opts.Warmup, runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), LoadAverage())
	r, err := CompareWithWrk(ctx, opts, stdout)
	if err != nil {
		return err
	}
	writeWrkMedian(stdout, r)
	fmt.Fprintf(stdout, "load average after: %s\n", LoadAverage())
	failures := r.Failures(*minRatio)
	for _, f := range failures {
		fmt.Fprintln(stdout, "MISSED:", f)
	}
	if *assert && len(failures) > 0 {
		return errors.New("targets missed")
	}
	return nil
}
