#!/usr/bin/env bash
# Fuzzing (issue 16): runs each target of fuzz/ under libFuzzer (`cargo fuzz`, on the nightly
# toolchain) for a fixed time, starting from its corpus in fuzz/corpus/<target> (kept in the
# repository) and adding what it finds, then minimizes the corpus again. Prints one line per
# target: runs, corpus size, and whether it crashed.
#
#   bench/fuzz.sh                       every target, FUZZ_SECONDS each
#   bench/fuzz.sh import_obj ndjson_lines
#
# A crash stops that target with the input saved under fuzz/artifacts/<target>/ (and printed with
# the panic): make it a regression test in the crate whose parser failed, fix it, run again.
#
# Targets: object_batch (object upload bodies), ndjson_lines (NDJSON objects files),
# bundle_geometry and bundle_files (send3 bundles), import_obj, import_stl, import_gltf and
# import_ifc (the file-import converters).
#
# Environment:
#   FUZZ_SECONDS=60        time per target
#   FUZZ_RSS_MB=2048       memory one input may take before it counts as a crash
#   FUZZ_TIMEOUT=10        seconds one input may take before it counts as a crash
source "$(dirname "$0")/../scripts/lib.sh"
cd "$ROOT/fuzz"

SECONDS_EACH="${FUZZ_SECONDS:-60}"
ALL="object_batch ndjson_lines bundle_geometry bundle_files import_obj import_stl import_gltf import_ifc"
TARGETS="${*:-$ALL}"

rustup toolchain list | grep -q '^nightly' || rustup toolchain install nightly --profile minimal
cargo +nightly fuzz --version >/dev/null 2>&1 || cargo +nightly install cargo-fuzz --locked
# The fuzz crate has a target folder of its own: it is built with coverage instrumentation.
export CARGO_TARGET_DIR="$ROOT/fuzz/target"

say "building the fuzz targets"
cargo +nightly fuzz build --sanitizer none >&2

failed=0
printf '| target | seconds | runs | corpus files | result |\n|---|---:|---:|---:|---|\n'
for target in $TARGETS; do
  corpus="corpus/$target"
  mkdir -p "$corpus" "artifacts/$target"
  log="target/$target.log"
  if cargo +nightly fuzz run --sanitizer none "$target" "$corpus" -- \
      -max_total_time="$SECONDS_EACH" -rss_limit_mb="${FUZZ_RSS_MB:-2048}" \
      -timeout="${FUZZ_TIMEOUT:-10}" -max_len=1048576 -print_final_stats=1 >"$log" 2>&1; then
    result=ok
  else
    result="CRASH: $(ls -t "artifacts/$target" | head -n1)"
    failed=1
    grep -m5 -E "panicked|ERROR|SUMMARY" "$log" >&2 || tail -n 20 "$log" >&2
  fi
  runs=$(grep -m1 -oE 'stat::number_of_executed_units: *[0-9]+' "$log" | grep -oE '[0-9]+$' || echo "?")
  # Keep the corpus small: only inputs that reach code no other input does (edges, not hit
  # counts), so what the repository keeps stays a few hundred files a target.
  if [ "$result" = ok ]; then
    cargo +nightly fuzz cmin --sanitizer none "$target" "$corpus" -- -use_counters=0 \
      -use_value_profile=0 >"target/$target.cmin.log" 2>&1 || say "minimizing $corpus failed: see fuzz/target/$target.cmin.log"
  fi
  printf '| %s | %s | %s | %s | %s |\n' "$target" "$SECONDS_EACH" "$runs" "$(ls "$corpus" | wc -l)" "$result"
done
exit "$failed"
