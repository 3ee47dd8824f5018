#!/usr/bin/env bash
# Projects and pledges benchmark (issue 4), on one private PostgreSQL 15
# cluster (fsync and synchronous_commit on) with BENCH_PROJECTS projects and
# BENCH_PLEDGES held pledges loaded (bench/pledges-load.sql: real ledger
# entries, balances that verify):
#   1. public listing and search pages over TLS (wrk, keep-alive): newest,
#      ending soonest, most funded, most backers, full-text search;
#   2. the anchor in the same run: single ledger transfers (bench/ledger-transfer.lua);
#   3. pledges to one hot project from BENCH_USERS backers (bench/pledge.lua),
#      durable: each acknowledged pledge is a committed ledger hold;
#   4. settlement: a campaign with BENCH_SETTLE_PLEDGES held pledges passes its
#      deadline; the time until the server's own job has posted every hold.
# Afterwards GET /v1/ledger/verify must find the books consistent.
#
# Settings: BENCH_PROJECTS (100000), BENCH_PLEDGES (1000000), BENCH_USERS (2000),
# BENCH_SETTLE_PLEDGES (100000), BENCH_DURATION (15 s per wrk run),
# BENCH_CONNECTIONS (64), BENCH_THREADS (2), BENCH_BUILD_DIR, BENCH_SKIP_BUILD=1,
# BENCH_KEEP_LOGS=DIR (wrk outputs and the server log are copied there),
# BENCH_PG_STAT_STATEMENTS=1 (prints the statements of the pledge run by time, for finding costs).
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$bench_dir/../run.sh"
source "$bench_dir/lib.sh"

projects_n=${BENCH_PROJECTS:-100000}
pledges_n=${BENCH_PLEDGES:-1000000}
users_n=${BENCH_USERS:-2000}
settle_n=${BENCH_SETTLE_PLEDGES:-100000}
duration=${BENCH_DURATION:-15}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}

install_packages "${APT_PACKAGES[@]}" wrk curl jq iproute2
bench_build "$build_dir"
binary=$build_dir/schwarm
bench_workspace pledges-bench
if [ -n "${BENCH_PG_STAT_STATEMENTS:-}" ]; then # where the pledges' time goes (costs a few %; not for the record)
  psql -X -q -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d postgres -c "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
  pg_stop "$tmp/pg"; pg_start "$tmp/pg" "$pg_port"
fi
db_url=$(bench_database bench)
sql() { psql -X -q -v ON_ERROR_STOP=1 -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench -tAc "$*"; }

bench "loading $projects_n projects, $pledges_n pledges ($settle_n on the settlement campaign), $users_n backers"
load_start=$(date +%s.%N)
psql -X -q -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench -v users="$users_n" -v projects="$projects_n" \
  -v pledges="$pledges_n" -v settle_pledges="$settle_n" -f "$bench_dir/pledges-load.sql" >/dev/null
load_s=$(echo "$(date +%s.%N) - $load_start" | bc)
bench "loaded in ${load_s}s"

for role in staff auditor; do
  printf '%s\n' bench-password-123 | DATABASE_URL=$db_url "$binary" user create --email "$role@bench.example" \
    --role "$role" --password-stdin >/dev/null
done
bench_serve "$db_url" SCHWARM_RATE_PER_CLIENT_PER_S=0
login() {
  curl -sk -f -H 'Content-Type: application/json' -d "{\"email\":\"$1@bench.example\",\"password\":\"bench-password-123\"}" \
    "$base/v1/sessions" | jq -r .token
}
staff_token=$(login staff)
auditor_token=$(login auditor)

bench "waiting for the sealer to catch up with the loaded entries"
for _ in $(seq 1 600); do
  [ "$(sql "SELECT low_water_id >= (SELECT max(id) FROM ledger_entries) FROM ledger_seal_state")" = t ] && break
  sleep 1
done

# wrk_plain NAME PATH: req/s and p99 (ms) of GET PATH.
declare -A rate p99
wrk_plain() {
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency "$base$2" >"$tmp/wrk-$1.txt" 2>&1
  rate[$1]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$tmp/wrk-$1.txt")
  p99[$1]=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms/, "", v);
                               else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } printf "%.1f", v }' "$tmp/wrk-$1.txt")
  local bad; bad=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk-$1.txt")
  [ -z "$bad" ] || bench "warning: $1 had $bad non-2xx answers"
}
listing_names=(newest deadline funded backers search)
declare -A listing_paths=(
  [newest]="/v1/projects?limit=20"
  [deadline]="/v1/projects?state=funding&sort=deadline&limit=20"
  [funded]="/v1/projects?sort=funded&limit=20"
  [backers]="/v1/projects?sort=backers&limit=20"
  [search]="/v1/projects?q=Solardach&limit=20"
)
for name in "${listing_names[@]}"; do
  bench "listing: ${listing_paths[$name]}"
  wrk_plain "$name" "${listing_paths[$name]}"
done

# Anchor: single transfers from the bank's cash account to wallets.
read -r hot first last < <(sql "SELECT (SELECT id FROM ledger_accounts WHERE code = 'bank:cash:EUR'),
  min(id), max(id) FROM ledger_accounts WHERE code LIKE 'wallet:%'" | tr '|' ' ')
bench "anchor: single ledger transfers"
env LEDGER_TOKEN="$staff_token" LEDGER_HOT="$hot" LEDGER_FIRST="$first" LEDGER_LAST="$last" LEDGER_KEY_PREFIX="t$RANDOM" \
  LEDGER_BATCH=0 wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --timeout 10s --latency \
  -s "$bench_dir/ledger-transfer.lua" "$base" >"$tmp/wrk-transfers.txt" 2>"$tmp/wrk-transfers.err"
read -r t_req t_dur t_p50 t_p99 t_err t_bad t_ok t_other t_booked < <(grep '^RESULT' "$tmp/wrk-transfers.txt" | cut -d' ' -f2-)

# Pledges to one hot project (the first funding project after the settlement one).
hot_project=$(sql "SELECT min(id) FROM projects WHERE state = 'funding' AND id > (SELECT min(id) FROM projects)")
# Owned by someone who does not pledge (backers may not back their own project).
sql "UPDATE projects SET owner_id = (SELECT id FROM users WHERE role = 'staff') WHERE id = $hot_project"
read -r user_first user_last < <(sql "SELECT min(id), max(id) FROM users WHERE role = 'customer'" | tr '|' ' ')
held_before=$(sql "SELECT count(*) FROM pledges WHERE project_id = $hot_project")
if [ -n "${BENCH_PG_STAT_STATEMENTS:-}" ]; then
  sql "CREATE EXTENSION IF NOT EXISTS pg_stat_statements" >/dev/null
  sql "SELECT pg_stat_statements_reset()" >/dev/null
fi
bench "pledges to project $hot_project"
env PLEDGE_PROJECT="$hot_project" PLEDGE_FIRST="$user_first" PLEDGE_LAST="$user_last" PLEDGE_KEY_PREFIX="p$RANDOM" \
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --timeout 10s --latency -s "$bench_dir/pledge.lua" "$base" \
  >"$tmp/wrk-pledges.txt" 2>"$tmp/wrk-pledges.err"
read -r p_req p_dur p_p50 p_p99 p_err p_bad p_ok p_other < <(grep '^RESULT' "$tmp/wrk-pledges.txt" | cut -d' ' -f2-)
held_after=$(sql "SELECT count(*) FROM pledges WHERE project_id = $hot_project")
if [ -n "${BENCH_PG_STAT_STATEMENTS:-}" ]; then
  psql -X -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench -P pager=off -c "SELECT calls, round(total_exec_time::numeric) AS ms,
    round(mean_exec_time::numeric, 3) AS mean_ms, left(regexp_replace(query, '\s+', ' ', 'g'), 100) AS query
    FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >&2
fi
stored=$((held_after - held_before))

# Settlement of the loaded campaign by the server's own job.
settle_project=$(sql "SELECT min(id) FROM projects")
settle_count=$(sql "SELECT count(*) FROM pledges WHERE project_id = $settle_project AND state = 'held'")
bench "settlement of project $settle_project ($settle_count held pledges)"
settle_start=$(date +%s.%N)
sql "UPDATE projects SET deadline = now() WHERE id = $settle_project"
for _ in $(seq 1 1200); do
  [ "$(sql "SELECT state FROM projects WHERE id = $settle_project")" != funding ] && break
  sleep 0.05
done
settle_s=$(echo "$(date +%s.%N) - $settle_start" | bc)
settle_state=$(sql "SELECT state FROM projects WHERE id = $settle_project")
settle_posted=$(sql "SELECT count(*) FROM pledges WHERE project_id = $settle_project AND state = 'posted'")

verify_ok=$(curl -sk -H "Authorization: Bearer $auditor_token" "$base/v1/ledger/verify" | jq -r .ok)

# --- report ---------------------------------------------------------------------
cpu=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
echo "## Projects and pledges (bench/pledges.sh), $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores ($cpu), PostgreSQL $(sql 'SHOW server_version') with fsync and synchronous_commit on;"
echo "wrk -t$wrk_threads -c$connections, ${duration}s per run, over TLS with keep-alive; server defaults (1 I/O thread, 8 workers)."
echo "Loaded: $projects_n projects, $pledges_n held pledges (real ledger entries), $users_n backers, in ${load_s%.*} s."
echo
echo "| run | req/s | p99 ms |"
echo "|---|---:|---:|"
for name in "${listing_names[@]}"; do echo "| GET ${listing_paths[$name]} | ${rate[$name]} | ${p99[$name]} |"; done
awk -v r="$t_req" -v d="$t_dur" -v p="$t_p99" -v ok="$t_ok" 'BEGIN { printf "| anchor: single ledger transfers (POST /v1/ledger/entries) | %.0f | %.1f |\n", ok / (d / 1e6), p / 1000 }'
awk -v r="$p_req" -v d="$p_dur" -v p="$p_p99" -v ok="$p_ok" 'BEGIN { printf "| pledges to one hot project (POST /v1/projects/{id}/pledges) | %.0f | %.1f |\n", ok / (d / 1e6), p / 1000 }'
echo
echo "Pledges: $p_ok acknowledged, $p_other refused, $p_err socket errors; $stored stored (acknowledged plus those in flight when wrk stopped)."
echo "Settlement: $settle_count held pledges → state $settle_state, $settle_posted posted, in ${settle_s} s (deadline moved, then the server's job; chunks of 5000)."
echo "GET /v1/ledger/verify afterwards: ok = $verify_ok."
