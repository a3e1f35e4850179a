-- wrk script of "aopay-load compare": POSTs the body given as the script's
-- first argument as JSON, and prints the run's figures in one line of
-- key=value fields for aopay-load to parse (times in microseconds).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

function init(args)
  wrk.body = args[1]
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "aopay-wrk requests=%d duration_us=%d p50_us=%d p99_us=%d" ..
    " connect_errors=%d read_errors=%d write_errors=%d timeouts=%d status_errors=%d\n",
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
    e.connect, e.read, e.write, e.timeout, e.status))
end
