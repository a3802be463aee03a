#!/usr/bin/env bash
# Installs what is missing, then runs every test: formatting and lints, the Rust
# tests (both stores, real peers, simulators) and the Playwright browser tests
# against a real server in demo mode. Fails on the first failing step.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"

PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
}
trap cleanup EXIT

LOGS="$CARGO_TARGET_DIR/test-logs"
mkdir -p "$LOGS"

start_mongodb() {
  local port; port=$(free_port)
  "$VENV/bin/secantusd-py" --host 127.0.0.1 --port "$port" --storage-path :memory: >"$LOGS/secantusdb.log" 2>&1 &
  PIDS+=($!)
  wait_for_port "$port" 60 || { cat "$LOGS/secantusdb.log" >&2; return 1; }
  export CLOUD_SOURCES_TEST_MONGODB_URI="mongodb://127.0.0.1:$port/"
  echo "    secantusdb on $CLOUD_SOURCES_TEST_MONGODB_URI (pid ${PIDS[-1]})"
}

browser_tests() {
  local port; port=$(free_port)
  local data; data=$(mktemp -d)
  LEPTOS_SITE_ROOT="$ROOT/target/site" \
  CLOUD_SOURCES__DEMO=true \
  CLOUD_SOURCES__DATA_DIR="$data" \
  CLOUD_SOURCES__SERVER__ADDR="127.0.0.1:$port" \
    "$CARGO_TARGET_DIR/debug/cloud-sources" serve >"$LOGS/e2e-server.log" 2>&1 &
  local server=$!
  PIDS+=($server)
  wait_for_port "$port" 60 || { cat "$LOGS/e2e-server.log" >&2; return 1; }
  local status=0
  (cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test) || status=$?
  kill "$server"; wait "$server" 2>/dev/null || true
  rm -rf "$data"
  if [ "$status" -ne 0 ]; then
    echo "Playwright failed; traces and screenshots are in end2end/test-results, server log in $LOGS/e2e-server.log" >&2
  fi
  return "$status"
}

phase "install missing tools" scripts/install.sh test
phase "format check" cargo fmt --all --check
phase "clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
phase "build site (cargo leptos build)" cargo leptos build
phase "start MongoDB peer (secantusdb)" start_mongodb
phase "rust tests" cargo test -p app -p server --quiet
phase "browser tests (Playwright)" browser_tests
phase_summary
