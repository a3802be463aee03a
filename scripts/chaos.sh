#!/usr/bin/env bash
# Crash and fault tests that take minutes (bounded, loopback only), one after
# the other so their timings mean something: the server killed with SIGKILL
# mid-sync ten times; secantusdb (MongoDB) stopped and restarted mid-sync; two
# server instances on one MongoDB, one of them killed mid-job. Every process a
# test starts is a child it stops by PID. Prints the figures RELIABILITY.md quotes.
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
chaos() {
  timeout "$1" cargo test -p server --test chaos --quiet -- --ignored --nocapture --exact "$2"
}
phase "install missing tools" scripts/install.sh test
phase "build the chaos tests" cargo test -p server --test chaos --no-run --quiet
phase "SIGKILL during syncs (10 rounds)" chaos 600 sigkill_during_syncs_loses_and_duplicates_nothing
phase "secantusdb restarted mid-sync" chaos 600 mongodb_restarted_mid_sync_the_job_recovers_and_loses_nothing
phase "two instances, one killed" chaos 600 two_instances_run_each_due_job_once_and_take_over_a_killed_ones_job
phase_summary
echo "    make chaos: $SECONDS s in all"
