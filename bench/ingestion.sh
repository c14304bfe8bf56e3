#!/usr/bin/env bash
# The ingestion benchmark, each way of sending on a fresh server (so each gets its own peak
# memory), on both backend sets: bench/run.sh with bench/ingestion.py, three times.
#
#   bench/ingestion.sh            BENCH_OBJECTS, BENCH_BACKENDS… as bench/run.sh takes them
set -euo pipefail
cd "$(dirname "$0")/.."
RESULTS="${BENCH_RESULTS:-$PWD/bench/results/ingestion-$(date +%Y%m%d-%H%M%S)}"
for path in json ndjson send3; do
  others="$(echo json,ndjson,send3 | tr , '\n' | grep -vx "$path" | paste -sd,)"
  BENCH_DRIVER=ingestion.py BENCH_RESULTS="$RESULTS/$path" bash bench/run.sh --skip "$others"
  # Built once; the later runs use the same binary.
  export BENCH_SKIP_BUILD=1
done
