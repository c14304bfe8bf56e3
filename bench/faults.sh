#!/usr/bin/env bash
# Fault suite (issue 16): runs `fleck serve` (release build) on both backend sets and breaks
# things under it — kill -9 during uploads, PostgreSQL, Redis and S3 stopped for 10 s under
# load, 32 SQLite writers, 64 readers, SIGTERM during a 20 MB upload, hostile glTF/OBJ imports —
# then prints one markdown table of what each fault cost (bench/faults.py does the work).
#
#   bench/faults.sh                       every case, both backend sets (about 7 minutes)
#   bench/faults.sh kill9 redis           only these cases
#
# Cases: kill9 writers readers sigterm postgres redis s3 hostile (see bench/faults.py).
# The outage cases need their own PostgreSQL, Redis and S3 (s3s-fs) to stop and start again:
# this script starts throwaway ones in a temporary folder on ports of their own, never the
# shared ones of scripts/services.sh, and stops them at the end.
#
# Environment:
#   BENCH_BIN=path              the fleck binary (default $CARGO_TARGET_DIR/release/fleck; no build)
#   FAULTS_BACKENDS="sqlite postgres"
#                               sqlite:   embedded defaults (SQLite, disk blobs, in-process cache)
#                               postgres: PostgreSQL + S3 + Redis, the throwaway instances
#   FAULTS_PG_PORT=27432 FAULTS_REDIS_PORT=27379 FAULTS_S3_PORT=29100
#   FAULTS_NICE=10              niceness of the servers and the driver (the machine is shared)
#   BENCH_RESULTS=dir           where results go (default bench/results/faults-<date-time>)
#   BENCH_PYTHON=…              interpreter with `requests` (default ~/.cache/fleck/venv/bin/python)
#
# Internal: `bench/faults.sh svc start|stop postgres|redis|s3` (FAULTS_WORK set) starts or stops
# one throwaway service; bench/faults.py calls it to make the outages.
source "$(dirname "$0")/lib.sh"

PG_PORT="${FAULTS_PG_PORT:-27432}"
REDIS_PORT="${FAULTS_REDIS_PORT:-27379}"
S3_PORT="${FAULTS_S3_PORT:-29100}"
S3_KEY=fleck-faults
S3_SECRET=fleck-faults-secret-key

pg_bindir() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n1; }
listening() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
wait_port() { # wait_port PORT up|down
  for _ in $(seq 1 200); do
    if listening "$1"; then [ "$2" = up ] && return 0; else [ "$2" = down ] && return 0; fi
    sleep 0.05
  done
  echo "$WHO: port $1 not $2" >&2
  return 1
}

svc() { # svc start|stop NAME, in $FAULTS_WORK
  local action="$1" name="$2" dir="$FAULTS_WORK/$2"
  case "$action:$name" in
    start:postgres)
      if [ ! -f "$dir/data/PG_VERSION" ]; then
        mkdir -p "$dir" && chown postgres "$dir"
        runuser -u postgres -- "$(pg_bindir)/initdb" -D "$dir/data" -A trust -U postgres >"$dir.init.log" 2>&1
      fi
      runuser -u postgres -- "$(pg_bindir)/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
        -o "-p $PG_PORT -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null
      wait_port "$PG_PORT" up ;;
    stop:postgres)
      # Immediate: the connections drop as in a crash; the restart recovers from the WAL.
      runuser -u postgres -- "$(pg_bindir)/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
      wait_port "$PG_PORT" down ;;
    start:redis)
      mkdir -p "$dir"
      redis-server --daemonize yes --bind 127.0.0.1 --port "$REDIS_PORT" --save '' --appendonly no \
        --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
      wait_port "$REDIS_PORT" up ;;
    stop:redis)
      # Saved on the way down (as a Redis with persistence would be), so sessions outlive it.
      redis-cli -p "$REDIS_PORT" shutdown save >/dev/null 2>&1 || true
      wait_port "$REDIS_PORT" down ;;
    start:s3)
      mkdir -p "$dir/data"
      nohup s3s-fs --host 127.0.0.1 --port "$S3_PORT" --access-key "$S3_KEY" --secret-key "$S3_SECRET" \
        "$dir/data" >>"$dir/s3.log" 2>&1 &
      echo $! >"$dir/s3.pid"
      wait_port "$S3_PORT" up ;;
    stop:s3)
      [ -f "$dir/s3.pid" ] && kill "$(cat "$dir/s3.pid")" 2>/dev/null || true
      rm -f "$dir/s3.pid"
      wait_port "$S3_PORT" down ;;
    *) echo "$WHO: svc start|stop postgres|redis|s3" >&2; return 2 ;;
  esac
}

if [ "${1:-}" = svc ]; then
  [ -n "${FAULTS_WORK:-}" ] || die "svc needs FAULTS_WORK"
  svc "$2" "$3"
  exit $?
fi

BACKENDS="${FAULTS_BACKENDS:-sqlite postgres}"
RESULTS="${BENCH_RESULTS:-$ROOT/bench/results/faults-$(date +%Y%m%d-%H%M%S)}"
NICE="${FAULTS_NICE:-10}"
[ -x "$BIN" ] || die "no binary at $BIN (build it, or set BENCH_BIN)"
need_python requests

for port in "$PG_PORT" "$REDIS_PORT" "$S3_PORT"; do
  if listening "$port"; then die "port $port is taken; set FAULTS_*_PORT"; fi
done

mkdir -p "$RESULTS"
export FAULTS_WORK="$(mktemp -d -t fleck-faults.XXXXXX)"
chmod 755 "$FAULTS_WORK"
cleanup() {
  for name in postgres redis s3; do svc stop "$name" 2>/dev/null || true; done
  rm -rf "$FAULTS_WORK"
}
trap cleanup EXIT

if [[ " $BACKENDS " == *" postgres "* ]]; then
  [ -n "$(pg_bindir)" ] || ensure_apt /usr/lib/postgresql/15/bin/postgres postgresql
  ensure_apt psql postgresql-client
  ensure_apt redis-server redis-server
  command -v s3s-fs >/dev/null || die "s3s-fs missing (scripts/services.sh installs it)"
  say "starting throwaway PostgreSQL :$PG_PORT, Redis :$REDIS_PORT, S3 :$S3_PORT in $FAULTS_WORK"
  svc start postgres && svc start redis && svc start s3
fi

export FAULTS_PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
export FAULTS_REDIS_URL="redis://127.0.0.1:$REDIS_PORT"
export FAULTS_S3_ENDPOINT="http://127.0.0.1:$S3_PORT" FAULTS_S3_KEY="$S3_KEY" FAULTS_S3_SECRET="$S3_SECRET"
export FAULTS_SCRIPT="$ROOT/bench/faults.sh"

rc=0
nice -n "$NICE" "$PY" "$ROOT/bench/faults.py" --bin "$BIN" --backends "$BACKENDS" \
  --results "$RESULTS" "$@" || rc=$?
{
  echo "bench/faults.sh, $(nproc) cores, $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo '?'), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  "$PY" "$ROOT/bench/faults.py" --table-from "$RESULTS"
} | tee "$RESULTS/table.md"
say "results in $RESULTS"
exit "$rc"
