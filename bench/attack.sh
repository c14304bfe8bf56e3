#!/usr/bin/env bash
# Under attack: builds the release `fleck` (once; cargo reuses a current build), starts
# `fleck serve` on embedded defaults in a fresh temporary folder on 127.0.0.1, then runs
# bench/attack.py against it: oversized and costly GraphQL requests, lists of a million object
# ids to the three list routes at once, 200 subscriptions on one WebSocket, and a flood of
# password-reset attempts, each bounded in count and time. Meanwhile a separate process probes
# /liveness every 50 ms and samples the server's memory. Prints one markdown table.
#
#   bench/attack.sh [attack.py options…]        e.g. bench/attack.sh --only idlists,pwdreset
#
# Environment:
#   BENCH_SKIP_BUILD=1      use the binary already in $CARGO_TARGET_DIR/release/fleck
#   BENCH_BIN=path          attack this binary instead (implies no build)
#   BENCH_RATELIMITS=on     keep Fleck's default rate limits (default: off, i.e. an attacker with
#                           as many addresses as it likes; every request reaches the handlers)
#   BENCH_PORT=…            port to listen on (default: a free one below 32768)
#   BENCH_CLIENT_NICE=10    niceness of the attacking processes (0: same priority as the server)
#   BENCH_RESULTS=dir       where results go (default bench/results/attack-<date-time>)
#   BENCH_PYTHON=…          interpreter with `requests` and `websockets` (default: the client
#                           tests' virtualenv, ~/.cache/fleck/venv, given `websockets` if it lacks it)
#
# Exits 3 when a target is missed (peak RSS ≥ 300 MB, a /liveness probe ≥ 100 ms or failed).
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"

RESULTS="${BENCH_RESULTS:-$ROOT/bench/results/attack-$(date +%Y%m%d-%H%M%S)}"
PY="${BENCH_PYTHON:-$FLECK_CACHE/venv/bin/python}"
BIN="${BENCH_BIN:-$CARGO_TARGET_DIR/release/fleck}"

if ! "$PY" -c 'import requests, websockets' 2>/dev/null; then
  if [ -n "${BENCH_PYTHON:-}" ]; then
    echo "attack: $PY cannot import requests and websockets" >&2; exit 2
  fi
  "$PY" -c 'import requests' 2>/dev/null || ensure_python_venv
  "$PY" -c 'import websockets' 2>/dev/null || {
    say "installing websockets into $FLECK_CACHE/venv (pip)"
    "$PY" -m pip install --quiet --disable-pip-version-check 'websockets>=13' >&2
  }
fi
ensure_apt curl curl

if [ -z "${BENCH_SKIP_BUILD:-}" ] && [ -z "${BENCH_BIN:-}" ]; then
  say "building the server (release)"
  cargo build --release -p fleck-server --bin fleck --locked
fi
[ -x "$BIN" ] || { echo "attack: no binary at $BIN" >&2; exit 2; }

mkdir -p "$RESULTS"
WORK="$(mktemp -d -t fleck-attack.XXXXXX)"
SERVER_PID=
stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
trap 'stop_server; rm -rf "$WORK"' EXIT

# A free port below the ephemeral range (32768 and up), so no client connection can hold it.
PORT="${BENCH_PORT:-$("$PY" - <<'PY'
import random, socket
for port in random.sample(range(20000, 32000), 200):
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    break
PY
)}"
URL="http://127.0.0.1:$PORT"

LIMITS=(RATELIMITER_ENABLED=false)
[ "${BENCH_RATELIMITS:-off}" = on ] && LIMITS=(RATELIMITER_ENABLED=true)

say "starting fleck serve on $URL (embedded defaults in $WORK)"
# Only what is set here picks the backends: none of the caller's DATABASE_URL, REDIS_URL, S3_*,
# SMTP_URL or fleck.toml may leak in (the server runs in the empty work folder).
(
  cd "$WORK" && exec env -u DATABASE_URL -u REDIS_URL -u S3_ENDPOINT -u S3_BUCKET -u SMTP_URL \
    -u FLECK_CONFIG -u FLECK_SECRET \
    FLECK_DATA_DIR="$WORK/data" FLECK_BIND="127.0.0.1:$PORT" FLECK_PUBLIC_URL="$URL" \
    FLECK_LOG="${BENCH_LOG:-warn}" "${LIMITS[@]}" "$BIN" serve
) >"$RESULTS/server.log" 2>&1 &
SERVER_PID=$!
for _ in $(seq 1 300); do
  curl -sf "$URL/readiness" >/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || break
  sleep 0.2
done
curl -sf "$URL/readiness" >/dev/null || {
  echo "attack: the server did not become ready; its log:" >&2
  tail -n 40 "$RESULTS/server.log" >&2
  exit 1
}

# The probe runs at normal priority; the attackers at nice $NICE, as if they ran elsewhere (on
# this machine they share the server's cores: at the same priority their own CPU, sending and
# unpacking hundreds of megabytes in Python, delays the probes as much as the server does).
NICE="${BENCH_CLIENT_NICE:-10}"
"$PY" bench/attack.py --url "$URL" --pid "$SERVER_PID" --monitor "$RESULTS/samples" &
MONITOR_PID=$!
trap 'kill "$MONITOR_PID" 2>/dev/null; stop_server; rm -rf "$WORK"' EXIT
say "attacking (each attack bounded; a few minutes in all; attackers at nice $NICE)"
rc=0
timeout 1800 nice -n "$NICE" "$PY" bench/attack.py --url "$URL" --pid "$SERVER_PID" \
  --samples "$RESULTS/samples" --out "$RESULTS/attack.json" "$@" | tee "$RESULTS/table.md" || rc=$?
kill "$MONITOR_PID" 2>/dev/null || true
if ! kill -0 "$SERVER_PID" 2>/dev/null; then
  echo "attack: the server died; its log's end:" >&2
  tail -n 40 "$RESULTS/server.log" >&2
  rc=1
fi
{
  echo
  echo "$(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), rate limits ${BENCH_RATELIMITS:-off}, attackers at nice $NICE, $(date -u +%Y-%m-%dT%H:%MZ)"
} | tee -a "$RESULTS/table.md"
say "results in $RESULTS"
exit "$rc"
