#!/usr/bin/env bash
# Where the server's CPU time goes in one phase of the object benchmark: runs `fleck serve`
# (release, embedded backends) under `perf record`, drives it with bench/objects.py, and prints
# the hottest functions.
#
#   bench/profile.sh upload      uploads only
#   bench/profile.sh download    uploads, then profiles the three tree downloads
#   BENCH_OBJECTS=100000 (default)
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

PHASE="${1:?name a phase: upload or download}"
N="${BENCH_OBJECTS:-100000}"
BIN="$CARGO_TARGET_DIR/release/fleck"
PY="$FLECK_CACHE/venv/bin/python"
WORK="$(mktemp -d)"
PORT=53990
trap 'kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT

ensure_apt perf linux-perf
(cd "$WORK" && exec env FLECK_DATA_DIR="$WORK/data" FLECK_BIND="127.0.0.1:$PORT" \
  FLECK_PUBLIC_URL="http://127.0.0.1:$PORT" RATELIMITER_ENABLED=false "$BIN" serve) >"$WORK/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/readiness" >/dev/null && break; sleep 0.2; done

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
