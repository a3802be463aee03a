#!/usr/bin/env bash
# Builds the hydrate WebAssembly exactly as `cargo leptos build --release` does
# (same cargo arguments, target directory and environment, wasm-bindgen, then
# wasm-opt with cargo-leptos 0.3.10's flags) without building the release
# server, and prints its size raw, after wasm-opt and gzip -9.
# Usage: scripts/wasm-size.sh [OUT_DIR]   (default: target/wasm-size)
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
OUT=${1:-$ROOT/target/wasm-size}
NAME=cloud-sources

# The shared target directory holds every checkout's builds under the same
# names; touching our crates makes Cargo rebuild them from this checkout.
touch app/src/lib.rs frontend/src/lib.rs

# What cargo-leptos runs for the front end (src/compile/front.rs, the
# `lib-*` keys of [[workspace.metadata.leptos]] in Cargo.toml).
LEPTOS_OUTPUT_NAME=$NAME LEPTOS_SITE_ROOT=target/site LEPTOS_SITE_PKG_DIR=pkg \
LEPTOS_SITE_ADDR=127.0.0.1:3000 LEPTOS_RELOAD_PORT=3001 LEPTOS_LIB_DIR=frontend \
LEPTOS_BIN_DIR=server LEPTOS_JS_MINIFY=true LEPTOS_HASH_FILES=false \
  cargo build --package=frontend --lib --target-dir="$CARGO_TARGET_DIR/front" \
  --target=wasm32-unknown-unknown --no-default-features --features=hydrate \
  --profile=wasm-release
WASM="$CARGO_TARGET_DIR/front/wasm32-unknown-unknown/wasm-release/frontend.wasm"

rm -rf "$OUT" && mkdir -p "$OUT"
cp "$WASM" "$OUT/frontend.wasm"
# wasm-bindgen-cli must be the version of the wasm-bindgen crate in Cargo.lock.
wasm-bindgen --target=web --out-name=$NAME --out-dir="$OUT" "$OUT/frontend.wasm"
cp "$OUT/${NAME}_bg.wasm" "$OUT/$NAME.bindgen.wasm"
# wasm-opt from npm binaryen (node_modules/.bin, first on PATH via env.sh);
# Debian's binaryen 108 produces a module that does not hydrate.
wasm-opt -Oz --enable-bulk-memory --enable-nontrapping-float-to-int \
  "$OUT/$NAME.bindgen.wasm" -o "$OUT/$NAME.wasm"
rm "$OUT/${NAME}_bg.wasm"
gzip -9 -k -f "$OUT/$NAME.wasm"
gzip -9 -c "$OUT/$NAME.js" >"$OUT/$NAME.js.gz"

size() { stat -c %s "$1"; }
kb() { awk -v b="$1" 'BEGIN { printf "%8.1f KB", b / 1024 }'; }
echo "==> hydrate WASM sizes ($OUT)"
printf '    %-32s %s\n' \
  "cargo build (wasm-release)" "$(kb "$(size "$OUT/frontend.wasm")")" \
  "after wasm-bindgen" "$(kb "$(size "$OUT/$NAME.bindgen.wasm")")" \
  "after wasm-opt -Oz (served)" "$(kb "$(size "$OUT/$NAME.wasm")")" \
  "gzip -9 of the served WASM" "$(kb "$(size "$OUT/$NAME.wasm.gz")")" \
  "JS glue (not minified), gzip -9" "$(kb "$(size "$OUT/$NAME.js.gz")")"
