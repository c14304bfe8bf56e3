#!/usr/bin/env bash
# Builds Fleck (release) and serves it on embedded defaults at http://127.0.0.1:3000, data in
# ./fleck-data. Installs missing build tools first. Extra arguments go to `fleck serve`, and every
# FLECK_*, DATABASE_URL, REDIS_URL, S3_* and SMTP_URL variable is honoured (see `fleck --help`).
source "$(dirname "$0")/lib.sh"
cd "$ROOT"

build_site release
say "building the server (release)"
cargo build --package fleck-server --bin fleck --release --locked
say "starting Fleck"
exec "$CARGO_TARGET_DIR/release/fleck" serve "$@"
