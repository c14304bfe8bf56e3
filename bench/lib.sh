# Shared by the benchmark scripts, on top of scripts/lib.sh: the interpreter that runs the Python
# drivers ($PY), the release server they measure ($BIN), and `fleck serve` started on embedded
# defaults, apart from whatever backends the caller's environment names.
source "$(dirname "${BASH_SOURCE[0]}")/../scripts/lib.sh"
cd "$ROOT"

PY="${BENCH_PYTHON:-$FLECK_CACHE/venv/bin/python}"
BIN="${BENCH_BIN:-$CARGO_TARGET_DIR/release/fleck}"
WHO="bench/${0##*/}"
SERVER_PID=

die() { echo "$WHO: $*" >&2; exit 2; }

# need_python MODULE…: $PY must import every MODULE. The default interpreter is the client tests'
# virtualenv (it has `requests`), made or brought up to date here; a BENCH_PYTHON is the caller's.
need_python() {
  "$PY" -c "import $(IFS=,; echo "$*")" 2>/dev/null && return 0
  [ -z "${BENCH_PYTHON:-}" ] || die "$PY cannot import $*"
  ensure_python_venv
}

# build_server [site]: builds the release `fleck` (and with `site` the web app), unless
# BENCH_SKIP_BUILD is set or BENCH_BIN names a binary to use instead.
build_server() {
  if [ -z "${BENCH_SKIP_BUILD:-}" ] && [ -z "${BENCH_BIN:-}" ]; then
    if [ "${1:-}" = site ]; then
      say "building the web app (release)"
      build_site release
    fi
    say "building the server (release)"
    cargo build --release -p fleck-server --bin fleck --locked
  fi
  [ -x "$BIN" ] || die "no binary at $BIN"
}

# A port the system has no use for now (from the ephemeral range).
free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# serve PORT DATA LOG [VAR=VALUE…]: `fleck serve` ($BIN) on 127.0.0.1:PORT with its data in DATA
# and its output in LOG, run in the folder $WORK; sets SERVER_PID. Returns once it is ready, or
# stops it and fails, showing the end of its log, when it does not become ready.
serve() {
  local port="$1" data="$2" log="$3"; shift 3
  ensure_apt curl curl
  # Only what is set here picks the backends: the caller's DATABASE_URL, REDIS_URL, S3_*,
  # SMTP_URL or a fleck.toml must not leak in (the server runs in the work folder, which has none).
  (
    cd "$WORK" && exec env -u DATABASE_URL -u REDIS_URL -u S3_ENDPOINT -u S3_BUCKET -u SMTP_URL \
      -u FLECK_CONFIG -u FLECK_SECRET \
      FLECK_DATA_DIR="$data" FLECK_BIND="127.0.0.1:$port" FLECK_PUBLIC_URL="http://127.0.0.1:$port" \
      "$@" "$BIN" serve
  ) >"$log" 2>&1 &
  SERVER_PID=$!
  wait_ready "http://127.0.0.1:$port" "$SERVER_PID" 600 && return 0
  echo "$WHO: the server did not become ready; its log, $log:" >&2
  tail -n 40 "$log" >&2
  stop_server
  return 1
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
  fi
}
