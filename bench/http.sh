#!/usr/bin/env bash
# HTTP benchmark: wrk over TLS with keep-alive against schwarm's GET /healthz
# and GET /v1/users/me (bearer-token lookup + one indexed user read), and, in
# the same run as the ceiling, a private nginx serving a static file of the
# same byte size as the /v1/users/me body over TLS on loopback. Client,
# server, nginx and PostgreSQL all share this machine's cores.
#
# Prints a markdown table (requests/s, p50/p99 latency, server RSS).
# Everything it starts (PostgreSQL, schwarm, nginx) lives in a temp dir and is
# stopped and removed on exit.
#
# Settings (environment; BENCH_* because the server rejects unknown SCHWARM_*):
#   BENCH_CONFIGS      schwarm settings to measure, "IO_THREADS:DB_WORKERS ..."
#                      (default "1:4 1:8 2:4 2:8"; the server's own default is 1:8)
#   BENCH_DURATION     seconds per wrk run (default 15)
#   BENCH_CONNECTIONS  wrk connections (default 32)
#   BENCH_THREADS      wrk threads (default 2)
#   BENCH_PORT / BENCH_NGINX_PORT / BENCH_PG_PORT   ports (default: free ones)
#   BENCH_IDLE_WAIT_S  before each run, wait up to this long for an idle CPU
#                      (default 30; the busy share is reported either way)
#   BENCH_BUILD_DIR    build directory (default build/)
#   BENCH_SKIP_BUILD=1 use the existing binary as it is
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

configs=${BENCH_CONFIGS:-1:4 1:8 2:4 2:8}
duration=${BENCH_DURATION:-15}
connections=${BENCH_CONNECTIONS:-32}
wrk_threads=${BENCH_THREADS:-2}
idle_wait=${BENCH_IDLE_WAIT_S:-30}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}


install_packages "${APT_PACKAGES[@]}" wrk nginx curl jq iproute2
bench_build "$build_dir"
binary=$build_dir/schwarm
port=${BENCH_PORT:-$(free_port)}
nginx_port=${BENCH_NGINX_PORT:-$(free_port)}
pg_port=${BENCH_PG_PORT:-$(free_port)}

tmp=$(mktemp -d /tmp/schwarm-bench.XXXXXX)
chmod 755 "$tmp" # PostgreSQL (user postgres) and nginx workers look inside
server_pid= nginx_pid= sampler_pid=
cleanup() {
  set +e
  [ -n "$sampler_pid" ] && kill "$sampler_pid" 2>/dev/null
  [ -n "$server_pid" ] && kill -TERM "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  [ -n "$nginx_pid" ] && kill -QUIT "$nginx_pid" 2>/dev/null && wait "$nginx_pid" 2>/dev/null
  pg_stop "$tmp/pg"
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --- PostgreSQL, certificate ---------------------------------------------------
pg_start "$tmp/pg" "$pg_port"
pg_ensure_database "$tmp/pg" "$pg_port" schwarm
database_url=$(pg_url "$tmp/pg" "$pg_port" schwarm)
make_certificate "$tmp/tls"

base=https://127.0.0.1:$port
curl_() { curl -sS --cacert "$tmp/tls/cert.pem" "$@"; }

# --- schwarm -------------------------------------------------------------------
# start_server IO_THREADS DB_WORKERS: starts schwarm and waits for /healthz.
# The request log (one JSON line per request) goes to a file, as it would to
# a log collector; the per-client rate limit is off (one client does it all).
start_server() {
  env DATABASE_URL="$database_url" SCHWARM_PORT="$port" SCHWARM_LISTEN_ADDRESS=127.0.0.1 \
    SCHWARM_TLS_CERT="$tmp/tls/cert.pem" SCHWARM_TLS_KEY="$tmp/tls/key.pem" SCHWARM_BALLOT_KEY="$bench_ballot_key" \
    SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_IO_THREADS="$1" SCHWARM_DB_WORKERS="$2" \
    "$binary" serve 2>>"$tmp/schwarm.log" &
  server_pid=$!
  local i
  for i in $(seq 1 100); do
    curl -sk -o /dev/null "https://127.0.0.1:$port/healthz" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { tail -5 "$tmp/schwarm.log" >&2; exit 1; }
    sleep 0.1
  done
  bench "schwarm did not answer /healthz"; exit 1
}
stop_server() {
  kill -TERM "$server_pid"; wait "$server_pid" || true; server_pid=
}

rss_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# Samples the server's VmRSS once a second into $tmp/rss (the peak is what
# counts; VmHWM is read as well at the end).
start_sampler() {
  : >"$tmp/rss"
  ( while kill -0 "$1" 2>/dev/null; do rss_kb "$1" VmRSS >>"$tmp/rss" 2>/dev/null; sleep 1; done ) &
  sampler_pid=$!
}
stop_sampler() { kill "$sampler_pid" 2>/dev/null; wait "$sampler_pid" 2>/dev/null || true; sampler_pid=; }

# --- wrk -----------------------------------------------------------------------
# Each run's done() prints "RESULT requests duration_us p50_us p99_us
# socket_errors non2xx"; wrk's own output is kept in $tmp/wrk-NAME.txt.
cat >"$tmp/report.lua" <<'EOF'
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
EOF

# cpu_busy: percent of all cores busy over one second. Run before each
# measurement: on a shared machine, other work would skew the numbers.
cpu_busy() {
  local a b
  a=$(head -1 /proc/stat); sleep 1; b=$(head -1 /proc/stat)
  awk -v a="$a" -v b="$b" 'BEGIN {
    n = split(a, x); split(b, y); t = 0
    for (i = 2; i <= n; i++) t += y[i] - x[i]
    idle = (y[5] - x[5]) + (y[6] - x[6])
    printf "%.0f", t ? 100 * (t - idle) / t : 0 }'
}
busy_notes=()

# run_wrk NAME URL [LUA_PREAMBLE_FILE]: prints the RESULT line's fields.
run_wrk() {
  local name=$1 url=$2 script=$tmp/wrk-$1.lua busy
  # Wait (up to BENCH_IDLE_WAIT_S seconds) for an idle second first.
  local waited=0
  while busy=$(cpu_busy); [ "$busy" -gt 10 ] && [ "$waited" -lt "$idle_wait" ]; do waited=$((waited + 1)); done
  [ "$busy" -gt 10 ] && bench "warning: CPU ${busy}% busy before the $name run (other work on this machine?)"
  echo "$name: ${busy}%" >>"$tmp/busy"
  cat ${3:+"$3"} "$tmp/report.lua" >"$script"
  wrk -t"$wrk_threads" -c"$connections" -d"${duration}s" --latency -s "$script" "$url" >"$tmp/wrk-$name.txt"
  grep '^RESULT' "$tmp/wrk-$name.txt" | cut -d' ' -f2-
}

rows=() rate=
# add_row LABEL "requests duration_us p50_us p99_us errors non2xx" RSS_TEXT
# Appends a table row and leaves the requests/s in $rate.
add_row() {
  local label=$1 rss=$3 req dur p50 p99 err bad
  read -r req dur p50 p99 err bad <<<"$2"
  rate=$(awk -v r="$req" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
  rows+=("$(awk -v l="$label" -v rate="$rate" -v p50="$p50" -v p99="$p99" -v rss="$rss" -v err="$err" -v bad="$bad" \
    'BEGIN { printf "| %s | %d | %.2f | %.2f | %s | %d / %d |", l, rate, p50 / 1000, p99 / 1000, rss, err, bad }')")
}

# --- a user and a token ------------------------------------------------------
start_server 1 4
email=bench-$RANDOM@example.com password=bench-password-123
curl_ -f -o /dev/null -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\",\"display_name\":\"Bench User\"}" "$base/v1/users"
token=$(curl_ -f -H 'Content-Type: application/json' \
  -d "{\"email\":\"$email\",\"password\":\"$password\"}" "$base/v1/sessions" | jq -r .token)
curl_ -f -o "$tmp/me.json" -H "Authorization: Bearer $token" "$base/v1/users/me"
body_bytes=$(stat -c %s "$tmp/me.json")
curl_ -f -D "$tmp/me.headers" -o /dev/null -H "Authorization: Bearer $token" "$base/v1/users/me"
stop_server
printf 'wrk.headers["Authorization"] = "Bearer %s"\n' "$token" >"$tmp/auth.lua"
bench "/v1/users/me body: $body_bytes bytes"

# --- nginx: the same body size, the same certificate, TLS 1.2/1.3, keep-alive --
mkdir -p "$tmp/nginx/www" "$tmp/nginx/logs"
cp "$tmp/me.json" "$tmp/nginx/www/me.json"
chmod -R a+rX "$tmp/nginx/www"
cat >"$tmp/nginx/nginx.conf" <<EOF
worker_processes auto;
pid $tmp/nginx/nginx.pid;
error_log $tmp/nginx/logs/error.log warn;
events { worker_connections 4096; }
http {
  access_log $tmp/nginx/logs/access.log;
  client_body_temp_path $tmp/nginx/client_body;
  proxy_temp_path $tmp/nginx/proxy;
  fastcgi_temp_path $tmp/nginx/fastcgi;
  uwsgi_temp_path $tmp/nginx/uwsgi;
  scgi_temp_path $tmp/nginx/scgi;
  sendfile on;
  tcp_nodelay on;
  keepalive_timeout 60s;
  keepalive_requests 1000000;
  server {
    listen 127.0.0.1:$nginx_port ssl;
    ssl_certificate $tmp/tls/cert.pem;
    ssl_certificate_key $tmp/tls/key.pem;
    ssl_protocols TLSv1.2 TLSv1.3;
    root $tmp/nginx/www;
    default_type application/json;
    # The same response headers schwarm sends, so both responses are alike.
    add_header Strict-Transport-Security "max-age=31536000" always;
    add_header X-Content-Type-Options nosniff always;
    add_header Cache-Control no-store always;
    add_header X-Request-Id \$request_id always;
    location / { }
  }
}
EOF
nginx -t -q -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf"
nginx -p "$tmp/nginx" -e "$tmp/nginx/logs/error.log" -c "$tmp/nginx/nginx.conf" -g 'daemon off;' &
nginx_pid=$!
for _ in $(seq 1 50); do
  kill -0 "$nginx_pid" 2>/dev/null || { bench "nginx did not start"; exit 1; }
  curl -sk -o /dev/null "https://127.0.0.1:$nginx_port/me.json" && break
  sleep 0.1
done
nginx_bytes=$(curl -sk "https://127.0.0.1:$nginx_port/me.json" | wc -c)
[ "$nginx_bytes" -eq "$body_bytes" ] || { bench "nginx serves $nginx_bytes bytes, not $body_bytes"; exit 1; }

# --- measure -------------------------------------------------------------------
bench "wrk -t$wrk_threads -c$connections -d${duration}s, each run"
bench "nginx static ($body_bytes bytes)"
nginx_result=$(run_wrk nginx "https://127.0.0.1:$nginx_port/me.json")
nginx_rss=$(for p in $(pgrep -P "$nginx_pid") "$nginx_pid"; do rss_kb "$p" VmRSS; done |
  awk '{ s += $1 } END { printf "%.1f MB (master + workers)", s / 1024 }')
add_row "nginx static file, $body_bytes B" "$nginx_result" "$nginx_rss"
nginx_rate=$rate
kill -QUIT "$nginx_pid"; wait "$nginx_pid" || true; nginx_pid=

# peak_rss: the highest VmRSS sampled since start_sampler, as "N MB".
peak_rss() { sort -n "$tmp/rss" | tail -1 | awk '{ printf "%.1f MB", $1 / 1024 }'; }

summary=()
for config in $configs; do
  io=${config%%:*} workers=${config##*:}
  bench "schwarm io_threads=$io db_workers=$workers"
  start_server "$io" "$workers"
  # Warm-up: connections, prepared statements, caches.
  wrk -t"$wrk_threads" -c"$connections" -d2s -s "$tmp/auth.lua" "$base/v1/users/me" >/dev/null
  start_sampler "$server_pid"
  health_result=$(run_wrk "healthz-$config" "$base/healthz")
  add_row "schwarm /healthz (io=$io, db=$workers)" "$health_result" "$(peak_rss)"
  : >"$tmp/rss"
  me_result=$(run_wrk "me-$config" "$base/v1/users/me" "$tmp/auth.lua")
  stop_sampler
  hwm=$(rss_kb "$server_pid" VmHWM)
  add_row "schwarm /v1/users/me (io=$io, db=$workers)" "$me_result" "$(peak_rss) (VmHWM $((hwm / 1024)) MB)"
  summary+=("$(awk -v io="$io" -v w="$workers" -v m="$rate" -v n="$nginx_rate" -v h="$hwm" 'BEGIN {
    printf "io=%s db=%s: /v1/users/me at %.0f%% of nginx static (target >= 50%%: %s); VmHWM %.1f MB (target < 100 MB: %s)",
      io, w, 100 * m / n, (m >= n / 2) ? "met" : "MISSED", h / 1024, (h < 100 * 1024) ? "met" : "MISSED" }')")
  stop_server
done

# --- report --------------------------------------------------------------------
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //'); $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "wrk -t$wrk_threads -c$connections -d${duration}s --latency, TLS keep-alive, loopback; response body $body_bytes bytes"
echo
echo "| target | requests/s | p50 ms | p99 ms | server RSS | socket errors / non-2xx |"
echo "| --- | ---: | ---: | ---: | --- | ---: |"
printf '%s\n' "${rows[@]}"
echo
printf -- '- %s\n' "${summary[@]}"
echo "- CPU busy in the second before each run (0 = idle machine): $(paste -sd, "$tmp/busy" | sed 's/,/, /g')"
