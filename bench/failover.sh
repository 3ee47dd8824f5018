#!/usr/bin/env bash
# Failover (issue 17; not in CI): the production topology of docs/scaling.md on
# one machine. etcd and two PostgreSQL nodes under Patroni with a synchronous
# standby; two schwarm servers behind the HAProxy configuration we ship, each
# connecting with a libpq multi-host URL (target_session_attrs=read-write).
# A mixed load (transfers, pledges, ballots; bench/failover_load.py, every
# request retried under its Idempotency-Key until acknowledged) runs while
# the primary's machine dies (Patroni and PostgreSQL killed with SIGKILL);
# the standby is promoted; later the old primary rejoins as a standby.
#
# Records: how long clients were paused, how long the longest request took,
# the promotion and rejoin times; then checks that every acknowledged
# request is in the database exactly once (and nothing unacknowledged is) and
# that `schwarm ledger verify` passes.
#
# Settings: BENCH_CLIENTS (default 8), BENCH_BEFORE_S (load before the kill,
# default 20), BENCH_AFTER_S (after it, default 60), BENCH_REJOIN_AFTER_S
# (old primary back after this long, default 25), BENCH_TTL_S (Patroni's
# leader key TTL, default 10), BENCH_SKIP_BUILD=1, BENCH_BUILD_DIR.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
clients=${BENCH_CLIENTS:-8}
before_s=${BENCH_BEFORE_S:-20}
after_s=${BENCH_AFTER_S:-60}
rejoin_after_s=${BENCH_REJOIN_AFTER_S:-25}
ttl_s=${BENCH_TTL_S:-10}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}

install_packages "${APT_PACKAGES[@]}" patroni etcd-server haproxy curl jq python3 iproute2
bench_build "$build_dir"
binary=$build_dir/schwarm

tmp=$(mktemp -d /tmp/schwarm-failover.XXXXXX)
chmod 755 "$tmp"
pids=()
declare -A patroni_pid
cleanup() {
  set +e
  local p
  for p in "${patroni_pid[@]}" "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  for p in "${patroni_pid[@]}" "${pids[@]}"; do wait "$p" 2>/dev/null; done
  for n in 1 2; do pg_stop "$tmp/node$n"; done
  [ -n "${BENCH_KEEP_LOGS:-}" ] && mkdir -p "$BENCH_KEEP_LOGS" && cp "$tmp"/*.log "$tmp"/*.jsonl "$BENCH_KEEP_LOGS"/ 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
now() { date +%s.%N; }
since() { printf '%.1f' "$(echo "$(now) - $1" | bc)"; }

# --- etcd ----------------------------------------------------------------------
etcd_port=$(free_port); etcd_peer=$(free_port)
bench "etcd on $etcd_port"
etcd --name e1 --data-dir "$tmp/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$etcd_peer" \
  --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" --initial-cluster "e1=http://127.0.0.1:$etcd_peer" \
  >"$tmp/etcd.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$etcd_port/health" >/dev/null && break; sleep 0.1; done

# --- two PostgreSQL nodes under Patroni ------------------------------------------
declare -A pg_port rest_port
for n in 1 2; do
  pg_port[$n]=$(free_port); rest_port[$n]=$(free_port)
  mkdir -p "$tmp/node$n/socket"
  cat >"$tmp/node$n.yml" <<YAML
scope: schwarm-bench
name: node$n
restapi:
  listen: 127.0.0.1:${rest_port[$n]}
  connect_address: 127.0.0.1:${rest_port[$n]}
etcd3:
  hosts: 127.0.0.1:$etcd_port
bootstrap:
  dcs:
    ttl: $ttl_s
    loop_wait: 1
    retry_timeout: 3
    maximum_lag_on_failover: 1048576
    synchronous_mode: true
    postgresql:
      use_pg_rewind: true
      parameters:
        max_connections: 200
        wal_log_hints: 'on'
        max_wal_senders: 10
        max_replication_slots: 10
  initdb:
    - encoding: UTF8
    - data-checksums
  pg_hba:
    - local all all trust
    - host all all 127.0.0.1/32 trust
    - host replication replicator 127.0.0.1/32 trust
postgresql:
  listen: 127.0.0.1:${pg_port[$n]}
  connect_address: 127.0.0.1:${pg_port[$n]}
  data_dir: $tmp/node$n/data
  bin_dir: $PG_BIN
  pgpass: $tmp/node$n/pgpass
  authentication:
    superuser: {username: postgres, password: bench}
    replication: {username: replicator, password: bench}
    rewind: {username: postgres, password: bench}
  parameters:
    unix_socket_directories: $tmp/node$n/socket
YAML
done
chown -R postgres:postgres "$tmp"/node* "$tmp"/node*.yml
start_patroni() {
  # setpriv execs (runuser would stay as a parent the kill misses).
  setpriv --reuid=postgres --regid=postgres --init-groups patroni "$tmp/node$1.yml" >>"$tmp/patroni$1.log" 2>&1 &
  patroni_pid[$1]=$!
}
role_of() { curl -s -m 1 "http://127.0.0.1:${rest_port[$1]}/patroni" | jq -r '.role // "down"' 2>/dev/null || echo down; }
wait_for() { # SECONDS CONDITION...: polls CONDITION every 100 ms
  local deadline; deadline=$(echo "$(now) + $1" | bc); shift
  until "$@"; do
    [ "$(echo "$(now) > $deadline" | bc)" = 1 ] && return 1
    sleep 0.1
  done
}
is_primary() { curl -sf -m 1 -o /dev/null "http://127.0.0.1:${rest_port[$1]}/primary"; }
is_sync() { curl -sf -m 1 -o /dev/null "http://127.0.0.1:${rest_port[$1]}/sync"; }
start_patroni 1
bench "patroni node1 bootstrapping"
wait_for 120 is_primary 1 || { tail -20 "$tmp/patroni1.log" >&2; exit 1; }
start_patroni 2
bench "patroni node2 joining as the synchronous standby"
wait_for 180 is_sync 2 || { tail -20 "$tmp/patroni2.log" >&2; exit 1; }

psql_node() { local n=$1; shift; psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "${pg_port[$n]}" -U postgres "$@"; }
psql_node 1 -d postgres -c "CREATE ROLE schwarm LOGIN SUPERUSER" -c "CREATE DATABASE bench OWNER schwarm"
db_url="postgresql://schwarm@127.0.0.1:${pg_port[1]},127.0.0.1:${pg_port[2]}/bench?target_session_attrs=read-write&connect_timeout=2"
DATABASE_URL=$db_url "$binary" migrate 2>/dev/null
sql() { psql -X -q -v ON_ERROR_STOP=1 -tA "$db_url" -c "$*"; }

# --- data ----------------------------------------------------------------------
bench "loading backers, wallets and campaigns"
psql -X -q "$db_url" -v users=4000 -v projects=30 -v pledges=1000 -v settle_pledges=10 \
  -f "$bench_dir/pledges-load.sql" >/dev/null
printf '%s\n' bench-password-123 | DATABASE_URL=$db_url "$binary" user create --email staff@bench.example --role staff \
  --password-stdin >/dev/null
# Goals out of reach, so that no pledge of the load is refused as above the goal.
sql "UPDATE projects SET owner_id = (SELECT id FROM users WHERE role = 'staff'), goal_minor = 100000000000" >/dev/null

# --- two servers behind HAProxy --------------------------------------------------
make_certificate "$tmp/tls"
cat "$tmp/tls/cert.pem" "$tmp/tls/key.pem" >"$tmp/tls/bundle.pem"
declare -A srv_port
for s in 1 2; do
  srv_port[$s]=$(free_port)
  env DATABASE_URL="$db_url" SCHWARM_PORT="${srv_port[$s]}" SCHWARM_LISTEN_ADDRESS=127.0.0.1 \
    SCHWARM_TLS_CERT="$tmp/tls/cert.pem" SCHWARM_TLS_KEY="$tmp/tls/key.pem" SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_BALLOT_KEY="$bench_ballot_key" \
    "$binary" serve 2>>"$tmp/schwarm$s.log" &
  pids+=($!)
done
lb_port=$(free_port)
env SCHWARM_LB_ADDRESS="127.0.0.1:$lb_port" SCHWARM_LB_CERT="$tmp/tls/bundle.pem" SCHWARM_LB_RATE_PER_S=100000 \
  SCHWARM_LB_LOGINS_PER_MIN=100000 SCHWARM_BACKEND_CA="$tmp/tls/cert.pem" \
  SCHWARM_BACKEND_1="127.0.0.1:${srv_port[1]}" SCHWARM_BACKEND_2="127.0.0.1:${srv_port[2]}" \
  haproxy -db -f "$SCHWARM_ROOT/docs/deploy/haproxy.cfg" >"$tmp/haproxy.log" 2>&1 &
pids+=($!)
base=https://127.0.0.1:$lb_port
ready() { curl -sf -o /dev/null --cacert "$tmp/tls/cert.pem" "$base/readyz"; }
wait_for 30 ready || { tail -5 "$tmp"/schwarm*.log "$tmp/haproxy.log" >&2; exit 1; }
api() { curl -sS -f --cacert "$tmp/tls/cert.pem" -H 'Content-Type: application/json' -H "Authorization: Bearer $staff" "$@"; }
staff=$(curl -sS -f --cacert "$tmp/tls/cert.pem" -H 'Content-Type: application/json' \
  -d '{"email":"staff@bench.example","password":"bench-password-123"}' "$base/v1/sessions" | jq -r .token)
round=$(api "$base/v1/rounds" -d '{"title":"Failover","budget_minor":10000000,"currency":"EUR",
  "opens_at":"2020-01-01T00:00:00Z","closes_at":"2099-01-01T00:00:00Z","max_projects":5,"rule":"mes-add1"}' | jq -r .id)
for p in $(seq 1 40); do
  api "$base/v1/rounds/$round/projects" -d "{\"key\":\"p$p\",\"name\":\"Project $p\",\"cost_minor\":$((p * 10000))}" >/dev/null
done
api -X POST "$base/v1/rounds/$round/open" >/dev/null

read -r cash w_first w_last < <(sql "SELECT (SELECT id FROM ledger_accounts WHERE code = 'bank:cash:EUR'),
  min(id), max(id) FROM ledger_accounts WHERE code LIKE 'wallet:%'" | tr '|' ' ')
read -r b_first b_last < <(sql "SELECT min(id), max(id) FROM users WHERE role = 'customer'" | tr '|' ' ')
projects=$(sql "SELECT string_agg(id::text, ',') FROM projects WHERE state = 'funding'")
entries_before=$(sql "SELECT coalesce(max(id), 0) FROM ledger_entries")
pledges_before=$(sql "SELECT coalesce(max(id), 0) FROM pledges")

# --- the load, and the primary's death --------------------------------------------
bench "load: $clients clients for $((before_s + after_s)) s; the primary dies after $before_s s"
python3 "$bench_dir/failover_load.py" --port "$lb_port" --ca "$tmp/tls/cert.pem" --staff-token "$staff" \
  --cash "$cash" --wallets "$w_first-$w_last" --backers "$b_first-$b_last" --projects "$projects" --round "$round" \
  --clients "$clients" --seconds $((before_s + after_s)) --out "$tmp/requests.jsonl" >"$tmp/summary.json" &
load_pid=$!
sleep "$before_s" # the load's own schedule, not a wait for a condition

old=1; new=2
is_primary 2 && { old=2; new=1; }
killed_at=$(now)
bench "killing node$old (Patroni and PostgreSQL, SIGKILL)"
kill -KILL "${patroni_pid[$old]}"
kill -KILL "$(head -1 "$tmp/node$old/data/postmaster.pid")"
wait "${patroni_pid[$old]}" 2>/dev/null || true
wait_for 120 is_primary "$new" || { bench "node$new was not promoted"; tail -20 "$tmp/patroni$new.log" >&2; exit 1; }
promoted_s=$(since "$killed_at")
bench "node$new promoted after ${promoted_s}s"

sleep "$rejoin_after_s" # the old primary stays down this long (the schedule; the load goes on)
bench "restarting node$old"
rejoin_at=$(now)
start_patroni "$old"
wait_for 180 is_sync "$old" || { bench "node$old did not rejoin"; tail -20 "$tmp/patroni$old.log" >&2; exit 1; }
rejoined_s=$(since "$rejoin_at")
rewound=$(grep -c -i "rewind" "$tmp/patroni$old.log" || true)
bench "node$old back as the synchronous standby after ${rejoined_s}s"
wait "$load_pid"

# --- what the clients were told, against what the database holds -------------------
summary=$(cat "$tmp/summary.json")
acked_ids() { jq -r "select(.kind == \"$1\" and .acked != null) | .id" "$tmp/requests.jsonl"; }
acked_ids transfer >"$tmp/transfers.txt"
acked_ids pledge >"$tmp/pledges.txt"
acked_ids ballot >"$tmp/ballots.txt"
not_acked=$(jq '.not_acked' <<<"$summary")
distinct() { sort -u "$1" | wc -l; }
n_transfers=$(wc -l <"$tmp/transfers.txt"); n_pledges=$(wc -l <"$tmp/pledges.txt"); n_ballots=$(wc -l <"$tmp/ballots.txt")
n_voters=$(distinct "$tmp/ballots.txt") # a voter's later ballot replaces the earlier
ids() { paste -sd, "$1"; }
in_db_transfers=$(sql "SELECT count(*) FROM ledger_entries WHERE id = ANY('{$(ids "$tmp/transfers.txt")}'::bigint[]) AND kind = 'posted'")
in_db_pledges=$(sql "SELECT count(*) FROM pledges WHERE id = ANY('{$(ids "$tmp/pledges.txt")}'::bigint[])")
new_entries=$(sql "SELECT count(*) FROM ledger_entries WHERE id > $entries_before")
new_pledges=$(sql "SELECT count(*) FROM pledges WHERE id > $pledges_before")
round_ballots=$(curl -sS --cacert "$tmp/tls/cert.pem" "$base/v1/rounds/$round" | jq -r .ballots)
verify=ok
DATABASE_URL=$db_url "$binary" ledger verify >"$tmp/verify.log" 2>&1 || verify="FAILED ($(tail -1 "$tmp/verify.log"))"

exactly_once=yes
[ "$(distinct "$tmp/transfers.txt")" = "$n_transfers" ] && [ "$in_db_transfers" = "$n_transfers" ] || exactly_once=no
[ "$(distinct "$tmp/pledges.txt")" = "$n_pledges" ] && [ "$in_db_pledges" = "$n_pledges" ] || exactly_once=no
# Every new entry is an acknowledged transfer or an acknowledged pledge's hold.
[ "$new_entries" = $((n_transfers + n_pledges)) ] && [ "$new_pledges" = "$n_pledges" ] || exactly_once=no
[ "$round_ballots" = "$n_voters" ] || exactly_once=no
pause_after_kill=$(jq -r --arg k "$killed_at" 'if .pause_from then (.pause_from - ($k | tonumber) | . * 10 | round / 10) else "n/a" end' <<<"$summary")

echo "## Failover (bench/failover.sh)"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ); Patroni"
echo "$(patroni --version 2>&1 | awk '{print $2}'), etcd $(etcd --version | awk '/etcd Version/ {print $3}'), PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}'),"
echo "HAProxy $(haproxy -v | awk 'NR == 1 {print $3}'); leader TTL ${ttl_s}s, loop_wait 1s; $clients clients, mixed load"
echo "(transfers, pledges, ballots in turn), each request retried under its key until acknowledged."
echo
echo "| measure | value |"
echo "|---|---|"
echo "| requests (acknowledged / not) | $(jq .requests <<<"$summary") ($(jq .acked <<<"$summary") / $not_acked) |"
echo "| by kind: transfers, pledges, ballots acknowledged | $n_transfers, $n_pledges, $n_ballots (of $n_voters voters) |"
echo "| requests that needed a retry; most attempts of one | $(jq .retried <<<"$summary"); $(jq .attempts_max <<<"$summary") |"
echo "| what the first failed attempt got (kind status: requests) | $(jq -r '.first_failures | to_entries | map("\(.key): \(.value)") | join(", ")' <<<"$summary") |"
echo "| standby promoted after the kill | ${promoted_s} s |"
echo "| longest time no request was acknowledged (began ${pause_after_kill} s after the kill) | $(jq .pause_s <<<"$summary") s |"
echo "| longest request, retries included | $(jq .longest_ms <<<"$summary") ms |"
echo "| old primary back as synchronous standby after its restart | ${rejoined_s} s (pg_rewind lines in its log: $rewound) |"
echo "| every acknowledged request present exactly once, nothing else booked | $exactly_once (entries +$new_entries, pledges +$new_pledges, ballots $round_ballots) |"
echo "| \`schwarm ledger verify\` | $verify |"
[ "$exactly_once" = yes ] && [ "$verify" = ok ] && [ "$not_acked" = 0 ]
