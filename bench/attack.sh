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
source "$(dirname "$0")/lib.sh"

RESULTS="${BENCH_RESULTS:-$ROOT/bench/results/attack-$(date +%Y%m%d-%H%M%S)}"

need_python requests websockets
"$PY" -c 'import websockets' 2>/dev/null || {
  say "installing websockets into $FLECK_CACHE/venv (pip)"
  "$PY" -m pip install --quiet --disable-pip-version-check 'websockets>=13' >&2
}
build_server

mkdir -p "$RESULTS"
WORK="$(mktemp -d -t fleck-attack.XXXXXX)"
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
serve "$PORT" "$WORK/data" "$RESULTS/server.log" FLECK_LOG="${BENCH_LOG:-warn}" "${LIMITS[@]}" || exit 1

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
  echo "$WHO: the server died; its log's end:" >&2
  tail -n 40 "$RESULTS/server.log" >&2
  rc=1
fi
{
  echo
  echo "$(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), rate limits ${BENCH_RATELIMITS:-off}, attackers at nice $NICE, $(date -u +%Y-%m-%dT%H:%MZ)"
} | tee -a "$RESULTS/table.md"
say "results in $RESULTS"
exit "$rc"
