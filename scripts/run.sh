#!/usr/bin/env bash
# Installs what is missing, builds the release site and runs the app in demo mode
# (embedded store in ./data, provider sandbox mounted). Ctrl-C stops it.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
scripts/install.sh run
echo "Building (the first build takes several minutes)…"
# --precompress writes .br and .gz next to the WASM, JS and CSS; the static file
# handler serves them to browsers that accept them (the WASM is 2.7 MB raw).
cargo leptos build --release --precompress 2>&1 | grep -E "^(error|warning: unused)|Finished|error\[" || true
test -x "$CARGO_TARGET_DIR/release/cloud-sources" || { echo "build failed; run 'cargo leptos build --release --precompress' to see why" >&2; exit 1; }
export LEPTOS_SITE_ROOT="$ROOT/target/site"
export CLOUD_SOURCES__DEMO=${CLOUD_SOURCES__DEMO:-true}
exec "$CARGO_TARGET_DIR/release/cloud-sources" serve
