#!/usr/bin/env bash
# Co-creation benchmark (issue 14), on one private PostgreSQL 15 cluster
# (fsync and synchronous_commit on) with BENCH_IDEAS ideas and about
# BENCH_SUPPORTS supports loaded (bench/ideas-load.sql), momentum as the server
# keeps it:
#   1. the anchor in the same run: the plain project listing
#      (GET /v1/projects?limit=20, over BENCH_PROJECTS projects);
#   2. ideas by momentum, first page and at random keyset positions
#      (bench/idea-pages.lua), by support, one category by momentum, search;
#   3. supports of one hot idea from customers who have not supported it yet
#      (bench/idea-support.lua), durable: each acknowledged support is
#      committed, with its audit record and the supporter's follow;
#   4. momentum decay: BENCH_DECAY supports that count in momentum are aged
#      past their 7 days at once; the time until the server's own step has
#      taken them all out.
# Afterwards every idea's counters must equal what its supports say.
#
# Settings: BENCH_IDEAS (100000), BENCH_SUPPORTS (2000000), BENCH_USERS (2000),
# BENCH_SUPPORTERS (200000, the hot idea's), BENCH_PROJECTS (100000),
# BENCH_DECAY (100000), BENCH_DURATION (15 s per wrk run), BENCH_CONNECTIONS (64),
# BENCH_THREADS (2), BENCH_BUILD_DIR, BENCH_SKIP_BUILD=1, BENCH_KEEP_LOGS=DIR.
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$bench_dir/../run.sh"
source "$bench_dir/lib.sh"

ideas_n=${BENCH_IDEAS:-100000}
supports_n=${BENCH_SUPPORTS:-2000000}
users_n=${BENCH_USERS:-2000}
supporters_n=${BENCH_SUPPORTERS:-200000}
projects_n=${BENCH_PROJECTS:-100000}
decay_n=${BENCH_DECAY:-100000}
duration=${BENCH_DURATION:-15}
connections=${BENCH_CONNECTIONS:-64}
wrk_threads=${BENCH_THREADS:-2}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}
threshold=35

install_packages "${APT_PACKAGES[@]}" wrk curl jq iproute2 bc
bench_build "$build_dir"
binary=$build_dir/schwarm
bench_workspace ideas-bench
db_url=$(bench_database bench)
sql() { psql -X -q -v ON_ERROR_STOP=1 -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench -tAc "$*"; }

bench "loading $ideas_n ideas, about $supports_n supports, $users_n members, $supporters_n supporters, $projects_n projects"
load_start=$(date +%s.%N)
psql -X -q -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d bench -v users="$users_n" -v supporters="$supporters_n" \
  -v ideas="$ideas_n" -v supports="$supports_n" -v projects="$projects_n" -v threshold="$threshold" \
  -f "$bench_dir/ideas-load.sql" >/dev/null
load_s=$(echo "$(date +%s.%N) - $load_start" | bc)
loaded_supports=$(sql "SELECT count(*) FROM idea_supports")
counted=$(sql "SELECT count(*) FROM idea_supports WHERE momentum_until IS NOT NULL")
bench "loaded in ${load_s}s: $loaded_supports supports, $counted of them in momentum"

bench_serve "$db_url" SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_IDEA_SUPPORT_THRESHOLD=$threshold

# wrk_run NAME PATH [SCRIPT]: req/s and p99 (ms) of GET PATH (or of SCRIPT's requests).
declare -A rate p99
wrk_run() {
  local script=()
  [ -n "${3:-}" ] && script=(-s "$3")
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency "${script[@]}" "$base$2" >"$tmp/wrk-$1.txt" 2>&1
  rate[$1]=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' "$tmp/wrk-$1.txt")
  p99[$1]=$(awk '$1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 } else if (v ~ /ms$/) sub(/ms/, "", v);
                               else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 } printf "%.1f", v }' "$tmp/wrk-$1.txt")
  local bad; bad=$(awk '/Non-2xx/ { print $NF }' "$tmp/wrk-$1.txt")
  [ -z "$bad" ] || bench "warning: $1 had $bad non-2xx answers"
}

names=(anchor momentum pages support category search)
declare -A paths=(
  [anchor]="/v1/projects?limit=20"
  [momentum]="/v1/ideas?sort=momentum&limit=20"
  [pages]="/v1/ideas?sort=momentum&limit=20&cursor=m.<random>.<random>"
  [support]="/v1/ideas?sort=support&limit=20"
  [category]="/v1/ideas?category=energy&sort=momentum&limit=20"
  [search]="/v1/ideas?q=Lastenräder&sort=momentum&limit=20"
)
export PAGES_MOMENTUM_MAX PAGES_ID_MAX
PAGES_MOMENTUM_MAX=$(sql "SELECT max(momentum) FROM ideas")
PAGES_ID_MAX=$(sql "SELECT max(id) FROM ideas")
for name in "${names[@]}"; do
  bench "listing: ${paths[$name]}"
  if [ "$name" = pages ]; then wrk_run pages "/" "$bench_dir/idea-pages.lua"
  elif [ "$name" = search ]; then wrk_run search "/v1/ideas?q=Lastenr%C3%A4der&sort=momentum&limit=20"
  else wrk_run "$name" "${paths[$name]}"; fi
done

# Supports of one hot idea, owned by a member, from the supporters (ids
# after the members') who have not supported anything yet.
hot=$(sql "SELECT min(id) FROM ideas WHERE phase = 'empathise'")
read -r s_first s_last < <(sql "SELECT min(id), max(id) FROM users WHERE role = 'customer' AND id >
  (SELECT max(id) FROM (SELECT id FROM users WHERE role = 'customer' ORDER BY id LIMIT $users_n) m)" | tr '|' ' ')
before=$(sql "SELECT supports FROM ideas WHERE id = $hot")
bench "supports of idea $hot from users $s_first..$s_last"
env SUPPORT_IDEA="$hot" SUPPORT_FIRST="$s_first" SUPPORT_LAST="$s_last" SUPPORT_THREADS="$wrk_threads" \
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --timeout 10s --latency -s "$bench_dir/idea-support.lua" "$base" \
  >"$tmp/wrk-supports.txt" 2>"$tmp/wrk-supports.err"
read -r s_req s_dur s_p50 s_p99 s_err s_bad s_ok s_other < <(grep '^RESULT' "$tmp/wrk-supports.txt" | cut -d' ' -f2-)
after=$(sql "SELECT supports FROM ideas WHERE id = $hot")
hot_phase=$(sql "SELECT phase FROM ideas WHERE id = $hot")
stored=$((after - before))

# Decay: supports that count in momentum, aged past their window at once.
bench "decay: $decay_n supports aged out"
# "momentum_until IS NOT NULL" on the row itself: a support that ages out on
# its own while this statement runs, and that the server's step has taken out
# meanwhile, must not be put back in (it would be taken out twice).
sql "UPDATE idea_supports SET momentum_until = now() - interval '1 second' WHERE momentum_until IS NOT NULL
  AND (idea_id, supporter_id) IN
  (SELECT idea_id, supporter_id FROM idea_supports WHERE momentum_until > now() ORDER BY momentum_until LIMIT $decay_n)" >/dev/null
decay_start=$(date +%s.%N)
for _ in $(seq 1 1200); do
  [ "$(sql "SELECT count(*) FROM idea_supports WHERE momentum_until <= now()")" = 0 ] && break
  sleep 0.1
done
decay_s=$(echo "$(date +%s.%N) - $decay_start" | bc)

# Counters as the supports say.
mismatched=$(sql "SELECT count(*) FROM ideas i LEFT JOIN (SELECT idea_id, count(*) AS n,
  count(*) FILTER (WHERE momentum_until > now()) AS m FROM idea_supports GROUP BY idea_id) s ON s.idea_id = i.id
  WHERE i.supports <> coalesce(s.n, 0) OR i.momentum <> coalesce(s.m, 0)")

# --- report ---------------------------------------------------------------------
cpu=$(lscpu | awk -F: '/Model name/ { gsub(/^ +/, "", $2); print $2; exit }')
echo "## Co-creation: ideas by momentum and supports (bench/ideas.sh), $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores ($cpu), PostgreSQL $(sql 'SHOW server_version') with fsync and synchronous_commit on;"
echo "wrk -t$wrk_threads -c$connections, ${duration}s per run, over TLS with keep-alive; server defaults (1 I/O thread, 8 workers)."
echo "Loaded: $ideas_n ideas, $loaded_supports supports ($counted in momentum), $projects_n projects, in ${load_s%.*} s."
echo
echo "| run | req/s | p99 ms | vs anchor |"
echo "|---|---:|---:|---:|"
for name in "${names[@]}"; do
  awk -v n="$name" -v p="${paths[$name]}" -v r="${rate[$name]}" -v l="${p99[$name]}" -v a="${rate[anchor]}" \
    'BEGIN { printf "| %sGET %s | %d | %s | %.0f %% |\n", (n == "anchor" ? "anchor: " : ""), p, r, l, 100 * r / a }'
done
awk -v d="$s_dur" -v p="$s_p99" -v ok="$s_ok" -v a="${rate[anchor]}" 'BEGIN {
  printf "| supports of one hot idea (POST /v1/ideas/{id}/support) | %.0f | %.1f | %.0f %% |\n", ok / (d / 1e6), p / 1000,
         100 * ok / (d / 1e6) / a }'
echo
echo "Supports: $s_ok acknowledged, $s_other refused, $s_err socket errors; the idea's count grew by $stored (acknowledged plus those in flight when wrk stopped); its phase: $hot_phase."
echo "Decay: $decay_n supports aged out at once, out of the momentum in ${decay_s} s (the server's step: 1,000 a call, up to 20 calls a second)."
echo "Ideas whose supports or momentum differ from their supports afterwards: $mismatched."
