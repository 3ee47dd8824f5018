#!/usr/bin/env bash
# Abuse of resources (issue 7, item 4; OWASP API4): a well-behaved client's
# latency while bench/abuse.py attacks the same server with slowloris
# connections, clients that never read, oversized headers, deeply nested and
# very long JSON, and a connection flood beyond SCHWARM_CONNECTIONS_MAX.
# Measured: the well-behaved client's p99 (wrk, public listing) idle and under
# attack, the server's peak RSS, and a burst past the per-client rate limit
# (429 with Retry-After). Target: p99 under attack within 2× of idle.
#
# Settings: BENCH_DURATION (20 s), BENCH_SLOW (300 slowloris connections),
# BENCH_SILENT (50 non-readers), BENCH_FLOOD (600 idle connections; the
# server here allows 500), BENCH_IDLE (400 idle connections whose cost is
# measured), BENCH_LOGINS (200 registrations at once), BENCH_BUILD_DIR,
# BENCH_SKIP_BUILD=1. Every client here comes from 127.0.0.1, so the
# per-client connection share is as large as the server's limit.
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$bench_dir/../run.sh"
source "$bench_dir/lib.sh"

duration=${BENCH_DURATION:-20}
slow=${BENCH_SLOW:-300}
silent=${BENCH_SILENT:-50}
flood=${BENCH_FLOOD:-600}
idle_n=${BENCH_IDLE:-400}
logins_n=${BENCH_LOGINS:-200}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}
install_packages "${APT_PACKAGES[@]}" wrk curl jq iproute2 python3
bench_build "$build_dir"
binary=$build_dir/schwarm
bench_workspace abuse
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
db_url=$(bench_database abuse)
bench_serve "$db_url" SCHWARM_CONNECTIONS_MAX=500 SCHWARM_CONNECTIONS_PER_CLIENT_MAX=500 SCHWARM_HEADER_TIMEOUT_MS=5000 SCHWARM_WRITE_TIMEOUT_MS=10000 \
  SCHWARM_RATE_PER_CLIENT_PER_S=100000 SCHWARM_RATE_BURST=100000

: >"$tmp/rss"
( while kill -0 "$server_pid" 2>/dev/null; do awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status" >>"$tmp/rss"; sleep 0.5; done ) &
bench_pids+=($!)

measure() { # NAME: wrk -c8 on the public listing; prints "req/s p99_ms"
  wrk -t1 -c8 -d"${duration}s" --latency "$base/v1/projects?limit=20" >"$tmp/wrk-$1.txt" 2>&1
  awk '/^Requests\/sec:/ { r = $2 } $1 == "99%" { v = $2; if (v ~ /us$/) { sub(/us/, "", v); v /= 1000 }
       else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) { sub(/s/, "", v); v *= 1000 }; p = v }
       END { printf "%.0f %.1f\n", r, p }' "$tmp/wrk-$1.txt"
}
bench "idle"
read -r idle_rate idle_p99 < <(measure idle)
idle_rss=$(sort -n "$tmp/rss" | tail -1)
bench "under attack: $slow slowloris, $silent non-readers, bad requests, a flood of $flood connections"
python3 "$bench_dir/abuse.py" "$port" "$slow" "$silent" "$flood" >"$tmp/abuse.txt" 2>"$tmp/abuse.err" &
attack_pid=$!
bench_pids+=("$attack_pid")
sleep 5
read -r attack_rate attack_p99 < <(measure attack)
kill -TERM "$attack_pid"; wait "$attack_pid" 2>/dev/null || true
attack_rss=$(sort -n "$tmp/rss" | tail -1)
sleep 12 # the server closes what the attackers left behind
read -r after_rate after_p99 < <(measure after)
after_rss=$(sort -n "$tmp/rss" | tail -1)
alive=$(kill -0 "$server_pid" 2>/dev/null && echo yes || echo no)

# What an idle connection costs: RSS before and after $idle_n connections
# that each made one request and then stay open.
rss_now() { awk '/VmRSS/ { print $2 }' "/proc/$server_pid/status"; }
bench "cost of $idle_n idle connections"
idle_before=$(rss_now)
coproc idlers { python3 "$bench_dir/abuse_more.py" idle "$port" "$idle_n"; }
read -r ready <&"${idlers[0]}"
idle_after=$(rss_now)
eval "exec ${idlers[1]}>&-"
wait "$idlers_PID" 2>/dev/null || true
idle_cost_kb=$(( (idle_after - idle_before) / idle_n ))

# A burst of registrations (Argon2id, 19 MiB each) while the well-behaved
# client measures: the turnstile bounds the memory and keeps a worker free.
bench "a burst of $logins_n registrations under wrk"
: >"$tmp/rss"
login_before=$(rss_now)
( sleep 2; python3 "$bench_dir/abuse_more.py" logins "$port" "$logins_n" >"$tmp/logins.txt" ) &
logins_pid=$!
read -r logins_rate logins_p99 < <(measure logins)
wait "$logins_pid" || true
logins_rss=$(sort -n "$tmp/rss" | tail -1)

# The rate limit: a burst beyond it from one client.
bench_stop_server
bench_serve "$db_url" SCHWARM_RATE_PER_CLIENT_PER_S=50 SCHWARM_RATE_BURST=100
# 300 back-to-back requests on one connection; their status codes, and the
# Retry-After the 429s carry.
for i in $(seq 1 300); do
  if [ "$i" -gt 1 ]; then echo next; fi
  printf 'url = "%s"\ninsecure\nsilent\noutput = "/dev/null"\nwrite-out = "%%{http_code}\\n"\n' "$base/v1/projects"
done >"$tmp/burst.curl"
codes=$(curl -K "$tmp/burst.curl" -D "$tmp/burst-headers.txt" | sort | uniq -c | awk '{ printf "%s×%s ", $1, $2 }') || true
retry_after=$(awk -F': ' 'tolower($1) == "retry-after" { print $2 }' "$tmp/burst-headers.txt" | tr -d '\r' | sort -u | tr '\n' ' ')

echo "## Abuse of resources (bench/abuse.sh), $(date -u +%Y-%m-%d)"
echo
echo "Machine: $(nproc) cores; server with SCHWARM_CONNECTIONS_MAX=500, header timeout 5 s, write timeout 10 s;"
echo "the well-behaved client: wrk -t1 -c8 -d${duration}s GET /v1/projects?limit=20 over TLS."
echo
echo "| phase | req/s | p99 ms | server peak RSS MB |"
echo "|---|---:|---:|---:|"
echo "| idle | $idle_rate | $idle_p99 | $(awk -v k="$idle_rss" 'BEGIN { printf "%.1f", k / 1024 }') |"
echo "| under attack | $attack_rate | $attack_p99 | $(awk -v k="$attack_rss" 'BEGIN { printf "%.1f", k / 1024 }') |"
echo "| after | $after_rate | $after_p99 | $(awk -v k="$after_rss" 'BEGIN { printf "%.1f", k / 1024 }') |"
echo "| $logins_n registrations at once | $logins_rate | $logins_p99 | $(awk -v k="$logins_rss" 'BEGIN { printf "%.1f", k / 1024 }') (from $(awk -v k="$login_before" 'BEGIN { printf "%.1f", k / 1024 }')) |"
echo
awk -v a="$attack_p99" -v i="$idle_p99" 'BEGIN { printf "p99 under attack / idle: %.2f (target ≤ 2: %s). ", a / i, a <= 2 * i ? "met" : "MISSED" }'
echo "Server alive afterwards: $alive."
echo
echo "Registrations sent at once got: $(cat "$tmp/logins.txt") (hashing 2 at a time, 16 waiting, the rest 503 + Retry-After)."
echo "An idle TLS connection after one request: $idle_cost_kb kB of RSS each ($idle_n connections: $(awk -v k="$idle_before" 'BEGIN { printf "%.1f", k / 1024 }') → $(awk -v k="$idle_after" 'BEGIN { printf "%.1f", k / 1024 }') MB)."
echo
echo "What the attackers saw:"
sed 's/^ABUSE /- /' "$tmp/abuse.txt"
echo
echo "Rate limit (50/s, burst 100): 300 back-to-back requests from one client got $codes; the 429s' Retry-After: ${retry_after:-none}."
