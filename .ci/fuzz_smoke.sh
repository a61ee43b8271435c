#!/usr/bin/env bash
# Smoke run of the coverage-guided fuzz targets (engine/fuzz, cargo-fuzz and libFuzzer): builds
# every target, then runs each for a few seconds from its committed seeds, so that the harnesses
# cannot rot. Fails on a build error, a crash, a failed assertion or a timeout. This is not the
# fuzzing itself: TESTING.md gives the commands for the long runs.
# Usage: .ci/fuzz_smoke.sh [seconds per target, default 15]
set -euo pipefail
cd "$(dirname "$0")/../engine/fuzz"
seconds="${1:-15}"
# cargo-fuzz passes nightly-only flags (-Zsanitizer, ...); the stable toolchain accepts them
# when told it is bootstrapping itself. No nightly toolchain can be downloaded here.
export RUSTC_BOOTSTRAP=1
# Built as for the long runs (AddressSanitizer, cargo-fuzz's default), so that CI checks what
# TESTING.md's commands build. `FUZZ_SANITIZER=none` builds faster where ASan cannot link.
flags=(--sanitizer "${FUZZ_SANITIZER:-address}")
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz --locked
cargo fuzz build "${flags[@]}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in $(cargo fuzz list); do
  mkdir -p "$work/$target"
  # New inputs go to the scratch corpus (the first folder); the seeds are only read.
  if ! cargo fuzz run "${flags[@]}" "$target" "$work/$target" "seeds/$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -artifact_prefix="$work/" -print_final_stats=1 \
    >"$work/$target.log" 2>&1; then
    tail -60 "$work/$target.log" >&2
    echo "FAILED: fuzz target $target (the input that failed is printed above as bytes)" >&2
    exit 1
  fi
  echo "fuzz $target: $(grep -E '^stat::number_of_executed_units' "$work/$target.log" | awk '{print $2}') runs," \
    "$(grep -oE 'cov: [0-9]+ ft: [0-9]+' "$work/$target.log" | tail -1)"
done
echo "fuzz smoke: every target ran ${seconds}s without a failure"
