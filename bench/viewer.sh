#!/usr/bin/env bash
# Viewer benchmark: builds the release `fleck` and web app, generates synthetic models
# (bench/viewer_model.py), and measures
#   - the headless preview renderer: `fleck render` of a 100k-triangle model at 700×400;
#   - the browser viewer in headless Chromium on software WebGL (bench/viewer.mjs): time to the
#     first geometry and to the whole model, the frame time while orbiting and the time to the
#     full picture once it stops, for 1,000,000 triangles in 10,000 objects and for 100,000
#     objects, served by `fleck serve` on this machine.
# Prints one markdown table.
#
# Environment: BENCH_SKIP_BUILD=1 (use what $CARGO_TARGET_DIR/release and /site hold),
# BENCH_BIN=path (benchmark this binary), BENCH_PYTHON (interpreter with `requests`).
source "$(dirname "$0")/lib.sh"

build_server site
(cd end2end && [ -d node_modules ] || npm ci --no-audit --no-fund --loglevel=error)

WORK="$(mktemp -d -t fleck-viewer-bench.XXXXXX)"
trap 'stop_server; rm -rf "$WORK"' EXIT

say "generating models"
"$PY" bench/viewer_model.py 1000 100000 >"$WORK/100k-tris.json"
"$PY" bench/viewer_model.py 10000 1000000 >"$WORK/1m-tris.json"
"$PY" bench/viewer_model.py 100000 800000 >"$WORK/100k-objects.json"

say "headless preview: fleck render, 100k triangles, 700×400"
render_runs=()
for _ in 1 2 3; do
  render_runs+=("$("$BIN" render "$WORK/100k-tris.json" "$WORK/preview.png" --width 700 --height 400)")
done
printf '%s\n' "${render_runs[@]}"

PORT="$(free_port)"
URL="http://127.0.0.1:$PORT"
serve "$PORT" "$WORK/data" "$WORK/server.log" FLECK_SITE_DIR="$CARGO_TARGET_DIR/site" \
  RATELIMITER_ENABLED=false FLECK_LOG=warn

echo
echo "| model | first geometry | whole model | frame while orbiting | full picture after stopping |"
echo "|---|---:|---:|---:|---:|"
for model in 1m-tris 100k-objects; do
  read -r project model_id _ < <(cd bench && "$PY" viewer_upload.py "$URL" "$WORK/$model.json")
  result="$(node bench/viewer.mjs "$URL" "$project" "$model_id")"
  "$PY" -c 'import json, sys
r = json.loads(sys.argv[2])
assert not r["errors"], r["errors"]
print("| {} | {} ms | {} ms | {} ms | {} ms |".format(sys.argv[1], r["firstGeometryMs"], r["loadedMs"], r["frameMs"], r["settledMs"]))' "$model" "$result"
done
