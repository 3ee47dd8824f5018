#!/usr/bin/env bash
# Faults under mixed load, longer than CI's run (issue 7, item 5): the
# end-to-end test "faults: mixed load survives SIGKILL and a PostgreSQL crash"
# (tests/api/mixed_faults_test.cpp) with BENCH_FAULT_CYCLES kill-and-crash
# cycles (default 10; CI runs 1). Each cycle: two servers on one database
# under pledges, ballots, registrations, transfers and exports; one server is
# SIGKILLed and restarted, then PostgreSQL is stopped in immediate mode and
# restarted. Afterwards every acknowledged request is present exactly once,
# retries book nothing twice, and the ledger verifies and balances.
# Prints the test's counts (the FAULTS line) and its verdict.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cycles=${BENCH_FAULT_CYCLES:-10}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
start=$(date +%s)
status=0
SCHWARM_TEST_FAULT_CYCLES=$cycles "$root/test.sh" -R "faults: mixed" -V >"$out" 2>&1 || status=$?
echo "## Faults under mixed load (bench/faults.sh), $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores. $cycles cycles, $(( $(date +%s) - start )) s including the build check."
grep -o 'FAULTS .*' "$out" | head -1 | sed 's/^FAULTS /Acknowledged and checked: /'
grep -E 'tests passed|tests failed' "$out" | tail -1
exit "$status"
