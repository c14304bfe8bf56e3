#!/usr/bin/env bash
# Version-compare benchmark: two versions of BENCH_ELEMENTS elements (default 100,000) with 1 %
# changed, compared on SQLite and, when its service runs, PostgreSQL (FLECK_TEST_POSTGRES_URL, as
# scripts/services.sh exports it). Prints one markdown row per backend: time and peak memory of
# computing the change set, and of reading it back once stored.
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT"
FLECK_BENCH_ELEMENTS="${BENCH_ELEMENTS:-100000}" \
  cargo test --release -p fleck-core --test it changes_scale:: -- --nocapture --test-threads 1 2>&1 \
  | grep -F '| ' | grep -v '^ *[0-9]* |' | sed 's/^test .* \.\.\. //'
