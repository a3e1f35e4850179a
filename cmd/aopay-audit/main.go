// Command aopay-audit asks a running sandbox to audit the client that
// called it (GET /__admin/audit) and writes the findings as text, JSON and
// JUnit, for a person or for CI.
//
//	aopay-audit --base-url http://127.0.0.1:8080 --fail-on warning --junit-report audit.xml
//
// Exit codes: 0 no finding at or above --fail-on, 1 some, 2 bad usage, 3
// the sandbox could not be asked.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/aopay-sandbox/rechargestatus/admin"
	"github.com/aopay-sandbox/rechargestatus/audit"
)

// Exit codes.
const (
	exitClean    = 0
	exitFindings = 1
	exitUsage    = 2
	exitSandbox  = 3
)

// tokenVariable holds the sandbox's admin token: secrets come from the
// environment only.
const tokenVariable = "AOPAY_AUDIT_ADMIN_TOKEN"

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
}

// options are the command's flags, read.
type options struct {
	baseURL, format, junitPath, jsonPath string
	timeout                              time.Duration
	failOn                               audit.Severity
	query                                audit.Query
	waivers                              []audit.Waiver
}

func run(args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	opts, err := parse(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return exitClean
	}
	if err != nil {
		fmt.Fprintln(stderr, "aopay-audit:", err)
		return exitUsage
	}
	ctx, cancel := context.WithTimeout(context.Background(), opts.timeout)
	defer cancel()
	report, err := admin.NewClient(opts.baseURL, admin.WithToken(getenv(tokenVariable))).Audit(ctx, opts.query)
	if err != nil {
		fmt.Fprintf(stderr, "aopay-audit: the sandbox at %s could not be audited: %v\n", opts.baseURL, err)
		return exitSandbox
	}
	if err := write(opts, report, stdout); err != nil {
		fmt.Fprintln(stderr, "aopay-audit:", err)
		return exitUsage
	}
	if len(report.Failing(opts.failOn, opts.waivers...)) > 0 {
		return exitFindings
	}
	return exitClean
}

func parse(args []string, stderr io.Writer) (options, error) {
	fs := flag.NewFlagSet("aopay-audit", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var o options
	var since, until, failOn string
	th := audit.DefaultThresholds()
	fs.StringVar(&o.baseURL, "base-url", "http://127.0.0.1:8080", "the sandbox's base URL (its admin token in "+tokenVariable+")")
	fs.StringVar(&o.query.RegistrationID, "registration-id", "", "audit only this RegistrationID")
	fs.StringVar(&o.query.ReferenceID, "reference", "", "audit only this referenceid")
	fs.StringVar(&since, "since", "", "audit only what was answered at or after this RFC 3339 time of the sandbox clock")
	fs.StringVar(&until, "until", "", "audit only what was answered before this RFC 3339 time of the sandbox clock")
	fs.DurationVar(&th.MinPollInterval, "min-poll-interval", th.MinPollInterval, "poll-too-fast: least wait after a pending answer (provider notes: re-query after 30 min)")
	fs.IntVar(&th.BackoffRetries, "backoff-retries", th.BackoffRetries, "no-backoff: retries through failures judged")
	fs.Float64Var(&th.BackoffGrowth, "backoff-growth", th.BackoffGrowth, "no-backoff: how many times the first wait the last must be")
	fs.IntVar(&th.MaxAuthAttempts, "max-auth-attempts", th.MaxAuthAttempts, "retries-auth-failure: enquiries with refused credentials tolerated, the refused one included")
	fs.DurationVar(&th.GiveUpAfter, "give-up-after", th.GiveUpAfter, "gave-up-pending: silence after a pending answer that counts as giving up")
	fs.StringVar(&failOn, "fail-on", string(audit.Warning), "exit 1 on findings at or above this severity: info, warning, error")
	fs.Func("waive", "let a rule's findings pass: RULE, or RULE=REFERENCEID (repeatable)", func(v string) error {
		rule, ref, _ := strings.Cut(v, "=")
		if _, ok := audit.RuleOf(audit.RuleID(rule)); !ok {
			return fmt.Errorf("no rule %q", rule)
		}
		o.waivers = append(o.waivers, audit.Waiver{Rule: audit.RuleID(rule), ReferenceID: ref})
		return nil
	})
	fs.StringVar(&o.format, "format", "text", "what to write on standard output: text or json")
	fs.StringVar(&o.junitPath, "junit-report", "", "write a JUnit report, one test case per rule, to this file")
	fs.StringVar(&o.jsonPath, "json-report", "", "write the report as JSON to this file")
	fs.DurationVar(&o.timeout, "timeout", 30*time.Second, "longest wait for the sandbox's answer")
	if err := fs.Parse(args); err != nil {
		return o, err
	}
	if fs.NArg() > 0 {
		return o, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if o.failOn, err = audit.ParseSeverity(failOn); err != nil {
		return o, fmt.Errorf("--fail-on: %w", err)
	}
	if o.format != "text" && o.format != "json" {
		return o, fmt.Errorf("--format %q is neither text nor json", o.format)
	}
	if th.MinPollInterval == 0 || th.BackoffRetries == 0 || th.BackoffGrowth == 0 || th.MaxAuthAttempts == 0 || th.GiveUpAfter == 0 {
		return o, errors.New("every threshold must be positive")
	}
	o.query.Thresholds = th
	values := o.query.Values()
	for name, v := range map[string]string{"since": since, "until": until} {
		if v != "" {
			values.Set(name, v)
		}
	}
	// The query's own reader checks every value as the sandbox would.
	if o.query, err = audit.ParseQuery(values); err != nil {
		return o, err
	}
	return o, nil
}

// write writes the report on stdout in the format asked, and to the report
// files.
func write(o options, r audit.Report, stdout io.Writer) error {
	var err error
	if o.format == "json" {
		err = writeJSON(stdout, r)
	} else {
		err = audit.WriteText(stdout, r)
	}
	if err != nil {
		return err
	}
	if o.jsonPath != "" {
		if err := writeFile(o.jsonPath, func(w io.Writer) error { return writeJSON(w, r) }); err != nil {
			return err
		}
	}
	if o.junitPath != "" {
		return writeFile(o.junitPath, func(w io.Writer) error { return audit.WriteJUnit(w, r, o.failOn, o.waivers...) })
	}
	return nil
}

func writeJSON(w io.Writer, r audit.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	return f.Close()
}
