#!/usr/bin/env bash
# Voting benchmarks (issues 5 and 13):
#  1. `schwarm tally` on every file in shared/data/pabulib/ with the rule its
#     META names, and on Kraków 2024 (65,101 voters, 119 projects) under
#     greedy, mes-add1 and MES with add1 and the comparison step
#     (equalshares/add1-comparison), pinned to one core: wall time and peak
#     memory, best of 3;
#  2. ballot casting over HTTPS (PUT /v1/rounds/{id}/ballot) with wrk, many
#     voters (seeded with SQL: users and sessions with known tokens);
#  3. the tally of a round with 100,000 stored ballots, end to end over HTTPS.
# Settings: BENCH_DURATION (s, default 15), BENCH_CONNECTIONS (default 64),
# BENCH_VOTERS (default 20000), BENCH_BALLOTS (default 100000),
# BENCH_SKIP_BUILD=1, BENCH_TALLY_ONLY=1 (part 1 only: no database, no server).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

duration=${BENCH_DURATION:-15}
connections=${BENCH_CONNECTIONS:-64}
voters=${BENCH_VOTERS:-20000}
stored_ballots=${BENCH_BALLOTS:-100000}
shared=${SCHWARM_TEST_SHARED_DIR:-$SCHWARM_ROOT/../shared}

if [ -n "${BENCH_TALLY_ONLY:-}" ]; then
  install_packages "${APT_PACKAGES[@]}" time util-linux
else
  install_packages "${APT_PACKAGES[@]}" wrk curl jq time util-linux
fi
bench_build "$SCHWARM_ROOT/build"
binary=$SCHWARM_ROOT/build/schwarm

echo "## Voting (bench/voting.sh)"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ)"
echo

# best_of_3 ARGS...: "seconds peak-KiB" of the fastest of three runs of
# `schwarm tally ARGS` on core 0 (file read and parse included).
best_of_3() {
  local best= out secs run measured
  measured=$(mktemp)
  for run in 1 2 3; do
    /usr/bin/time -o "$measured" -f '%e %M' taskset -c 0 "$binary" tally "$@" >/dev/null 2>&1
    out=$(tail -1 "$measured")
    secs=${out% *}
    if [ -z "$best" ] || awk "BEGIN{exit !($secs < ${best% *})}"; then best=$out; fi
  done
  rm -f "$measured"
  echo "$best"
}

# 1. The tally command, on one core.
echo "| file (its own META rule) | rule | voters | selected | time | peak memory |"
echo "| --- | --- | --- | --- | --- | --- |"
for file in "$shared"/data/pabulib/*.pb; do
  rule=$(awk -F';' '/^rule;/ {print $2; exit}' "$file" | tr -d '\r')
  count=$(awk -F';' '/^num_votes;/ {print $2; exit}' "$file" | tr -d '\r')
  selected=$("$binary" tally "$file" 2>/dev/null | wc -l)
  best=$(best_of_3 "$file")
  echo "| $(basename "$file") | $rule | $count | $selected | ${best% *} s | $(( ${best#* } / 1024 )) MB |"
done
echo
krakow=$shared/data/pabulib/Poland_Krakow_2024.pb
echo "| Kraków 2024 (65,101 voters, 119 projects) | add1 steps | time | peak memory |"
echo "| --- | --- | --- | --- |"
for rule in greedy mes-add1 equalshares/add1-comparison; do
  steps=$("$binary" tally "$krakow" --rule "$rule" --json | sed -n 's/.*"add1_steps":\([0-9]*\).*/\1/p')
  best=$(best_of_3 "$krakow" --rule "$rule")
  echo "| --rule $rule | ${steps:--} | ${best% *} s | $(( ${best#* } / 1024 )) MB |"
done
[ -n "${BENCH_TALLY_ONLY:-}" ] && exit 0
echo
echo "| measurement | result |"
echo "| --- | --- |"

# 2 and 3 need a server.
tmp=$(mktemp -d /tmp/schwarm-bench.XXXXXX)
chmod 755 "$tmp"
server_pid=
cleanup() {
  set +e
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  pg_stop "$tmp/pg"
  rm -rf "$tmp"
}
trap cleanup EXIT
pg_port=$(free_port)
port=$(free_port)
pg_start "$tmp/pg" "$pg_port"
pg_ensure_database "$tmp/pg" "$pg_port" schwarm
db=$(pg_url "$tmp/pg" "$pg_port" schwarm)
make_certificate "$tmp/tls"
DATABASE_URL=$db SCHWARM_TLS_CERT=$tmp/tls/cert.pem SCHWARM_TLS_KEY=$tmp/tls/key.pem SCHWARM_PORT=$port \
  SCHWARM_BALLOT_KEY=$bench_ballot_key \
  SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_DB_WORKERS=4 "$binary" serve 2>"$tmp/server.log" &
server_pid=$!
for _ in $(seq 100); do curl -sk "https://127.0.0.1:$port/healthz" >/dev/null 2>&1 && break; sleep 0.1; done
api() { curl -sSk -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }

echo 'staff password 1' | DATABASE_URL=$db "$binary" user create --email bench@bank.example --role staff --password-stdin >/dev/null
token=$(curl -sSk "https://127.0.0.1:$port/v1/sessions" -H 'Content-Type: application/json' \
  -d '{"email":"bench@bank.example","password":"staff password 1"}' | jq -r .token)

# Voters and their sessions straight into the database: registering 20,000
# customers through Argon2id would measure the password hash, not voting.
psql -q "$db" <<SQL
INSERT INTO users (email, display_name, password_hash)
  SELECT 'voter' || i || '@example.org', 'Voter ' || i, '\$argon2id\$bench-not-a-real-hash' FROM generate_series(1, $voters) i;
INSERT INTO sessions (token_hash, user_id, expires_at)
  SELECT sha256(convert_to('bench-token-' || u.id, 'UTF8')), u.id, now() + interval '1 day'
  FROM users u WHERE u.role = 'customer';
SQL
round=$(api "https://127.0.0.1:$port/v1/rounds" -d '{"title":"Bench","budget_minor":10000000,"currency":"EUR",
  "opens_at":"2020-01-01T00:00:00Z","closes_at":"2099-01-01T00:00:00Z","max_projects":5,"rule":"mes-add1"}' | jq -r .id)
for p in $(seq 1 40); do
  api "https://127.0.0.1:$port/v1/rounds/$round/projects" -d "{\"key\":\"p$p\",\"name\":\"Project $p\",\"cost_minor\":$((p * 10000))}" >/dev/null
done
api -X POST "https://127.0.0.1:$port/v1/rounds/$round/open" >/dev/null
first_user=$(psql -tA "$db" -c "SELECT min(id) FROM users WHERE role = 'customer'")
last_user=$(psql -tA "$db" -c "SELECT max(id) FROM users WHERE role = 'customer'")

cat > "$tmp/ballot.lua" <<LUA
local first, last, round = $first_user, $last_user, $round
local statuses = {}
request = function()
  local voter = math.random(first, last)
  local a, b = math.random(1, 20), math.random(21, 40)
  wrk.headers["Authorization"] = "Bearer bench-token-" .. voter
  wrk.headers["Content-Type"] = "application/json"
  return wrk.format("PUT", "/v1/rounds/" .. round .. "/ballot", nil,
    '{"choices":[{"project":"p' .. a .. '"},{"project":"p' .. b .. '"}]}')
end
LUA
wrk -t2 -c"$connections" -d"${duration}s" --latency -s "$tmp/ballot.lua" "https://127.0.0.1:$port" > "$tmp/wrk.txt"
rate=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
p50=$(awk '/ 50%/ {print $2}' "$tmp/wrk.txt")
p99=$(awk '/ 99%/ {print $2}' "$tmp/wrk.txt")
non2xx=$(awk '/Non-2xx/ {print $NF}' "$tmp/wrk.txt")
echo "| ballots cast over HTTPS ($connections connections, ${duration} s, $voters voters) | $rate ballots/s, p50 $p50, p99 $p99, non-2xx ${non2xx:-0} |"
echo "| ballots stored after the run (one per voter, replaced ones counted once) | $(psql -tA "$db" -c "SELECT count(*) FROM ballot_roll") |"

# 3. 100,000 stored ballots in a closed round, tallied over HTTPS.
big=$(api "https://127.0.0.1:$port/v1/rounds" -d '{"title":"Big","budget_minor":10000000,"currency":"EUR",
  "opens_at":"2020-01-01T00:00:00Z","closes_at":"2099-01-01T00:00:00Z","max_projects":5,"rule":"mes-add1"}' | jq -r .id)
for p in $(seq 1 40); do
  api "https://127.0.0.1:$port/v1/rounds/$big/projects" -d "{\"key\":\"p$p\",\"name\":\"Project $p\",\"cost_minor\":$((p * 10000))}" >/dev/null
done
psql -q "$db" <<SQL
INSERT INTO ballot_box (round_id, secret, choices, receipt)
  SELECT $big, 'bench-secret-' || i,
         jsonb_build_array(jsonb_build_object('project', 'p' || (1 + i % 20), 'points', 1),
                           jsonb_build_object('project', 'p' || (21 + (i * 7) % 20), 'points', 1)),
         encode(sha256(convert_to('bench-ballot-' || i, 'UTF8')), 'hex')
  FROM generate_series(1, $stored_ballots) i;
UPDATE voting_rounds SET state = 'closed' WHERE id = $big;
SQL
start=$(date +%s.%N)
selected=$(api -X POST "https://127.0.0.1:$port/v1/rounds/$big/tally" | jq '.selected | length')
end=$(date +%s.%N)
echo "| tally of $stored_ballots stored ballots (mes-add1, 40 projects), POST /tally end to end | $(awk "BEGIN{printf \"%.2f\", $end - $start}") s, $selected selected |"
echo "| server peak RSS (VmHWM) | $(awk '/VmHWM/ {print int($2/1024) " MB"}' /proc/$server_pid/status) |"
