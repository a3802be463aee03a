#!/usr/bin/env bash
# Crash and fault tests that take minutes (bounded, loopback only): the server
# killed with SIGKILL mid-sync ten times. Prints the figures RELIABILITY.md quotes.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
phase "install missing tools" scripts/install.sh test
phase "SIGKILL during syncs (10 rounds)" timeout 900 cargo test -p server --test chaos --quiet -- --ignored --nocapture
phase_summary
