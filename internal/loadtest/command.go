package loadtest

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"
)

const usage = `Usage: aopay-load [compare|memory|startup] [flags]

Measures the mock on this machine, on loopback only.

  compare   start aopay-mock and a bare net/http server answering the same
            bytes, drive each with wrk (Debian's package wrk) in alternating
            rounds, and print throughput, p50, p99 and their ratios (default)
  memory    heap and RSS across many enquiries of existing transactions, and
            the cost of each auto-created transaction, in process
  startup   time from starting an aopay-mock binary to its first correct answer

Run "aopay-load SUBCOMMAND --help" for the flags of each.
`

// Main is the aopay-load command. It returns the process exit code: 0 when
// the run succeeded (and met the targets, with --assert), 1 when it did not,
// 2 for bad usage.
func Main(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	sub := "compare"
	if len(args) == 1 && (args[0] == "-h" || args[0] == "-help" || args[0] == "--help") {
		// Alone, --help asks about the command, not its default subcommand.
		sub, args = "help", nil
	}
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		sub, args = args[0], args[1:]
	}
	var err error
	switch sub {
	case "compare":
		err = runWrkCompare(ctx, args, stdout, stderr)
	case "memory":
		err = runMemory(ctx, args, stdout, stderr)
	case "startup":
		err = runStartup(ctx, args, stdout, stderr)
	case "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "aopay-load: unknown subcommand %q\n\n%s", sub, usage)
		return 2
	}
	var usageErr usageError
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.As(err, &usageErr):
		fmt.Fprintf(stderr, "aopay-load %s: %v\n", sub, err)
		return 2
	default:
		fmt.Fprintf(stderr, "aopay-load %s: %v\n", sub, err)
		return 1
	}
}

type usageError struct{ error }

func parse(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return err
		}
		return usageError{err}
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Errorf("unexpected argument %q", fs.Arg(0))}
	}
	return nil
}

func machine() string {
	return fmt.Sprintf("%s %s/%s, %d CPUs, GOMAXPROCS %d", runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.GOMAXPROCS(0))
}

func runMemory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts := DefaultMemoryOptions
	fs := flag.NewFlagSet("aopay-load memory", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.IntVar(&opts.Enquiries, "enquiries", opts.Enquiries, "enquiries of existing transactions")
	fs.IntVar(&opts.Existing, "existing", opts.Existing, "transactions created before those enquiries and then enquired in turn")
	fs.IntVar(&opts.Creations, "creations", opts.Creations, "auto-created transactions whose cost is measured")
	fs.IntVar(&opts.MaxTransactions, "max-transactions", opts.MaxTransactions, "cap on auto-created transactions checked at the end (0: skip)")
	if err := parse(fs, args); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "aopay-load memory: %s\n", machine())
	r, err := MeasureMemory(ctx, opts)
	if err != nil {
		return err
	}
	WriteMemoryReport(stdout, r)
	return nil
}

func runStartup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	opts := StartupOptions{Runs: 5, Timeout: 10 * time.Second}
	fs := flag.NewFlagSet("aopay-load startup", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.Binary, "bin", "", "the aopay-mock binary to start (required; go build -o aopay-mock ./cmd/aopay-mock)")
	fs.IntVar(&opts.Runs, "runs", opts.Runs, "starts to time")
	fs.DurationVar(&opts.Timeout, "timeout", opts.Timeout, "longest wait for a first answer")
	if err := parse(fs, args); err != nil {
		return err
	}
	if opts.Binary == "" {
		return usageError{errors.New("--bin is required")}
	}
	fmt.Fprintf(stdout, "aopay-load startup: %s, %s\n", opts.Binary, machine())
	r, err := MeasureStartup(ctx, opts)
	if err != nil {
		return err
	}
	WriteStartupReport(stdout, r)
	return nil
}
