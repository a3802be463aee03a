#!/usr/bin/env bash
# Fuzzes the parsers that read what providers and files send us (PROPFIND XML,
# provider JSON, IMAP responses, e-mail, cron, globs, PDF, office files), each
# for a bounded time, one after the other, then prints runs and crashes per
# target. `FUZZ_SECONDS` (default 60) is the time per target;
# `scripts/fuzz.sh webdav_propfind extract_pdf` fuzzes only those targets.
#
# The targets live in server/fuzz (their own workspace, nightly, AddressSanitizer,
# their own target directory). Seeds are in server/fuzz/corpus/<target>; what the
# fuzzer learns goes to a working corpus in the cache, so the repository only
# changes when a crash is kept as a regression (server/fuzz/regressions/<target>,
# replayed by `cargo test -p server --test fuzz_regressions`).
set -euo pipefail
source "$(dirname "$0")/env.sh"
cd "$ROOT"
phase "install missing tools" scripts/install.sh fuzz

FUZZ_SECONDS=${FUZZ_SECONDS:-60}
FUZZ_DIR="$ROOT/server/fuzz"
FUZZ_TARGET_DIR="$CACHE/fuzz-target"
WORK="$CACHE/fuzz-work"
# Sanitizer flags differ from the main build: never share its target directory.
BUILD=(-O -a --fuzz-dir "$FUZZ_DIR" --target-dir "$FUZZ_TARGET_DIR")

if (($#)); then
  targets=("$@")
else
  mapfile -t targets < <(cargo +nightly fuzz list --fuzz-dir "$FUZZ_DIR")
fi

phase "build fuzz targets" nice -n 10 cargo +nightly fuzz build "${BUILD[@]}"

rows=()
failed=0
for target in "${targets[@]}"; do
  corpus="$WORK/corpus/$target"
  artifacts="$WORK/artifacts/$target"
  log="$WORK/logs/$target.log"
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  echo "==> fuzz $target for ${FUZZ_SECONDS} s"
  # The first corpus directory is written to; the seeds are only read. A run
  # slower than 25 s is a hang (the extractors give up after 30 s by design);
  # 2 GiB of RSS is out of memory (ingest caps inflation at 500 MB).
  status=0
  nice -n 10 cargo +nightly fuzz run "${BUILD[@]}" "$target" "$corpus" "$FUZZ_DIR/corpus/$target" -- \
    -max_total_time="$FUZZ_SECONDS" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" >"$log" 2>&1 || status=$?
  runs=$(awk '/stat::number_of_executed_units:/ { print $2 }' "$log" | tail -1)
  crash=$(grep -m1 -oE 'Test unit written to [^ ]+' "$log" | sed 's/Test unit written to //' || true)
  if ((status != 0)) || [ -n "$crash" ]; then
    failed=1
    rows+=("$(printf '%-18s %12s %8s  %s' "$target" "${runs:-?}" "1" "${crash:-exit $status, see $log}")")
    tail -40 "$log" >&2
  else
    rows+=("$(printf '%-18s %12s %8s' "$target" "${runs:-?}" "0")")
  fi
done

echo "==> Fuzzing summary (${FUZZ_SECONDS} s per target)"
printf '    %-18s %12s %8s\n' target runs crashes
printf '    %s\n' "${rows[@]}"
phase_summary
if ((failed)); then
  echo "A target crashed: fix it, then keep the input under server/fuzz/regressions/<target>/." >&2
  exit 1
fi
