#!/usr/bin/env bash
# Server benchmarks: builds the release `fleck`, then for each backend set starts `fleck serve`
# on a free port with a fresh data folder (and, for PostgreSQL, a fresh database), runs a
# benchmark driver against it, stops it, and prints one markdown table.
#
#   bench/run.sh [driver options…]              e.g. bench/run.sh --concurrency 8
#
# Drivers (BENCH_DRIVER): objects.py (the default: object upload and download) and
# ingestion.py (one model sent as JSON batches, as the .NET SDK's NDJSON file, and as a parquet
# bundle). A driver takes --url, --objects, --label and --out, and prints a table with
# --table-from; it finds the server's process id in BENCH_SERVER_PID.
#
# Environment:
#   BENCH_DRIVER=objects.py       the driver in bench/ (objects.py, ingestion.py)
#   BENCH_OBJECTS=100000          objects per run (the driver's --objects)
#   BENCH_BACKENDS="sqlite postgres"
#                                 sqlite:   embedded defaults (SQLite, disk blobs, in-process cache)
#                                 postgres: the same with DATABASE_URL on the test PostgreSQL
#                                           (FLECK_TEST_POSTGRES_URL, else scripts/services.sh)
#   BENCH_SKIP_BUILD=1            use the binary already in $CARGO_TARGET_DIR/release/fleck
#   BENCH_BIN=path                benchmark this binary instead (implies no build)
#   BENCH_RATELIMITS=on           keep the rate limiter running, with every limit raised out of
#                                 reach (default: RATELIMITER_ENABLED=false)
#   BENCH_LOG=…                   the servers' FLECK_LOG (default info,sqlx=warn)
#   BENCH_RESULTS=dir             where results go (default bench/results/<date-time>)
#   BENCH_PYTHON=…                interpreter with `requests` (default ~/.cache/fleck/venv/bin/python)
source "$(dirname "$0")/lib.sh"

N="${BENCH_OBJECTS:-100000}"
BACKENDS="${BENCH_BACKENDS:-sqlite postgres}"
RESULTS="${BENCH_RESULTS:-$ROOT/bench/results/$(date +%Y%m%d-%H%M%S)}"
DRIVER="$ROOT/bench/${BENCH_DRIVER:-objects.py}"
[ -f "$DRIVER" ] || die "no driver $DRIVER"

for backend in $BACKENDS; do
  case "$backend" in
    sqlite | postgres) ;;
    *) die "unknown backend set '$backend' (sqlite, postgres)" ;;
  esac
done

need_python requests
build_server

mkdir -p "$RESULTS"
WORK="$(mktemp -d -t fleck-bench.XXXXXX)"
BENCH_DB=

drop_db() {
  if [ -n "$BENCH_DB" ]; then
    psql "$FLECK_TEST_POSTGRES_URL" -qc "DROP DATABASE IF EXISTS $BENCH_DB" >/dev/null || true
    BENCH_DB=
  fi
}
cleanup() { stop_server; drop_db; rm -rf "$WORK"; }
trap cleanup EXIT

# Rate limits: off, or on with limits nobody reaches (to measure the limiter's own cost).
LIMITS=(RATELIMITER_ENABLED=false)
if [ "${BENCH_RATELIMITS:-off}" = on ]; then
  LIMITS=(RATELIMITER_ENABLED=true)
  for action in ALL_REQUESTS POST_GRAPHQL GET_AUTH USER_CREATE TOKEN_CREATE POST_OBJECTS_STREAMID EMAIL_VERIFICATION; do
    LIMITS+=("RATELIMIT_$action=1000000000" "RATELIMIT_BURST_$action=1000000000")
  done
fi

# Adds to NAME.json the server's peak resident memory (RSS_KB, read before it stopped) and the
# bytes it stored for the run, at rest after it stopped: the data folder (SQLite file, blobs) or
# the PostgreSQL database beyond an empty one.
record_footprint() { # record_footprint NAME RSS_KB
  local name="$1" rss="$2" stored
  if [ "$name" = postgres ]; then
    psql "$FLECK_TEST_POSTGRES_URL" -qc "CHECKPOINT" >/dev/null
    stored="$(psql "$FLECK_TEST_POSTGRES_URL" -Atc \
      "SELECT pg_database_size('$BENCH_DB') - pg_database_size('template1')")"
  else
    stored="$(du -sb "$WORK/$name" | cut -f1)"
  fi
  "$PY" - "$RESULTS/$name.json" "$rss" "$stored" <<'PY'
import json, sys
path, rss, stored = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
result = json.load(open(path))
result.update(server_peak_rss_kb=rss, stored_bytes=stored)
json.dump(result, open(path, "w"), indent=2)
print(f"server peak RSS {rss / 1024:.0f} MB; stored {stored / 1e6:.1f} MB "
      f"= {stored / result['upload_json_bytes']:.0%} of the uploaded JSON", file=sys.stderr)
PY
}

bench() { # bench NAME [VAR=VALUE…]
  local name="$1"; shift
  say "benchmark on $name ($N objects)"
  PORT="$(free_port)"
  mkdir -p "$WORK/$name"
  serve "$PORT" "$WORK/$name" "$RESULTS/$name.server.log" \
    FLECK_LOG="${BENCH_LOG:-info,sqlx=warn}" "${LIMITS[@]}" "$@" || return 1
  local rc=0 rss=
  BENCH_SERVER_PID="$SERVER_PID" "$PY" "$DRIVER" --url "http://127.0.0.1:$PORT" --objects "$N" \
    --label "$name" --out "$RESULTS/$name.json" "${EXTRA[@]}" >&2 || rc=$?
  if [ "$rc" -ne 0 ] || ! kill -0 "$SERVER_PID" 2>/dev/null; then
    echo "$WHO: $name failed; the server log's end:" >&2
    tail -n 40 "$RESULTS/$name.server.log" >&2
    rc=1
  else
    rss="$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")"
  fi
  stop_server
  if [ "$rc" -eq 0 ]; then record_footprint "$name" "$rss"; fi
  return "$rc"
}

EXTRA=("$@")
FAILED=()
DONE=()
for backend in $BACKENDS; do
  case "$backend" in
    sqlite)
      if bench sqlite; then DONE+=("$RESULTS/sqlite.json"); else FAILED+=(sqlite); fi
      ;;
    postgres)
      ensure_apt psql postgresql-client
      if [ -z "${FLECK_TEST_POSTGRES_URL:-}" ]; then
        say "starting the backing services"
        eval "$(bash scripts/services.sh start)"
        [ -n "${FLECK_TEST_POSTGRES_URL:-}" ] || { echo "$WHO: scripts/services.sh gave no PostgreSQL" >&2; exit 1; }
      fi
      BENCH_DB="fleck_bench_$(date +%s)_$$"
      psql "$FLECK_TEST_POSTGRES_URL" -qc "CREATE DATABASE $BENCH_DB" >/dev/null
      if bench postgres DATABASE_URL="${FLECK_TEST_POSTGRES_URL%/*}/$BENCH_DB"; then
        DONE+=("$RESULTS/postgres.json")
      else
        FAILED+=(postgres)
      fi
      drop_db
      ;;
  esac
done

if [ "${#DONE[@]}" -gt 0 ]; then
  {
    echo "$(basename "$DRIVER"), $N objects of ~1.2 KB, $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%MZ)"
    echo
    "$PY" "$DRIVER" --table-from "${DONE[@]}"
  } | tee "$RESULTS/table.md"
  say "results in $RESULTS"
fi
if [ "${#FAILED[@]}" -gt 0 ]; then
  echo "$WHO: failed on ${FAILED[*]}" >&2
  exit 1
fi
