# Shared by Fleck's scripts: where tools and build output live, and how missing tools get installed.
# Everything heavy is cached outside the clone, in $FLECK_CACHE, so later runs and other clones reuse it.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FLECK_CACHE="${FLECK_CACHE:-$HOME/.cache/fleck}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$FLECK_CACHE/target}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-$(nproc)}"
# Scripted builds start from clean clones: incremental caches would only pile up in the shared
# target folder (tens of GB over many runs) without ever being reused.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
TOOLS="$FLECK_CACHE/tools"
NODE_TOOLS="$FLECK_CACHE/node-tools"
export PATH="$TOOLS/bin:$NODE_TOOLS/node_modules/.bin:$HOME/.cargo/bin:$PATH"
mkdir -p "$FLECK_CACHE" "$TOOLS"

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Waits until the server at URL answers /readiness: at most TRIES × 0.2 s, and only while its
# process PID lives (a server that exits at start fails at once, not after the whole wait).
wait_ready() { # wait_ready URL PID TRIES
  local url="$1" pid="$2" tries="$3"
  for _ in $(seq 1 "$tries"); do
    curl -sf "$url/readiness" >/dev/null && return 0
    kill -0 "$pid" 2>/dev/null || return 1
    sleep 0.2
  done
  return 1
}

# Debian packages, installed only when a command is missing.
ensure_apt() { # ensure_apt COMMAND PACKAGE...
  local cmd="$1"; shift
  command -v "$cmd" >/dev/null 2>&1 && return 0
  apt_install "$@"
}

apt_install() { # apt_install PACKAGE...
  say "installing $* (apt)"
  if [ -z "${FLECK_APT_UPDATED:-}" ]; then
    apt-get update -qq >&2
    FLECK_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

# The wasm-bindgen CLI must match the wasm-bindgen crate in Cargo.lock exactly.
ensure_wasm_tools() {
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
    || { say "adding the wasm32 target"; rustup target add wasm32-unknown-unknown >&2; }
  local want
  want=$(awk '/^name = "wasm-bindgen"$/{getline; gsub(/[^0-9.]/,""); print; exit}' "$ROOT/Cargo.lock")
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$want" ]; then
    say "installing wasm-bindgen-cli $want (a few minutes, once)"
    # --locked can fail when the registry lacks the newest patch of a dependency; fall back unlocked.
    cargo install wasm-bindgen-cli --version "$want" --root "$TOOLS" --locked >&2 \
      || CARGO_RESOLVER_INCOMPATIBLE_RUST_VERSIONS=fallback \
         cargo install wasm-bindgen-cli --version "$want" --root "$TOOLS" >&2
  fi
  ensure_node_tools
}

# wasm-opt (npm binaryen; Debian's older build breaks hydration) and maildev, pinned in tools/.
ensure_node_tools() {
  ensure_apt npm nodejs npm
  if ! cmp -s "$ROOT/tools/package-lock.json" "$NODE_TOOLS/package-lock.json" \
     || [ ! -x "$NODE_TOOLS/node_modules/.bin/wasm-opt" ]; then
    say "installing build tools from tools/package.json (npm)"
    mkdir -p "$NODE_TOOLS"
    cp "$ROOT/tools/package.json" "$ROOT/tools/package-lock.json" "$NODE_TOOLS/"
    (cd "$NODE_TOOLS" && npm ci --no-audit --no-fund --loglevel=error >&2)
  fi
}

# The Python virtualenv for the client tests in clients/specklepy (the real specklepy and pytest,
# pinned in its requirements.txt); reinstalled only when that file changes.
ensure_python_venv() {
  local venv="$FLECK_CACHE/venv" req="$ROOT/clients/specklepy/requirements.txt"
  if ! cmp -s "$req" "$venv/requirements.txt" || [ ! -x "$venv/bin/python" ]; then
    if [ ! -x "$venv/bin/python" ]; then
      ensure_apt python3 python3
      # Debian ships venv's pip bootstrap in a package of its own.
      python3 -c 'import ensurepip' 2>/dev/null || apt_install python3-venv
      say "creating the Python virtualenv in $venv"
      python3 -m venv "$venv" >&2
    fi
    say "installing the Python client tests from clients/specklepy/requirements.txt (pip)"
    "$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r "$req" >&2
    cp "$req" "$venv/requirements.txt"
  fi
}

# The web app: the hydrate build to WebAssembly, then wasm-bindgen, wasm-opt and the stylesheet,
# as cargo-leptos does it (cargo-leptos itself takes an hour to compile on two cores).
# The page loads pkg/fleck.js, pkg/fleck_bg.wasm and pkg/fleck.css.
# PROFILE=release optimizes the wasm; anything else builds it quickly for tests.
build_site() {
  local profile="${1:-release}" site="$CARGO_TARGET_DIR/site"
  ensure_wasm_tools
  local cargo_profile=wasm-release out_dir=wasm-release
  if [ "$profile" != release ]; then cargo_profile=dev; out_dir=debug; fi
  say "building the web app ($cargo_profile)"
  cargo build --package fleck-frontend --lib --target wasm32-unknown-unknown --profile "$cargo_profile" --locked
  mkdir -p "$site/pkg"
  wasm-bindgen --target web --no-typescript --out-name fleck --out-dir "$site/pkg" \
    "$CARGO_TARGET_DIR/wasm32-unknown-unknown/$out_dir/fleck_frontend.wasm"
  if [ "$profile" = release ]; then
    wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
      "$site/pkg/fleck_bg.wasm" -o "$site/pkg/fleck_bg.wasm"
  fi
  cp "$ROOT/style/main.css" "$site/pkg/fleck.css"
  cp -r "$ROOT/public/." "$site/"
  export FLECK_SITE_DIR="$site"
}
