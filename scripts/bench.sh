#!/usr/bin/env bash
# Benchmarks (minutes; never part of `make test`): the release `cloud-sources`
# binary against wsgidav and rclone, the provider simulators in their own process,
# Dovecot, wrk and pdftotext. Prints one table; BENCHMARKS.md quotes it.
#   scripts/bench.sh [--drive-files 10000,100000] [--webdav-files 10000] [--only webdav,nextcloud,drive,incremental,web]
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
phase "install missing tools" scripts/install.sh bench

echo "==> machine"
echo "    $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
  "$(awk '/MemTotal/ {printf "%.1f GB RAM", $2 / 1048576}' /proc/meminfo), $(date -u '+%Y-%m-%d %H:%M UTC')"

# The server and the site (hydrate WASM) exactly as `make run` builds them, and the
# two benchmark drivers in the same release profile.
build() {
  cargo leptos build --release --precompress 2>&1 | grep -E "^error|error\[|Finished" || true
  cargo build --release -p server --no-default-features --features sandbox \
    --example bench --example ingest_bench 2>&1 | grep -E "^error|error\[|Finished" || true
}
phase "release build" build
bin="$CARGO_TARGET_DIR/release/cloud-sources"
examples="$CARGO_TARGET_DIR/release/examples"
test -x "$bin" && test -x "$examples/bench" || { echo "build failed" >&2; exit 1; }
# The shared target directory is rebuilt by other checkouts: run private copies.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$bin" "$examples/bench" "$examples/ingest_bench" "$work/"

# Other work on the machine skews every figure: say how busy it was.
echo "    load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
"$work/bench" --bin "$work/cloud-sources" --ingest-bin "$work/ingest_bench" --site "$ROOT/target/site" "$@"
echo "    load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
