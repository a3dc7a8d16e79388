#!/usr/bin/env bash
# Strata's benchmark suite, one command: tests/bench/run.sh [--quick] [--only NAMES] [--runs K]
# Generated projects and their builds go to $STRATA_BENCH_DIR (default:
# $CARGO_TARGET_DIR/strata-bench, else target/strata-bench); see tests/bench/RESULTS.md.
set -euo pipefail
repo=$(cd "$(dirname "$0")/../.." && pwd)
out=${STRATA_BENCH_DIR:-${CARGO_TARGET_DIR:-$repo/target}/strata-bench}
exec python3 "$repo/tests/bench/bench.py" --repo "$repo" --out "$out" "$@"
