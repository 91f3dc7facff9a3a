#!/usr/bin/env bash
# Registration throughput of one and of two `partnerbot serve` replicas on one Postgres database,
# under the same load generator as ../shared/bench/vs-bolt (signed one-line `/deal register`
# commands, 5 % repeats by another user of the partner), unpinned, in one run:
#
#   cargo build --release && ../shared/bench/vs-bolt   # once, builds the load generator
#   benches/replicas-load.sh [PARTNERBOT_BINARY]       # CONCURRENCY=64 DURATION=10 by default
#
# With two replicas the load is split evenly, CONCURRENCY/2 connections to each, run at the same
# time; the figures are the sum of both (req/s, errors) and the worse p99. Each level starts on a
# fresh database. Prints one line per replica count.
set -euo pipefail
bin=$(realpath "${1:-target/release/partnerbot}")
work=${PARTNERBOT_BENCH_WORK:-/tmp/partnerbot-bench}
loadgen=$work/target/release/loadgen
sink=$work/target/release/slacksink
conc=${CONCURRENCY:-64}
duration=${DURATION:-10}
secret=8f742231b10e8888abcd99yyyzzz85a5 # the load generator's dummy signing secret
[[ -x $bin ]] || { echo "no partnerbot binary at $bin (cargo build --release)"; exit 2; }
[[ -x $loadgen && -x $sink ]] || { echo "run ../shared/bench/vs-bolt once first: it builds $loadgen"; exit 2; }
out=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql -h 127.0.0.1 -U postgres -qc "DROP DATABASE IF EXISTS bench_replicas_$$" >/dev/null 2>&1 || true
  rm -rf "$out"
}
trap cleanup EXIT

"$sink" --port 3398 >"$out/sink.log" 2>&1 &
pids+=($!)

wait_port() {
  for _ in $(seq 1 100); do
    (echo >"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1"; exit 1
}

for replicas in 1 2; do
  db=bench_replicas_$$
  psql -h 127.0.0.1 -U postgres -q -c "SET client_min_messages = warning" -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
  export DATABASE_URL="postgres://postgres@127.0.0.1:5432/$db" SLACK_SIGNING_SECRET=$secret \
    SLACK_BOT_TOKEN=xoxb-bench SLACK_API_URL=http://127.0.0.1:3398/api PARTNERBOT_LOG=warn
  "$bin" migrate >/dev/null
  "$bin" partners add Bench --type reseller --slack-channel C0BENCH01 --slack-team T0BENCH01 >/dev/null
  servers=()
  for r in $(seq 1 "$replicas"); do
    PARTNERBOT_BIND=127.0.0.1:$((3310 + r)) "$bin" serve >"$out/server-$replicas-$r.log" 2>&1 &
    servers+=($!)
    pids+=($!)
    wait_port $((3310 + r))
  done
  warm=()
  for r in $(seq 1 "$replicas"); do # warm-up
    "$loadgen" --url "http://127.0.0.1:$((3310 + r))/slack/commands" --secret $secret -c 8 -d 2 \
      --run-id "warm-$replicas-$r-$$" >/dev/null &
    warm+=($!)
  done
  for w in "${warm[@]}"; do wait "$w"; done
  sleep 1
  loads=()
  for r in $(seq 1 "$replicas"); do
    "$loadgen" --url "http://127.0.0.1:$((3310 + r))/slack/commands" --secret $secret \
      -c $((conc / replicas)) -d "$duration" --dup-rate 0.05 --run-id "rep-$replicas-$r-$$" \
      >"$out/load-$replicas-$r.json" &
    loads+=($!)
  done
  for l in "${loads[@]}"; do wait "$l"; done
  python3 - "$out" "$replicas" "$conc" <<'PY'
import json, sys, glob
out, n, c = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
runs = [json.load(open(p)) for p in sorted(glob.glob(f"{out}/load-{n}-*.json"))]
rps = sum(r["rps"] for r in runs)
p99 = max(r["latency_ms"]["p99"] for r in runs)
p50 = max(r["latency_ms"]["p50"] for r in runs)
errors = sum(r["errors"] for r in runs)
print(f"{n} replica(s) on one Postgres, c={c}: {rps:.0f} req/s p50 {p50:.1f} ms p99 {p99:.1f} ms errors {errors}")
PY
  for s in "${servers[@]}"; do kill "$s"; wait "$s" 2>/dev/null || true; done
done
