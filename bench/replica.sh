#!/usr/bin/env bash
# Read replicas (issue 17): throughput of the public listing, search and one
# project with the read routes served by a streaming replica
# (SCHWARM_READ_DATABASE_URL), as a ratio to the same server reading from the
# primary only, in the same script run; and where the database's CPU time
# went (primary or replica), which is what a replica on a machine of its own
# takes off the primary.
#
# Everything shares this machine's cores (client, server, primary, replica),
# so the ratio here prices the routing and a second cluster's cache, not the
# capacity a replica on its own machine adds.
#
# Settings: BENCH_DURATION (s, default 15), BENCH_CONNECTIONS (default 32),
# BENCH_THREADS (wrk, default 2), BENCH_PROJECTS (default 20000),
# BENCH_SKIP_BUILD=1, BENCH_BUILD_DIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
duration=${BENCH_DURATION:-15}
connections=${BENCH_CONNECTIONS:-32}
wrk_threads=${BENCH_THREADS:-2}
projects_n=${BENCH_PROJECTS:-20000}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}

install_packages "${APT_PACKAGES[@]}" wrk curl jq iproute2 procps
bench_build "$build_dir"
binary=$build_dir/schwarm
bench_workspace replica-bench
replica_port=$(free_port)
db_url=$(bench_database bench)

bench "loading $projects_n projects"
psql -X -q -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench -v users=1000 -v projects="$projects_n" \
  -v pledges=20000 -v settle_pledges=10 -f "$bench_dir/pledges-load.sql" >/dev/null
psql -X -q -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench -c "VACUUM ANALYZE" >/dev/null

bench "starting a streaming replica (pg_basebackup)"
pg_start_replica "$tmp/pg" "$pg_port" "$tmp/replica" "$replica_port"
replica_url=$(pg_url "$tmp/replica" "$replica_port" bench)
trap 'pg_stop "$tmp/replica"; bench_cleanup' EXIT

# cluster_cpu DIR: CPU seconds used so far by the cluster's postmaster and
# its children (the server's pooled connections stay for the whole run).
cluster_cpu() {
  local leader; leader=$(head -1 "$1/data/postmaster.pid")
  # (a process may end between the glob and cat: not an error here)
  { cat /proc/[0-9]*/stat 2>/dev/null || true; } | awk -v leader="$leader" -v hz="$(getconf CLK_TCK)" \
    '$1 == leader || $4 == leader { t += $14 + $15 } END { printf "%.1f", t / hz }'
}

declare -A rate p99 cpu_primary cpu_replica
names=(listing search project)
# A project the public may read (drafts answer 404).
project=$(psql -X -qtA -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench \
  -c "SELECT id FROM projects WHERE state = 'funding' ORDER BY id OFFSET 100 LIMIT 1")
declare -A paths=(
  [listing]="/v1/projects?limit=20"
  [search]="/v1/projects?q=Solardach&limit=20"
  [project]="/v1/projects/$project"
)
# measure CONFIG NAME
measure() {
  local key="$1/$2" out="$tmp/wrk-$1-$2.txt" p0 r0
  p0=$(cluster_cpu "$tmp/pg"); r0=$(cluster_cpu "$tmp/replica")
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency "$base${paths[$2]}" >"$out" 2>&1
  cpu_primary[$key]=$(echo "$(cluster_cpu "$tmp/pg") - $p0" | bc)
  cpu_replica[$key]=$(echo "$(cluster_cpu "$tmp/replica") - $r0" | bc)
  rate[$key]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$out")
  p99[$key]=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms/, "", v);
                                 else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } printf "%.1f", v }' "$out")
  local bad; bad=$(awk '/Non-2xx/ { print $NF }' "$out")
  [ -z "$bad" ] || { bench "$key had $bad non-2xx answers"; exit 1; }
}

for config in primary replica; do
  if [ "$config" = primary ]; then
    bench_serve "$db_url" SCHWARM_RATE_PER_CLIENT_PER_S=0
  else
    bench_serve "$db_url" SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_READ_DATABASE_URL="$replica_url"
  fi
  for name in "${names[@]}"; do
    warm=$(curl -sk -o /dev/null -w '%{http_code}' "$base${paths[$name]}")
    [ "$warm" = 200 ] || { bench "$config: ${paths[$name]} answered $warm"; exit 1; }
    bench "$config: ${paths[$name]}"
    measure "$config" "$name"
  done
  reads=$(curl -sk -H "Authorization: Bearer $bench_metrics_token" "$base/metrics" | awk '/^schwarm_reads_total/ { printf "%s ", $0 }')
  bench "$config: $reads"
  [ "$config" = primary ] || grep -q 'from="replica"' <<<"$reads" || { bench "no read was served by the replica"; exit 1; }
  bench_stop_server
done

echo "## Read replicas (bench/replica.sh)"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ);"
echo "$projects_n projects; wrk -t$wrk_threads -c$connections -d${duration}s over TLS; primary, replica, server and"
echo "client on the same cores."
echo
echo "| route | primary only req/s | p99 ms | with replica req/s | p99 ms | ratio | DB CPU s on primary / replica (primary only → with replica) |"
echo "|---|---|---|---|---|---|---|"
for name in "${names[@]}"; do
  ratio=$(echo "scale=2; ${rate[replica/$name]} / ${rate[primary/$name]}" | bc)
  printf '| `GET %s` | %s | %s | %s | %s | %s | %s / %s → %s / %s |\n' "${paths[$name]}" \
    "${rate[primary/$name]}" "${p99[primary/$name]}" "${rate[replica/$name]}" "${p99[replica/$name]}" "$ratio" \
    "${cpu_primary[primary/$name]}" "${cpu_replica[primary/$name]}" "${cpu_primary[replica/$name]}" "${cpu_replica[replica/$name]}"
done
