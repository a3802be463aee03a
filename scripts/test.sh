#!/usr/bin/env bash
# Installs what is missing, then runs every test: formatting and lints, the Rust
# tests (both stores, real peers, simulators) and the Playwright browser tests
# against a real server in demo mode. Fails on the first failing step.
# `scripts/test.sh browser [PLAYWRIGHT ARGS]` builds the site and runs only the
# browser tests (e.g. `scripts/test.sh browser -g "phone width"`).
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

# The e2e server binary, copied out of the shared target directory right after
# the build: other checkouts building there replace debug/cloud-sources with
# theirs, so the copy is what this run built.
E2E_BIN="$ROOT/target/e2e/cloud-sources"

build_site() {
  cargo leptos build
  mkdir -p "$(dirname "$E2E_BIN")"
  cp "$CARGO_TARGET_DIR/debug/cloud-sources" "$E2E_BIN"
}

# A real WebDAV server for the browser tests: wsgidav serving a temporary folder
# at /remote.php/dav/files/alice with Basic auth alice/secret (as the Rust tests'
# WebdavServer peer). Sets WEBDAV_URL, WEBDAV_PID and WEBDAV_DIR.
start_webdav() {
  local port; port=$(free_port)
  WEBDAV_DIR=$(mktemp -d)
  mkdir -p "$WEBDAV_DIR/files/Projects/Alpha" "$WEBDAV_DIR/files/Notes"
  echo "# Alpha" >"$WEBDAV_DIR/files/Projects/Alpha/README.md"
  echo "Meeting notes" >"$WEBDAV_DIR/files/Notes/2026-11-27.txt"
  python3 - "$WEBDAV_DIR" "$port" <<'PY'
import json, sys
work, port = sys.argv[1], int(sys.argv[2])
json.dump({
    "host": "127.0.0.1", "port": port,
    "provider_mapping": {"/remote.php/dav/files/alice": {"root": f"{work}/files"}},
    "simple_dc": {"user_mapping": {"*": {"alice": {"password": "secret"}}}},
    "http_authenticator": {"accept_basic": True, "accept_digest": False,
                           "default_to_digest": False, "domain_controller": None},
    "dir_browser": {"enable": False}, "lock_storage": True, "verbose": 1,
}, open(f"{work}/wsgidav.json", "w"))
PY
  (cd "$WEBDAV_DIR" && exec "$VENV/bin/wsgidav" -c wsgidav.json) >"$LOGS/e2e-webdav.log" 2>&1 &
  WEBDAV_PID=$!
  PIDS+=("$WEBDAV_PID")
  wait_for_port "$port" 30 || { cat "$LOGS/e2e-webdav.log" >&2; return 1; }
  export WEBDAV_URL="http://127.0.0.1:$port/remote.php/dav/files/alice/"
}

browser_tests() {
  local port; port=$(free_port)
  local data; data=$(mktemp -d)
  # The accounts the tests sign in with, created with the CLI before the server starts.
  export E2E_ALICE_PASSWORD=alice-e2e-password E2E_BOB_PASSWORD=bob-e2e-password E2E_CAROL_PASSWORD=carol-e2e-password
  # Registered for the secret scan: none may appear in the server's log.
  mkdir -p "$LOGS/secrets"
  printf '%s\n' "$E2E_ALICE_PASSWORD" "$E2E_BOB_PASSWORD" "$E2E_CAROL_PASSWORD" >"$LOGS/secrets/e2e.txt"
  CLOUD_SOURCES__DATA_DIR="$data" "$E2E_BIN" user add alice --password-stdin <<<"$E2E_ALICE_PASSWORD" >/dev/null
  CLOUD_SOURCES__DATA_DIR="$data" "$E2E_BIN" user add bob --password-stdin <<<"$E2E_BOB_PASSWORD" >/dev/null
  CLOUD_SOURCES__DATA_DIR="$data" "$E2E_BIN" user add carol --password-stdin <<<"$E2E_CAROL_PASSWORD" >/dev/null
  start_webdav
  # The WebDAV server is on loopback: the SSRF guard must be told to admit it.
  LEPTOS_SITE_ROOT="$ROOT/target/site" \
  CLOUD_SOURCES__DEMO=true \
  CLOUD_SOURCES__DATA_DIR="$data" \
  CLOUD_SOURCES__SERVER__ADDR="127.0.0.1:$port" \
  CLOUD_SOURCES__SECURITY__ALLOW_HOSTS='["127.0.0.1"]' \
    "$E2E_BIN" serve >"$LOGS/e2e-server.log" 2>&1 &
  local server=$!
  PIDS+=($server)
  wait_for_port "$port" 60 || { cat "$LOGS/e2e-server.log" >&2; return 1; }
  local status=0
  (cd end2end && BASE_URL="http://127.0.0.1:$port" npx playwright test "$@") || status=$?
  kill "$server"; wait "$server" 2>/dev/null || true
  kill "$WEBDAV_PID"; wait "$WEBDAV_PID" 2>/dev/null || true
  rm -rf "$data" "$WEBDAV_DIR"
  if [ "$status" -ne 0 ]; then
    echo "Playwright failed; traces and screenshots are in end2end/test-results, logs in $LOGS/e2e-server.log and $LOGS/e2e-webdav.log" >&2
  fi
  return "$status"
}

if [ "${1:-}" = browser ]; then
  # `scripts/test.sh browser`: only build the site and run the browser tests.
  phase "install missing tools" scripts/install.sh test
  phase "build site (cargo leptos build)" build_site
  shift
  phase "browser tests (Playwright)" browser_tests "$@"
  phase_summary
  exit 0
fi

# Each run scans only what it produced: the Rust tests' logs and answers
# (test-logs/rust) and the secrets registered for them start empty.
fresh_logs() { rm -rf "$LOGS/rust" "$LOGS/secrets"; mkdir -p "$LOGS/rust" "$LOGS/secrets"; }
# Any registered secret (passwords, tokens, client secrets, API keys the tests
# used) in any log or recorded answer fails the run, naming the file.
scan_secrets() { python3 "$ROOT/scripts/scan-secrets.py" "$LOGS"; }

phase "install missing tools" scripts/install.sh test
phase "format check" cargo fmt --all --check
phase "clippy" cargo clippy --workspace --all-targets --quiet -- -D warnings
phase "build site (cargo leptos build)" build_site
phase "start MongoDB peer (secantusdb)" start_mongodb
fresh_logs
phase "rust tests" cargo test -p app -p server --quiet
phase "browser tests (Playwright)" browser_tests
phase "secret scan of logs and answers" scan_secrets
phase_summary
