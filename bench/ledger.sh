#!/usr/bin/env bash
# Ledger benchmark: durable double-entry bookings over HTTPS with keep-alive.
#
# In one run, on one private PostgreSQL 15 cluster (fsync on, synchronous_commit
# on: every acknowledged commit is on disk):
#   1. anchors with pgbench: the built-in TPC-B script (-s 16) and a single-row
#      INSERT script, 16 clients each;
#   2. schwarm: wrk POSTs single transfers to /v1/ledger/entries, each debiting
#      one hot account and crediting a random one of BENCH_ACCOUNTS others,
#      each with its own Idempotency-Key (bench/ledger-transfer.lua);
#   3. schwarm: wrk POSTs /v1/ledger/batches of BENCH_BATCH_ENTRIES such
#      transfers (2 postings each) per request.
# Each schwarm setting gets a fresh database; afterwards the script checks
# that the database holds every acknowledged entry (and at most the ones wrk
# abandoned in flight when it stopped) and that GET /v1/ledger/verify (as an
# auditor) finds the books consistent. wrk, schwarm and PostgreSQL share the
# machine's cores.
#
# Prints a markdown report: tables, anchors, CPU split, targets met or missed.
# Everything it starts lives in a temp dir and is stopped and removed on exit.
#
# Settings (environment; BENCH_* because the server rejects unknown SCHWARM_*):
#   BENCH_CONFIGS      schwarm settings, "IO_THREADS:DB_WORKERS:BATCH_MAX ..."
#                      (default "1:2:1000 1:4:1000 1:8:1000"; server default 1:8:1000)
#   BENCH_CONNECTIONS  wrk connections for single transfers (default "64 128 256";
#                      above 512 the server's SCHWARM_DB_QUEUE_MAX answers 503)
#   BENCH_BATCH_CONNECTIONS  wrk connections for batch requests (default 4)
#   BENCH_BATCH_ENTRIES      entries per batch request (default 1000)
#   BENCH_ACCOUNTS     accounts besides the hot one (default 1000)
#   BENCH_DURATION     seconds per wrk run (default 15)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_PGBENCH_DURATION   seconds per pgbench run (default 20)
#   BENCH_SKIP_PGBENCH=1     no anchors (for quick experiments only)
#   BENCH_PORT / BENCH_PG_PORT   ports (default: free ones)
#   BENCH_IDLE_WAIT_S  before each run, wait up to this long for an idle CPU
#                      (default 30; the busy share is reported either way)
#   BENCH_BUILD_DIR    build directory (default build/)
#   BENCH_SKIP_BUILD=1 use the existing binary as it is
#   BENCH_NO_ANALYZE=1 no ANALYZE after the warm-up (see there)
#   BENCH_EXPERIMENT_SQL  SQL run in each schwarm database after the warm-up, for
#                      what-if experiments (e.g. dropping a foreign key); such
#                      a run measures something other than the product
#   BENCH_KEEP_LOGS=DIR  copy the server and PostgreSQL logs there at the end
#   BENCH_PG_STAT_STATEMENTS=1  load pg_stat_statements (track = all, so the
#                      foreign-key checks show too) and print, per run, the
#                      statements by total time (costs a few % of throughput;
#                      for finding where the time goes, not for the record)
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$bench_dir/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

configs=${BENCH_CONFIGS:-1:2:1000 1:4:1000 1:8:1000}
connection_counts=${BENCH_CONNECTIONS:-64 128 256}
batch_connections=${BENCH_BATCH_CONNECTIONS:-4}
batch_entries=${BENCH_BATCH_ENTRIES:-1000}
accounts_n=${BENCH_ACCOUNTS:-1000}
duration=${BENCH_DURATION:-15}
wrk_threads=${BENCH_THREADS:-2}
pgbench_duration=${BENCH_PGBENCH_DURATION:-20}
idle_wait=${BENCH_IDLE_WAIT_S:-30}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}
lua=$bench_dir/ledger-transfer.lua


install_packages "${APT_PACKAGES[@]}" wrk curl jq iproute2 time
[ -x "$PG_BIN/pgbench" ] || install_packages postgresql-contrib
[ -x "$PG_BIN/pgbench" ] || { bench "no $PG_BIN/pgbench"; exit 1; }
bench_build "$build_dir"
binary=$build_dir/schwarm

port=${BENCH_PORT:-$(free_port)}
pg_port=${BENCH_PG_PORT:-$(free_port)}

tmp=$(mktemp -d /tmp/schwarm-ledger-bench.XXXXXX)
chmod 755 "$tmp" # PostgreSQL (user postgres) looks inside
server_pid= sampler_pid=
cleanup() {
  set +e
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  if [ -n "${BENCH_KEEP_LOGS:-}" ]; then
    mkdir -p "$BENCH_KEEP_LOGS" && cp "$tmp"/schwarm*.log "$tmp/pg/postgres.log" "$tmp"/wrk-*.txt "$BENCH_KEEP_LOGS"/ 2>/dev/null
  fi
  pg_stop "$tmp/pg"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL, certificate ---------------------------------------------------
pg_start "$tmp/pg" "$pg_port"
make_certificate "$tmp/tls"
pg_host=$tmp/pg/socket
psql_() { psql -X -q -v ON_ERROR_STOP=1 -h "$pg_host" -p "$pg_port" -U schwarm "$@"; }
sql() { local db=$1; shift; psql_ -d "$db" -tAc "$*"; }
statements=${BENCH_PG_STAT_STATEMENTS:-}
if [ -n "$statements" ]; then
  sql postgres "ALTER SYSTEM SET shared_preload_libraries = 'pg_stat_statements'" >/dev/null
  pg_stop "$tmp/pg"
  pg_start "$tmp/pg" "$pg_port"
  sql postgres "CREATE EXTENSION pg_stat_statements" >/dev/null
  sql postgres "ALTER SYSTEM SET pg_stat_statements.track = 'all'" >/dev/null
  sql postgres "SELECT pg_reload_conf()" >/dev/null
fi
pg_settings=$(sql postgres "SELECT string_agg(name || '=' || setting || COALESCE(unit, ''), ', ' ORDER BY name) FROM pg_settings
  WHERE name IN ('fsync', 'synchronous_commit', 'wal_sync_method', 'full_page_writes', 'shared_buffers', 'max_wal_size',
                 'commit_delay', 'wal_buffers')")
pg_version=$(sql postgres "SHOW server_version")
bench "PostgreSQL $pg_version: $pg_settings"

# --- load accounting -----------------------------------------------------------
# cpu_busy: percent of all cores busy over one second.
cpu_busy() {
  local a b
  a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, x); split(b, y); t = 0
    for (i = 2; i <= n; i++) t += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f", t ? 100 * (t - idle) / t : 0 }'
}
# wait_idle NAME: waits up to BENCH_IDLE_WAIT_S for an idle second; notes the
# busy share seen last in $tmp/busy.
wait_idle() {
  local busy waited=0
  while busy=$(cpu_busy); [ "$busy" -gt 10 ] && [ "$waited" -lt "$idle_wait" ]; do waited=$((waited + 1)); done
  [ "$busy" -gt 10 ] && bench "warning: CPU ${busy}% busy before the $1 run (other work on this machine?)"
  echo "$1: ${busy}%" >>"$tmp/busy"
}
hz=$(getconf CLK_TCK)
cores=$(nproc)
# Jiffies: all cores busy (total minus idle and iowait), and per process set.
busy_ticks() { head -1 /proc/stat | awk '{ t = 0; for (i = 2; i <= NF; i++) t += $i; print t - $5 - $6 }'; }
pids_ticks() {
  local p s=0 t
  for p in "$@"; do
    t=$(sed 's/^.*) //' "/proc/$p/stat" 2>/dev/null | awk '{ print $12 + $13 }') || t=0
    s=$((s + ${t:-0}))
  done
  echo "$s"
}
pg_pids() { local pm; pm=$(head -1 "$tmp/pg/data/postmaster.pid"); echo "$pm" $(pgrep -P "$pm"); }
rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
start_sampler() {
  : >"$tmp/rss"
  ( while kill -0 "$1" 2>/dev/null; do rss_kb "$1" VmRSS >>"$tmp/rss" 2>/dev/null; sleep 0.5; done ) &
  sampler_pid=$!
}
stop_sampler() { kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=; }
peak_rss_mb() { sort -n "$tmp/rss" | tail -1 | awk '{ printf "%.1f", $1 / 1024 }'; }

# --- 1. anchors: pgbench -------------------------------------------------------
pgbench_() { "$PG_BIN/pgbench" -h "$pg_host" -p "$pg_port" -U schwarm "$@"; }
# pgbench_tps LOGNAME ARGS...: runs pgbench, prints "tps latency_ms".
pgbench_run() {
  local name=$1; shift
  wait_idle "pgbench $name"
  pgbench_ -c 16 -j 2 -T "$pgbench_duration" -M prepared -n "$@" >"$tmp/pgbench-$name.txt" 2>&1
  awk '/^tps = / { tps = $3 } /^latency average = / { lat = $4 } END { printf "%.0f %.2f", tps, lat }' "$tmp/pgbench-$name.txt"
}
tpcb= insert_tps=
if [ -z "${BENCH_SKIP_PGBENCH:-}" ]; then
  sql postgres "CREATE DATABASE pgbench" >/dev/null
  bench "pgbench -i -s 16"
  pgbench_ -i -s 16 -q pgbench >"$tmp/pgbench-init.txt" 2>&1
  sql pgbench "CHECKPOINT" >/dev/null
  bench "pgbench TPC-B: -c 16 -j 2 -T $pgbench_duration -M prepared"
  tpcb=$(pgbench_run tpcb pgbench)
  sql pgbench "CREATE TABLE ledger_insert_anchor (id bigserial PRIMARY KEY, account bigint NOT NULL,
    amount bigint NOT NULL, created_at timestamptz NOT NULL DEFAULT now())" >/dev/null
  cat >"$tmp/insert.sql" <<'EOF'
\set account random(1, 1000000)
INSERT INTO ledger_insert_anchor (account, amount) VALUES (:account, 100);
EOF
  sql pgbench "CHECKPOINT" >/dev/null
  bench "pgbench single-row INSERT: -c 16 -j 2 -T $pgbench_duration -M prepared"
  insert_tps=$(pgbench_run insert -f "$tmp/insert.sql" pgbench)
  sql postgres "DROP DATABASE pgbench" >/dev/null
  bench "anchors: TPC-B $tpcb, INSERT $insert_tps (tps, ms)"
fi

# --- 2./3. schwarm ---------------------------------------------------------------
base=https://127.0.0.1:$port
curl_() { curl -sS --cacert "$tmp/tls/cert.pem" "$@"; }
body_limit=$((batch_entries * 300 + 65536))
[ "$body_limit" -lt 1048576 ] && body_limit=1048576

# start_server DB IO_THREADS DB_WORKERS BATCH_MAX
start_server() {
  env DATABASE_URL="$(pg_url "$tmp/pg" "$pg_port" "$1")" SCHWARM_PORT="$port" SCHWARM_LISTEN_ADDRESS=127.0.0.1 \
    SCHWARM_TLS_CERT="$tmp/tls/cert.pem" SCHWARM_TLS_KEY="$tmp/tls/key.pem" SCHWARM_BALLOT_KEY="$bench_ballot_key" \
    SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_IO_THREADS="$2" SCHWARM_DB_WORKERS="$3" SCHWARM_BATCH_MAX="$4" \
    SCHWARM_BODY_LIMIT_BYTES="$body_limit" \
    "$binary" serve 2>>"$tmp/schwarm-$1.log" &
  server_pid=$!
  local i
  for i in $(seq 1 100); do
    curl -sk -o /dev/null "$base/healthz" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { tail -5 "$tmp/schwarm-$1.log" >&2; exit 1; }
    sleep 0.1
  done
  bench "schwarm did not answer /healthz"; exit 1
}
stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=; }

# login DB EMAIL ROLE: creates the user with the CLI, prints a bearer token.
login() {
  local password=bench-password-123
  printf '%s\n' "$password" | env DATABASE_URL="$(pg_url "$tmp/pg" "$pg_port" "$1")" \
    "$binary" user create --email "$2" --role "$3" --password-stdin >/dev/null
  curl_ -f -H 'Content-Type: application/json' -d "{\"email\":\"$2\",\"password\":\"$password\"}" \
    "$base/v1/sessions" | jq -r .token
}

# create_accounts TOKEN: the hot account (an asset, no balance rule) and
# BENCH_ACCOUNTS liabilities, over one keep-alive connection.
create_accounts() {
  local i code type
  : >"$tmp/accounts.curl"
  for i in $(seq 0 "$accounts_n"); do
    if [ "$i" -eq 0 ]; then code=hot type=asset; else code=acct-$i type=liability; echo next >>"$tmp/accounts.curl"; fi
    cat >>"$tmp/accounts.curl" <<EOF
url = "$base/v1/ledger/accounts"
header = "Authorization: Bearer $1"
header = "Content-Type: application/json"
data = "{\\"code\\":\\"$code\\",\\"name\\":\\"$code\\",\\"type\\":\\"$type\\",\\"currency\\":\\"EUR\\"}"
output = "/dev/null"
write-out = "%{http_code}\\n"
cacert = "$tmp/tls/cert.pem"
silent
EOF
  done
  local codes
  codes=$(curl -K "$tmp/accounts.curl" | sort | uniq -c | awk '{ printf "%s %s; ", $1, $2 }')
  [ "$codes" = "$((accounts_n + 1)) 201; " ] || { bench "creating accounts: $codes"; exit 1; }
}

# run_wrk NAME CONNECTIONS BATCH: one measured wrk run; writes
# $tmp/result-NAME: "requests duration_us p50_us p99_us errors non2xx ok other
# booked commits wal_syncs busy_ticks schwarm_ticks pg_ticks wrk_s peak_rss_mb"
run_wrk() {
  local name=$1 conns=$2 batch=$3 db=$current_db
  wait_idle "$name"
  local pgp commits0 syncs0 busy0 srv0 pg0
  pgp=$(pg_pids)
  read -r commits0 syncs0 < <(sql "$db" "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
    (SELECT wal_sync FROM pg_stat_wal)" | tr '|' ' ')
  [ -n "$statements" ] && sql postgres "SELECT pg_stat_statements_reset()" >/dev/null
  start_sampler "$server_pid"
  busy0=$(busy_ticks) srv0=$(pids_ticks "$server_pid") pg0=$(pids_ticks $pgp)
  env LEDGER_TOKEN="$token" LEDGER_HOT="$hot" LEDGER_FIRST="$first" LEDGER_LAST="$last" \
    LEDGER_KEY_PREFIX="$name-$RANDOM$RANDOM" LEDGER_BATCH="$batch" \
    /usr/bin/time -f '%U %S' -o "$tmp/time-$name" \
    wrk -t"$wrk_threads" -c"$conns" -d"${duration}s" --timeout 10s --latency -s "$lua" "$base" \
    >"$tmp/wrk-$name.txt" 2>"$tmp/wrk-$name.err" || { cat "$tmp/wrk-$name.err" >&2; exit 1; }
  local busy1 srv1 pg1
  busy1=$(busy_ticks) srv1=$(pids_ticks "$server_pid") pg1=$(pids_ticks $pgp)
  stop_sampler
  sleep 1 # PostgreSQL flushes its statistics when a backend goes idle
  local commits1 syncs1
  read -r commits1 syncs1 < <(sql "$db" "SELECT (SELECT xact_commit FROM pg_stat_database WHERE datname = current_database()),
    (SELECT wal_sync FROM pg_stat_wal)" | tr '|' ' ')
  if [ -n "$statements" ]; then
    psql_ -d postgres -P pager=off -c "SELECT calls, round(total_exec_time::numeric, 0) AS total_ms,
      round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1) AS pct,
      round(mean_exec_time::numeric, 3) AS mean_ms, rows, left(regexp_replace(query, '\s+', ' ', 'g'), 110) AS query
      FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 15" >"$tmp/statements-$name.txt"
  fi
  [ -s "$tmp/wrk-$name.err" ] && sed 's/^/  wrk: /' "$tmp/wrk-$name.err" | head -5 >&2
  echo "$(grep '^RESULT' "$tmp/wrk-$name.txt" | cut -d' ' -f2-) $((commits1 - commits0)) $((syncs1 - syncs0)) \
$((busy1 - busy0)) $((srv1 - srv0)) $((pg1 - pg0)) $(awk '{ print $1 + $2 }' "$tmp/time-$name") $(peak_rss_mb)" \
    >"$tmp/result-$name"
}

rows=() checks=() best_single=0 best_single_p99= best_single_label= best_batch=0 best_batch_p99= best_batch_label=
max_hwm=0 all_non2xx=0
# add_row LABEL NAME KIND(single|batch) IN_FLIGHT_MAX: a table row; counts the
# run's booked entries into $acknowledged and the entries that may have been
# booked without wrk seeing the answer (requests in flight when it stopped)
# into $abandoned_max.
add_row() {
  local label=$1 name=$2 kind=$3
  local req dur p50 p99 err bad ok other booked commits syncs busy srv pg wrk_s rss
  read -r req dur p50 p99 err bad ok other booked commits syncs busy srv pg wrk_s rss <"$tmp/result-$name"
  all_non2xx=$((all_non2xx + other + err))
  local line
  line=$(awk -v l="$label" -v kind="$kind" -v dur="$dur" -v p50="$p50" -v p99="$p99" -v err="$err" -v other="$other" \
    -v booked="$booked" -v req="$req" -v commits="$commits" -v syncs="$syncs" -v busy="$busy" -v srv="$srv" -v pg="$pg" \
    -v wrk_s="$wrk_s" -v rss="$rss" -v hz="$hz" -v cores="$cores" -v be="$batch_entries" 'BEGIN {
      s = dur / 1e6; wall = s * hz * cores
      transfers = booked / s; postings = 2 * booked / s
      other_cpu = busy - srv - pg - wrk_s * hz; if (other_cpu < 0) other_cpu = 0
      per = booked ? 1e6 / hz / booked : 0
      printf "| %s | %.0f | %.0f | %.0f | %.2f | %.2f | %d / %d | %s | %.0f | %.1f | %.0f / %.0f / %.0f / %.0f | %.1f / %.1f |\n",
        l, req / s, transfers, postings, p50 / 1000, p99 / 1000, err, other, rss,
        commits / s, commits ? booked / commits : 0,
        100 * srv / wall, 100 * pg / wall, 100 * wrk_s * hz / wall, 100 * other_cpu / wall,
        srv * per, pg * per
      printf "%.0f %.0f %.2f\n", transfers, postings, p99 / 1000 }')
  rows+=("$(head -1 <<<"$line")")
  local transfers postings p99ms
  read -r transfers postings p99ms < <(tail -1 <<<"$line")
  if [ "$kind" = single ] && [ "$transfers" -gt "$best_single" ]; then
    best_single=$transfers best_single_p99=$p99ms best_single_label=$label
  fi
  if [ "$kind" = batch ] && [ "$postings" -gt "$best_batch" ]; then
    best_batch=$postings best_batch_p99=$p99ms best_batch_label=$label
  fi
  acknowledged=$((acknowledged + booked)) abandoned_max=$((abandoned_max + $4))
}

n=0
for config in $configs; do
  n=$((n + 1))
  IFS=: read -r io workers batch_max <<<"$config"
  current_db=schwarm_$n
  label="io=$io db=$workers batch_max=$batch_max"
  bench "schwarm $label (database $current_db)"
  sql postgres "CREATE DATABASE $current_db" >/dev/null
  start_server "$current_db" "$io" "$workers" "$batch_max"
  token=$(login "$current_db" "staff-$n@bench.example" staff)
  auditor_token=$(login "$current_db" "auditor-$n@bench.example" auditor)
  create_accounts "$token"
  hot=$(sql "$current_db" "SELECT id FROM ledger_accounts WHERE code = 'hot'")
  read -r first last count < <(sql "$current_db" "SELECT min(id), max(id), count(*) FROM ledger_accounts
    WHERE code LIKE 'acct-%'" | tr '|' ' ')
  [ "$count" -eq $((last - first + 1)) ] || { bench "account ids are not contiguous"; exit 1; }

  # Warm-up (booked, counted like the measured runs): connections, prepared
  # statements, caches.
  acknowledged=0 abandoned_max=0
  max_conns=$(tr ' ' '\n' <<<"$connection_counts" | sort -n | tail -1)
  duration_saved=$duration duration=3
  run_wrk "warmup-$n" "$max_conns" 0
  duration=$duration_saved
  read -r _ _ _ _ _ _ _ _ booked _ <"$tmp/result-warmup-$n"
  acknowledged=$booked abandoned_max=$max_conns
  # Statistics, as autovacuum would gather them within its first minute. On
  # tables never analysed, the server's prepared statements get generic plans
  # with sequential scans (idempotency keys, accounts) that stay cached until
  # the first ANALYZE; BENCH_NO_ANALYZE=1 measures that state.
  [ -z "${BENCH_NO_ANALYZE:-}" ] && sql "$current_db" "ANALYZE" >/dev/null
  if [ -n "${BENCH_EXPERIMENT_SQL:-}" ]; then
    bench "  experiment, not the product as built: $BENCH_EXPERIMENT_SQL"
    sql "$current_db" "$BENCH_EXPERIMENT_SQL" >/dev/null
    checks+=("$label: **experiment**: $BENCH_EXPERIMENT_SQL")
  fi

  for c in $connection_counts; do
    bench "  single transfers, $c connections"
    run_wrk "single-$n-$c" "$c" 0
    add_row "$label, single, c=$c" "single-$n-$c" single "$c"
  done
  bench "  batches of $batch_entries entries, $batch_connections connections"
  run_wrk "batch-$n" "$batch_connections" "$batch_entries"
  add_row "$label, batch of $batch_entries, c=$batch_connections" "batch-$n" batch $((batch_connections * batch_entries))

  hwm=$(rss_kb "$server_pid" VmHWM)
  [ "$hwm" -gt "$max_hwm" ] && max_hwm=$hwm
  # Every acknowledged entry is in the database; beyond those, at most the
  # requests wrk abandoned in flight when each run stopped.
  in_db=$(sql "$current_db" "SELECT count(*) FROM ledger_entries")
  per_currency=$(sql "$current_db" "SELECT bool_and(d = c) FROM (SELECT currency,
    sum(amount_minor) FILTER (WHERE side = 'debit') d, sum(amount_minor) FILTER (WHERE side = 'credit') c
    FROM ledger_postings GROUP BY currency) t")
  verify_start=$(date +%s.%N)
  verify=$(curl_ -f --max-time 600 -H "Authorization: Bearer $auditor_token" "$base/v1/ledger/verify" | jq -c .)
  verify_s=$(awk -v a="$verify_start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  verdict=ok
  [ "$in_db" -ge "$acknowledged" ] && [ "$in_db" -le $((acknowledged + abandoned_max)) ] || verdict=FAILED
  [ "$per_currency" = t ] && [ "$(jq -r .ok <<<"$verify")" = true ] || verdict=FAILED
  checks+=("$label: $acknowledged entries acknowledged, $in_db in ledger_entries (at most $abandoned_max more allowed: \
requests in flight when wrk stopped); debits = credits per currency: $per_currency; /v1/ledger/verify in ${verify_s} s: \
$verify; VmHWM $((hwm / 1024)) MB — **$verdict**")
  [ "$verdict" = ok ] || bench "check FAILED: ${checks[-1]}"
  stop_server
done

# --- report --------------------------------------------------------------------
read -r tpcb_tps tpcb_lat <<<"${tpcb:-0 0}"
read -r insert_tps insert_lat <<<"${insert_tps:-0 0}"
met() { if [ "$1" = 1 ]; then echo met; else echo "**missed**"; fi; }
ge() { awk -v a="$1" -v b="$2" 'BEGIN { print (a >= b) ? 1 : 0 }'; }
lt() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? 1 : 0 }'; }
echo
echo "$cores cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "PostgreSQL $pg_version: $pg_settings"
echo "wrk -t$wrk_threads -d${duration}s --latency, TLS keep-alive on loopback; $accounts_n accounts + 1 hot account;"
echo "every transfer debits the hot account and credits a random other one, with its own idempotency key"
echo
echo "Anchors (pgbench -c 16 -j 2 -T $pgbench_duration -M prepared, same cluster):"
echo
echo "| anchor | tps | latency avg ms |"
echo "| --- | ---: | ---: |"
echo "| pgbench TPC-B (built-in, -s 16) | $tpcb_tps | $tpcb_lat |"
echo "| pgbench single-row INSERT | $insert_tps | $insert_lat |"
echo
echo "| setting, workload | requests/s | transfers/s | postings/s | p50 ms | p99 ms | socket errors / non-2xx | peak RSS MB | commits/s | transfers per commit | CPU % schwarm / PostgreSQL / wrk / other | CPU µs per transfer, schwarm / PostgreSQL |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |"
printf '%s\n' "${rows[@]}"
echo
printf -- '- %s\n' "${checks[@]}"
if [ -n "$statements" ]; then
  for f in "$tmp"/statements-*.txt; do
    echo; echo "pg_stat_statements, $(basename "$f" .txt | sed 's/^statements-//'):"; echo '```'; cat "$f"; echo '```'
  done
fi
echo "- CPU busy in the second before each run (0 = idle machine): $(paste -sd, "$tmp/busy" | sed 's/,/, /g')"
echo
echo "| target | result |"
echo "| --- | --- |"
echo "| single transfers, one hot account, ≥ 10,000/s | $(met "$(ge "$best_single" 10000)"): best $best_single/s ($best_single_label) |"
echo "| single transfers ≥ pgbench single-row INSERT ($insert_tps tps) | $(met "$(ge "$best_single" "$insert_tps")"): $best_single/s |"
echo "| batch requests ≥ 100,000 postings/s | $(met "$(ge "$best_batch" 100000)"): best $best_batch/s ($best_batch_label) |"
echo "| p99 < 50 ms at those rates | single $(met "$(lt "${best_single_p99:-999}" 50)") (${best_single_p99} ms), batch $(met "$(lt "${best_batch_p99:-999}" 50)") (${best_batch_p99} ms) |"
echo "| server RSS < 150 MB | $(met "$(lt "$max_hwm" $((150 * 1024)))"): VmHWM at most $((max_hwm / 1024)) MB |"
echo "| no errors (socket errors, non-2xx) | $(met "$(lt "$all_non2xx" 1)"): $all_non2xx |"
echo "| export of 1,000,000 postings ≥ 100,000/s | not measured here yet (to be added with the export benchmark) |"
