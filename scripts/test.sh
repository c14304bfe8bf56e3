#!/usr/bin/env bash
# Runs every test: formatting and lints, the workspace's tests on embedded defaults and on real
# PostgreSQL, Redis, S3 and SMTP (started here when not already running), then the browser tests
# and the specklepy client tests (clients/specklepy) against `fleck serve` on both backend sets.
# With CI=true a test that lacks a service fails instead of skipping.
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

say "checking formatting"
cargo fmt --all --check

ensure_apt psql postgresql-client
ensure_apt curl curl

say "starting the backing services"
eval "$(bash scripts/services.sh start)"

say "linting"
cargo clippy --workspace --all-targets --locked -- -D warnings

say "testing the workspace"
cargo test --workspace --locked

say "building the web app and the server for the browser tests"
ensure_apt chromium chromium
build_site release
cargo build --package fleck-server --bin fleck --locked
(cd end2end && npm ci --no-audit --no-fund --loglevel=error)
ensure_python_venv

E2E_PORT="${FLECK_E2E_PORT:-53931}"
E2E_DIR="$(mktemp -d)"
SERVER_PID=
stop_server() { [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null && wait "$SERVER_PID" 2>/dev/null; SERVER_PID=; }
trap 'stop_server; rm -rf "$E2E_DIR"' EXIT

browser_tests() { # browser_tests NAME EXPECTED-BACKENDS [VAR=VALUE…]
  local name="$1" backends="$2"; shift 2
  say "browser tests on $backends"
  mkdir -p "$E2E_DIR/$name"
  env FLECK_BIND="127.0.0.1:$E2E_PORT" FLECK_DATA_DIR="$E2E_DIR/$name" "$@" \
    "$CARGO_TARGET_DIR/debug/fleck" serve >"$E2E_DIR/$name.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    curl -sf "http://127.0.0.1:$E2E_PORT/readiness" >/dev/null && break
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$E2E_DIR/$name.log" >&2; return 1; }
    sleep 0.2
  done
  # The tests read mail where this server sends it: the SMTP capture server or the outbox.
  local mail="E2E_OUTBOX=$E2E_DIR/$name/outbox"
  [[ "$backends" == *smtp* ]] && mail="E2E_MAILDEV_URL=$FLECK_TEST_MAILDEV_URL"
  (cd end2end && env BASE_URL="http://127.0.0.1:$E2E_PORT" E2E_BACKENDS="$backends" E2E_ARTIFACTS="test-results/$name" "$mail" npm test) \
    || { cat "$E2E_DIR/$name.log" >&2; return 1; }
  say "specklepy tests on $backends"
  FLECK_URL="http://127.0.0.1:$E2E_PORT" "$FLECK_CACHE/venv/bin/python" -m pytest -q clients/specklepy \
    || { cat "$E2E_DIR/$name.log" >&2; return 1; }
  stop_server
}

browser_tests embedded sqlite,disk,memory,outbox

E2E_DB="fleck_e2e_$(date +%s)"
psql "$FLECK_TEST_POSTGRES_URL" -qc "CREATE DATABASE $E2E_DB" >/dev/null
browser_tests production postgres,s3,redis,smtp \
  DATABASE_URL="${FLECK_TEST_POSTGRES_URL%/*}/$E2E_DB" \
  REDIS_URL="$FLECK_TEST_REDIS_URL" REDIS_KEY_PREFIX="$E2E_DB:" \
  S3_ENDPOINT="$FLECK_TEST_S3_ENDPOINT" S3_BUCKET="${E2E_DB//_/-}" S3_CREATE_BUCKET=true \
  S3_ACCESS_KEY="$FLECK_TEST_S3_ACCESS_KEY" S3_SECRET_KEY="$FLECK_TEST_S3_SECRET_KEY" \
  SMTP_URL="$FLECK_TEST_SMTP_URL"
psql "$FLECK_TEST_POSTGRES_URL" -qc "DROP DATABASE $E2E_DB" >/dev/null

say "all tests passed; screenshots are in end2end/test-results"
