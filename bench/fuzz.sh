#!/usr/bin/env bash
# Fuzzing, long (issue 7): every libFuzzer target of tests/fuzz (clang, ASan,
# UBSan) for BENCH_FUZZ_SECONDS each (default 300), one after the other over
# its seed corpus; prints a markdown summary for bench/RESULTS.md. A finding
# fails the run and leaves its reproducer in build-fuzz/bench-run/.
# Settings: BENCH_FUZZ_SECONDS, BENCH_FUZZ_TARGETS (e.g. "json router"),
# BENCH_SKIP_BUILD=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
source "$SCHWARM_ROOT/tests/fuzz/lib.sh"

seconds=${BENCH_FUZZ_SECONDS:-300}
[ -n "${BENCH_FUZZ_TARGETS:-}" ] && read -r -a FUZZ_TARGETS <<<"$BENCH_FUZZ_TARGETS"
dir=$SCHWARM_ROOT/build-fuzz
out=$dir/bench-run

install_packages build-essential cmake pkg-config libboost1.81-dev libpqxx-dev libssl-dev libargon2-dev \
  "${FUZZ_PACKAGES[@]}"
[ -n "${BENCH_SKIP_BUILD:-}" ] || { bench "building $dir"; fuzz_build "$dir" >/dev/null; }

status=0
fuzz_run "$dir" "$seconds" "$out" || status=$?

echo "## Fuzzing (bench/fuzz.sh)"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ);" \
     "BENCH_FUZZ_SECONDS=$seconds, targets one after another, ASan + UBSan, -timeout=5"
echo
echo "| target | result | executions | exec/s | corpus (seeds + new) | coverage (edges) | peak RSS |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
for name in "${FUZZ_TARGETS[@]}"; do
  log=$out/$name.log
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
  rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log")
  rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
  cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)
  seeds=$(find "$SCHWARM_ROOT/tests/fuzz/corpus/$name" -type f | wc -l)
  new=$(find "$out/$name" -type f | wc -l)
  result=ok
  ls "$out/$name"-* >/dev/null 2>&1 && result="FINDING: $(ls "$out/$name"-* | xargs -n1 basename | tr '\n' ' ')"
  echo "| $name | $result | ${runs:-?} | ${rate:-?} | $seeds + $new | ${cov:-?} | ${rss:-?} MB |"
done
exit $status
