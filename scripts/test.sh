#!/usr/bin/env bash
# Runs every test: formatting and lints, the workspace's tests on embedded defaults and on real
# PostgreSQL, Redis, S3 and SMTP (started here when not already running), then the browser tests,
# the specklepy client tests (clients/specklepy) and the JavaScript object loader tests
# (clients/objectloader) against `fleck serve` on both backend sets (two replicas on the
# production one).
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

say "building the web app for the browser tests"
ensure_apt chromium chromium
build_site release
# The server the browser and client tests run is the debug `fleck` that `cargo test` has just
# built for the server's own tests. Building it again on its own would turn off the test-only
# features the dev-dependencies switch on (fleck-core's `testing` accessors; fleck-workers' `faults`,
# converters that misbehave only on a file marked for it) and so recompile four crates: two
# minutes on two cores.
[[ -x "$CARGO_TARGET_DIR/debug/fleck" ]] || { echo "cargo test left no $CARGO_TARGET_DIR/debug/fleck" >&2; exit 1; }
(cd end2end && npm ci --no-audit --no-fund --loglevel=error)
(cd clients/objectloader && npm ci --no-audit --no-fund --loglevel=error)
ensure_python_venv

# Below the ephemeral port range, like the services (scripts/services.sh).
E2E_PORT="${FLECK_E2E_PORT:-23931}"
E2E_DIR="$(mktemp -d)"
SERVER_PIDS=()
stop_server() {
  for pid in "${SERVER_PIDS[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  SERVER_PIDS=()
}
trap 'stop_server; rm -rf "$E2E_DIR"' EXIT

start_fleck() { # start_fleck PORT LOG [VAR=VALUE…]: `fleck serve` on PORT, once it is ready
  local port="$1" log="$2"; shift 2
  env FLECK_BIND="127.0.0.1:$port" "$@" "$CARGO_TARGET_DIR/debug/fleck" serve >"$log" 2>&1 &
  SERVER_PIDS+=($!)
  wait_ready "http://127.0.0.1:$port" "${SERVER_PIDS[-1]}" 100 && return 0
  cat "$log" >&2
  return 1
}

# against_server NAME WHAT COMMAND…: runs a test suite against the server of NAME. When it fails
# the server's log is printed, then the end of the suite's own output again, so that the failing
# test is what the last lines of a CI log show.
against_server() {
  local name="$1" what="$2"; shift 2
  local output="$E2E_DIR/$name.$what.out"
  "$@" 2>&1 | tee "$output"
  [[ "${PIPESTATUS[0]}" == 0 ]] && return 0
  say "the server's log" >&2
  cat "$E2E_DIR/$name.log" >&2
  say "$what failed on $name; the end of their output again:" >&2
  tail -n 60 "$output" >&2
  return 1
}

browser_tests() { # browser_tests NAME EXPECTED-BACKENDS [VAR=VALUE…]
  local name="$1" backends="$2"; shift 2
  say "starting fleck for the tests on $backends"
  mkdir -p "$E2E_DIR/$name"
  start_fleck "$E2E_PORT" "$E2E_DIR/$name.log" FLECK_DATA_DIR="$E2E_DIR/$name" "$@" || return 1
  # With shared backends a second replica (same database, cache, blobs and secret) shows that
  # what one replica does, the other sees: clients/specklepy/test_replicas.py.
  local replica=(--ignore=clients/specklepy/test_replicas.py)
  if [[ "$backends" == *redis* ]]; then
    start_fleck "$((E2E_PORT + 1))" "$E2E_DIR/$name.replica.log" FLECK_DATA_DIR="$E2E_DIR/$name" "$@" || return 1
    replica=()
  fi
  # A server administrator for the admin pages' tests, made as an operator would.
  local admin_email="admin-$name@example.com" admin_password="e2e admin password $RANDOM$RANDOM"
  printf '%s' "$admin_password" | env FLECK_DATA_DIR="$E2E_DIR/$name" "$@" "$CARGO_TARGET_DIR/debug/fleck" \
    admin create-user --email "$admin_email" --name "Eve Admin" --role admin --password-stdin >/dev/null
  # The tests read mail where this server sends it: the SMTP capture server or the outbox.
  local mail="E2E_OUTBOX=$E2E_DIR/$name/outbox"
  [[ "$backends" == *smtp* ]] && mail="E2E_MAILDEV_URL=$FLECK_TEST_MAILDEV_URL"
  say "browser tests on $backends"
  against_server "$name" "browser tests" env -C end2end BASE_URL="http://127.0.0.1:$E2E_PORT" E2E_BACKENDS="$backends" \
    E2E_ARTIFACTS="test-results/$name" "$mail" E2E_ADMIN_EMAIL="$admin_email" E2E_ADMIN_PASSWORD="$admin_password" \
    E2E_PYTHON="$FLECK_CACHE/venv/bin/python" npm test || return 1
  say "specklepy tests on $backends"
  against_server "$name" "specklepy tests" env FLECK_URL="http://127.0.0.1:$E2E_PORT" \
    FLECK_REPLICA_URL="http://127.0.0.1:$((E2E_PORT + 1))" \
    "$FLECK_CACHE/venv/bin/python" -m pytest -q clients/specklepy "${replica[@]}" || return 1
  say "objectloader tests on $backends"
  against_server "$name" "objectloader tests" env -C clients/objectloader FLECK_URL="http://127.0.0.1:$E2E_PORT" npm test \
    || return 1
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
