#!/usr/bin/env bash
# Starts the production backends Fleck's tests run against, on 127.0.0.1, unless they already answer:
# PostgreSQL, Redis, an S3 server (s3s-fs) and an SMTP capture server (maildev). Installs what is
# missing. Prints the FLECK_TEST_* variables the tests read, as `export` lines for `eval`.
#   eval "$(scripts/services.sh)"        start (or reuse) and export
#   scripts/services.sh stop             stop what this script started
source "$(dirname "$0")/lib.sh"

RUN="$FLECK_CACHE/services"
# PostgreSQL refuses to run as root and must reach its data folder, which $HOME may hide.
PG_DIR="${FLECK_PG_DIR:-/tmp/fleck-postgres}"
# Ports below Linux's ephemeral range (32768 and up), which outgoing connections take theirs from:
# a server could otherwise find its port held by some client's socket.
PG_PORT="${FLECK_PG_PORT:-25432}"
REDIS_PORT="${FLECK_REDIS_PORT:-26379}"
S3_PORT="${FLECK_S3_PORT:-29000}"
SMTP_PORT="${FLECK_SMTP_PORT:-21025}"
MAILDEV_PORT="${FLECK_MAILDEV_PORT:-21080}"
S3_KEY=fleck-test
S3_SECRET=fleck-test-secret-key

listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_for() { # wait_for PORT NAME
  for _ in $(seq 1 100); do listening "$1" && return 0; sleep 0.1; done
  echo "services: $2 did not start on port $1; see $RUN/$2.log" >&2
  return 1
}

stop() {
  [ -f "$PG_DIR/data/postmaster.pid" ] && runuser -u postgres -- "$(pg_bindir)/pg_ctl" -D "$PG_DIR/data" -m fast stop >/dev/null 2>&1 || true
  [ -f "$RUN/redis/redis.pid" ] && kill "$(cat "$RUN/redis/redis.pid")" 2>/dev/null || true
  for name in s3 maildev; do
    [ -f "$RUN/$name.pid" ] && kill "$(cat "$RUN/$name.pid")" 2>/dev/null || true
    rm -f "$RUN/$name.pid"
  done
}

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }

start_postgres() {
  listening "$PG_PORT" && return 0
  [ -n "$(pg_bindir)" ] || ensure_apt /usr/lib/postgresql/15/bin/postgres postgresql
  local bindir
  bindir=$(pg_bindir)
  say "starting PostgreSQL on $PG_PORT"
  mkdir -p "$PG_DIR"
  chown postgres "$PG_DIR"
  if [ ! -f "$PG_DIR/data/PG_VERSION" ]; then
    runuser -u postgres -- "$bindir/initdb" -D "$PG_DIR/data" -A trust -U postgres >"$RUN/postgres.log" 2>&1
  fi
  runuser -u postgres -- "$bindir/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k /tmp -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300" \
    start >>"$RUN/postgres.log" 2>&1
  wait_for "$PG_PORT" postgres
}

start_redis() {
  listening "$REDIS_PORT" && return 0
  ensure_apt redis-server redis-server
  say "starting Redis on $REDIS_PORT"
  mkdir -p "$RUN/redis"
  redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
    --dir "$RUN/redis" --pidfile "$RUN/redis/redis.pid" --logfile "$RUN/redis.log"
  wait_for "$REDIS_PORT" redis
}

start_s3() {
  listening "$S3_PORT" && return 0
  if ! command -v s3s-fs >/dev/null 2>&1; then
    say "installing s3s-fs (a few minutes, once)"
    cargo install --locked s3s-fs --version 0.14.1 --features binary --root "$TOOLS" >&2
  fi
  say "starting s3s-fs on $S3_PORT"
  mkdir -p "$RUN/s3"
  nohup s3s-fs --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_KEY" --secret-key "$S3_SECRET" \
    "$RUN/s3" >"$RUN/s3.log" 2>&1 &
  echo $! >"$RUN/s3.pid"
  wait_for "$S3_PORT" s3
}

start_maildev() {
  listening "$SMTP_PORT" && return 0
  ensure_node_tools
  say "starting maildev on $SMTP_PORT (API on $MAILDEV_PORT)"
  mkdir -p "$RUN/mail"
  nohup maildev --ip 127.0.0.1 --smtp "$SMTP_PORT" --web-ip 127.0.0.1 --web "$MAILDEV_PORT" \
    --mail-directory "$RUN/mail" --silent >"$RUN/maildev.log" 2>&1 &
  echo $! >"$RUN/maildev.pid"
  wait_for "$SMTP_PORT" maildev && wait_for "$MAILDEV_PORT" maildev
}

case "${1:-start}" in
  stop) stop ;;
  start)
    mkdir -p "$RUN"
    start_postgres; start_redis; start_s3; start_maildev
    cat <<EOV
export FLECK_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$PG_PORT/postgres
export FLECK_TEST_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
export FLECK_TEST_S3_ENDPOINT=http://127.0.0.1:$S3_PORT
export FLECK_TEST_S3_ACCESS_KEY=$S3_KEY
export FLECK_TEST_S3_SECRET_KEY=$S3_SECRET
export FLECK_TEST_SMTP_URL=smtp://127.0.0.1:$SMTP_PORT
export FLECK_TEST_MAILDEV_URL=http://127.0.0.1:$MAILDEV_PORT
EOV
    ;;
  *) echo "usage: $0 [start|stop]" >&2; exit 2 ;;
esac
