#!/usr/bin/env bash
# Risk benchmark: a fake credit bureau over HTTPS that answers after 200 ms;
# 500 loan applications submitted concurrently (one curl, 64 at once); all
# must be checked within 5 s. Meanwhile wrk measures the public listing
# (GET /v1/projects) against its idle rate: outbound calls must not starve
# the server. Client, server, bureau and PostgreSQL share this machine.
#
# Settings (environment):
#   BENCH_LOANS          applications submitted at once (default 500)
#   BENCH_BUREAU_MS      the bureau's delay (default 200)
#   BENCH_DURATION       seconds per listing run, idle and loaded (default 6)
#   BENCH_CONNECTIONS    wrk connections for the listing (default 16)
#   BENCH_PROVIDERS      SCHWARM_RISK_PROVIDERS (default webhook; scorecard alone shows the
#                        cost of the submissions themselves, without outbound calls)
#   BENCH_BUILD_DIR      build directory (default build/; tests on, for the fake bureau)
#   BENCH_SKIP_BUILD=1   use the existing binaries
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

loans=${BENCH_LOANS:-500}
bureau_ms=${BENCH_BUREAU_MS:-200}
duration=${BENCH_DURATION:-6}
connections=${BENCH_CONNECTIONS:-16}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}

install_packages "${APT_PACKAGES[@]}" catch2 wrk curl jq iproute2
if [ -z "${BENCH_SKIP_BUILD:-}" ]; then
  bench "building Release in $build_dir"
  cmake -S "$SCHWARM_ROOT" -B "$build_dir" -DCMAKE_BUILD_TYPE=Release -DSCHWARM_TESTS=ON >/dev/null
  cmake --build "$build_dir" --target schwarm fake_bureau_server -j "$(nproc)" >/dev/null
fi
binary=$build_dir/schwarm
bench_workspace risk-bench
database_url=$(bench_database schwarm)
psql_() { psql -qtA "$database_url" -c "$1"; }

# --- the bureau (until SIGTERM) ------------------------------------------------
key=bench-bureau-key
"$build_dir/fake_bureau_server" "$tmp/tls/cert.pem" "$tmp/tls/key.pem" "$key" "$bureau_ms" \
  >"$tmp/bureau.out" 2>"$tmp/bureau.err" &
bureau_pid=$!
bench_pids+=("$bureau_pid")
for _ in $(seq 1 50); do grep -q '^port' "$tmp/bureau.out" && break; sleep 0.1; done
bureau_port=$(awk '/^port/ { print $2 }' "$tmp/bureau.out")

# --- schwarm with the webhook provider -----------------------------------------
bench_serve "$database_url" SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_RISK_PROVIDERS="${BENCH_PROVIDERS:-webhook}" \
  SCHWARM_RISK_BUREAU_URL="https://localhost:$bureau_port/v1/credit-checks" SCHWARM_RISK_BUREAU_CA="$tmp/tls/cert.pem" \
  SCHWARM_RISK_BUREAU_KEY="$key"
curl_() { curl -sS -k "$@"; }

# --- an owner and $loans drafts with their applications ---------------------------
password=bench-password-123
curl_ -f -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"owner@example.com\",\"password\":\"$password\",\"display_name\":\"Owner\"}" "$base/v1/users"
token=$(curl_ -f -H 'Content-Type: application/json' \
  -d "{\"email\":\"owner@example.com\",\"password\":\"$password\"}" "$base/v1/sessions" | jq -r .token)
bench "creating $loans loan drafts with applications"
loan='{"title":"Solardach Nummer","summary":"Photovoltaik","category":"energy","kind":"loan","goal_minor":2000000,"currency":"EUR","deadline":"2099-06-30T23:59:59Z","loan_rate_bp":350,"loan_term_months":60,"loan_schedule":"annuity"}'
application='{"applicant_type":"person","monthly_income_minor":500000,"monthly_expenses_minor":100000,"existing_debt_minor":0,"purpose":"energy"}'
make_one() {
  local id
  id=$(curl_ -f -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d "$loan" "$base/v1/projects" | jq -r .id)
  curl_ -f -o /dev/null -X PUT -H 'Content-Type: application/json' -H "Authorization: Bearer $token" -d "$application" \
    "$base/v1/risk/applications/$id"
  echo "$id"
}
export -f make_one curl_; export token loan application base
seq 1 "$loans" | xargs -P 8 -I{} bash -c make_one >"$tmp/ids"
[ "$(wc -l <"$tmp/ids")" -eq "$loans" ] || { bench "could not create the drafts"; exit 1; }

# --- wrk scripts ------------------------------------------------------------------
cat >"$tmp/report.lua" <<'LUA'
function done(summary, latency, requests)
  io.write(string.format("RESULT %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), summary.errors.status))
end
LUA
# Submits every id once: one curl process, 64 transfers at once.
sed "s|.*|url = \"$base/v1/projects/&/submit\"\noutput = /dev/null|" "$tmp/ids" >"$tmp/submit.curl"

rate_of() { awk '{ printf "%.0f", $1 / ($2 / 1e6) }' <<<"$1"; }
listing() { wrk -t1 -c"$connections" -d"${duration}s" --latency -s "$tmp/report.lua" "$base/v1/projects?limit=20" | grep '^RESULT' | cut -d' ' -f2-; }

bench "idle listing, ${duration}s"
idle=$(listing)
bench "submitting $loans applications at once while the listing is measured"
listing >"$tmp/loaded" &
listing_pid=$!
bench_pids+=("$listing_pid")
sleep 0.5
curl -sS -k --parallel --parallel-immediate --parallel-max 64 -X POST -H "Authorization: Bearer $token" \
  -w '%{http_code}\n' -K "$tmp/submit.curl" >"$tmp/submit.codes"
bench "projects by state: $(psql_ "SELECT string_agg(state || ' ' || n, ', ') FROM (SELECT state, count(*) n FROM projects GROUP BY state) s")"
# Wait until no check is queued, running or pending (at most 60 s).
for _ in $(seq 1 600); do
  [ "$(psql_ "SELECT count(*) FROM risk_checks WHERE state IN ('queued','running','pending')")" = 0 ] && break
  sleep 0.1
done
wait "$listing_pid"
loaded=$(cat "$tmp/loaded")

read -r checks completed failed window_s p50_ms p99_ms < <(psql_ "
  SELECT count(*), count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state = 'failed'),
         round(extract(epoch FROM max(finished_at) - min(created_at))::numeric, 2),
         percentile_disc(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000)::int,
         percentile_disc(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM finished_at - created_at) * 1000)::int
  FROM risk_checks" | tr '|' ' ')
kill -TERM "$bureau_pid"; wait "$bureau_pid" || true
idle_rate=$(rate_of "$idle") loaded_rate=$(rate_of "$loaded")
change=$(awk -v a="$idle_rate" -v b="$loaded_rate" 'BEGIN { printf "%+.1f", 100 * (b - a) / a }')

echo
echo "Load average at the end (other work on this machine): $(cut -d' ' -f1-3 /proc/loadavg)"
echo "Machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); providers ${BENCH_PROVIDERS:-webhook}; bureau delay ${bureau_ms} ms"
echo
echo "| what | result |"
echo "|---|---|"
echo "| applications submitted at once | $loans (curl --parallel-max 64: $(grep -c '^200' "$tmp/submit.codes") answered 200) |"
echo "| checks completed / failed | $completed / $failed of $checks |"
echo "| first submission to last check recorded | ${window_s} s |"
echo "| per check, submission to answer recorded: p50 / p99 | $p50_ms ms / $p99_ms ms |"
echo "| bureau: $(cat "$tmp/bureau.err") | |"
echo "| listing GET /v1/projects idle | $idle_rate req/s |"
echo "| listing during the checks | $loaded_rate req/s ($change %) |"
