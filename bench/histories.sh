#!/usr/bin/env bash
# Random money histories for as long as asked (issue 18): the end-to-end test
# "histories: random money histories keep the books" (tests/api/histories_test.cpp)
# run for BENCH_HISTORY_SECONDS (default 1800; ./test.sh runs it for 120).
# Each history: two servers on a fresh database of a private PostgreSQL,
# customers, campaigns and loans, random requests good and bad, bursts of
# concurrent ones, retries under the same key, requests cut off, SIGKILL of a
# server and immediate stops of PostgreSQL; the model and the books checked
# after every step. BENCH_HISTORY_SEED starts from that seed (each history
# takes the next); BENCH_HISTORY_STEPS sets steps per history (default 60).
# Prints the figures (histories, steps, requests, bursts, faults survived,
# retries, violations) as a section for bench/RESULTS.md, and a violation's
# seed, shrunk history and replay command if one is found.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
seconds=${BENCH_HISTORY_SECONDS:-1800}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
status=0
env SCHWARM_TEST_HISTORY_SECONDS="$seconds" \
  ${BENCH_HISTORY_SEED:+SCHWARM_TEST_HISTORY_FIRST_SEED=$BENCH_HISTORY_SEED} \
  ${BENCH_HISTORY_STEPS:+SCHWARM_TEST_HISTORY_STEPS=$BENCH_HISTORY_STEPS} \
  "$root/test.sh" --timeout $((seconds + 900)) -R "histories: random" -V >"$out" 2>&1 || status=$?
echo "## Random money histories (bench/histories.sh), $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores. Asked for ${seconds} s of histories; $(( $(date +%s) - start )) s including the build check."
echo "Command: BENCH_HISTORY_SECONDS=$seconds bench/histories.sh"
echo
grep -o 'HISTORIES .*' "$out" | tail -1 | sed 's/^HISTORIES /Figures: /' || echo "Figures: none (see the output below)"
if grep -q 'HISTORY VIOLATION' "$out"; then
  echo
  echo '```'
  sed -n '/HISTORY VIOLATION/,/Server logs/p' "$out"
  echo '```'
fi
grep -E 'tests passed|tests failed' "$out" | tail -1
[ "$status" -eq 0 ] || tail -40 "$out"
exit "$status"
