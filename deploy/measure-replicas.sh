#!/usr/bin/env bash
# Measures aopay-mock replicas sharing one sandbox through Redis, on
# loopback, each against a bare net/http server in the same run
# (aopay-load compare, protocol t1: wrk -t1 -c32, alternating rounds):
#   1. one replica started with --redis;
#   2. three replicas behind HAProxy, configured by deploy/haproxy.cfg with
#      the replicas' and its own addresses moved to loopback ports.
# Needs redis-server, haproxy and wrk (Debian's packages of those names).
# Ports: AOPAY_LOAD_PORT (default 17380) for Redis, the next for HAProxy and
# the three after it for the replicas. Extra arguments go to both compares,
# such as --rounds 5.
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in redis-server redis-cli haproxy wrk; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "measure-replicas: $tool is not installed (Debian package ${tool%-cli})" >&2
    exit 1
  fi
done

base=${AOPAY_LOAD_PORT:-17380}
redis_port=$base lb_port=$((base + 1))
replica_ports=($((base + 2)) $((base + 3)) $((base + 4)))
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait
  rm -rf "$work"
}
trap cleanup EXIT

# waits runs its command every 0.1 s until it succeeds, for 10 s at most.
waits() {
  for _ in $(seq 100); do
    if "$@" >/dev/null 2>&1; then return 0; fi
    sleep 0.1
  done
  echo "measure-replicas: no answer to: $*" >&2
  return 1
}

go build -ldflags='-s -w' -o "$work/" ./cmd/aopay-mock ./cmd/aopay-bare ./cmd/aopay-load
redis-server --bind 127.0.0.1 --port "$redis_port" --dir "$work" --save '' --appendonly no >"$work/redis.log" 2>&1 &
pids+=($!)
waits redis-cli -p "$redis_port" ping
redis_url="redis://127.0.0.1:$redis_port/0"

echo "== one replica with --redis $redis_url"
"$work/aopay-load" compare --protocol t1 --bin "$work/aopay-mock" --bare-bin "$work/aopay-bare" --redis "$redis_url" "$@"

sed -e "s/bind :8080/bind 127.0.0.1:$lb_port/" \
  -e "s/mock-1:8080/127.0.0.1:${replica_ports[0]}/" \
  -e "s/mock-2:8080/127.0.0.1:${replica_ports[1]}/" \
  -e "s/mock-3:8080/127.0.0.1:${replica_ports[2]}/" \
  deploy/haproxy.cfg >"$work/haproxy.cfg"
for port in "${replica_ports[@]}"; do
  "$work/aopay-mock" --addr "127.0.0.1:$port" --redis "$redis_url" --log-level warn >"$work/mock-$port.log" 2>&1 &
  pids+=($!)
done
for port in "${replica_ports[@]}"; do
  waits "$work/aopay-mock" healthcheck --addr "127.0.0.1:$port"
done
haproxy -db -f "$work/haproxy.cfg" >"$work/haproxy.log" 2>&1 &
pids+=($!)
waits "$work/aopay-mock" healthcheck --addr "127.0.0.1:$lb_port"

echo "== three replicas behind haproxy $(haproxy -v | head -1)"
"$work/aopay-load" compare --protocol t1 --bare-bin "$work/aopay-bare" --mock-url "http://127.0.0.1:$lb_port" "$@"
