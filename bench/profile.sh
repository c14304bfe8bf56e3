#!/usr/bin/env bash
# Where the server's CPU time goes in one phase of the object benchmark: runs `fleck serve`
# (release, embedded backends) under `perf record`, drives it with bench/objects.py, and prints
# the hottest functions.
#
#   bench/profile.sh upload      uploads only
#   bench/profile.sh download    uploads, then profiles the three tree downloads
#   BENCH_OBJECTS=100000 (default); BENCH_BIN and BENCH_PYTHON as bench/run.sh takes them
source "$(dirname "$0")/lib.sh"

PHASE="${1:?name a phase: upload or download}"
N="${BENCH_OBJECTS:-100000}"
WORK="$(mktemp -d)"
PORT=53990
trap 'stop_server; rm -rf "$WORK"' EXIT

ensure_apt perf linux-perf
serve "$PORT" "$WORK/data" "$WORK/server.log" RATELIMITER_ENABLED=false

case "$PHASE" in
  upload) skip="diff,download,download-json,getobjects,object-stream" ;;
  download) skip="diff,download-json,getobjects,object-stream" ;;
  *) echo "unknown phase $PHASE" >&2; exit 2 ;;
esac
# The server is recorded for as long as the benchmark client runs (generation included, when the
# server is idle and adds no samples).
perf record -e cpu-clock -F 499 -g -o "$WORK/perf.data" -p "$SERVER_PID" -- \
  "$PY" bench/objects.py --url "http://127.0.0.1:$PORT" --objects "$N" --skip "$skip" >&2
perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null \
  | grep -v "^#" | grep "%" | head -n 30
