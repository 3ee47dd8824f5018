# Shared by the bench/*.sh scripts (sourced, after run.sh).

bench() { printf 'bench: %s\n' "$*" >&2; }

# SCHWARM_BALLOT_KEY of the benchmarks' servers (serve requires one).
bench_ballot_key=bench-ballot-key-not-secret-0123456789abcdef
# /metrics answers only to this token (SCHWARM_METRICS_TOKEN).
bench_metrics_token=bench-metrics-token-not-secret-0123456789

# bench_build DIR: the Release server binary, unless BENCH_SKIP_BUILD=1.
bench_build() {
  local dir=$1
  [ -n "${BENCH_SKIP_BUILD:-}" ] && return 0
  bench "building Release in $dir"
  cmake -S "$SCHWARM_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release >/dev/null
  cmake --build "$dir" --target schwarm -j "$(nproc)" >/dev/null
}

# free_port: a random loopback TCP port nobody listens on.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 30000))
    ss -Hltn "sport = :$p" | grep -q . || { echo "$p"; return; }
  done
}

# bench_workspace NAME: a temporary directory with a private PostgreSQL
# cluster and a certificate for localhost. Sets tmp, port, pg_port and base;
# on exit stops every process in bench_pids (servers, samplers, attackers),
# copies logs to BENCH_KEEP_LOGS when set, stops the cluster and removes it all.
bench_workspace() {
  tmp=$(mktemp -d "/tmp/schwarm-$1.XXXXXX")
  chmod 755 "$tmp" # PostgreSQL (user postgres) looks inside
  port=$(free_port)
  pg_port=$(free_port)
  base=https://127.0.0.1:$port
  bench_pids=()
  trap bench_cleanup EXIT
  trap 'exit 130' INT TERM
  pg_start "$tmp/pg" "$pg_port"
  make_certificate "$tmp/tls"
}
bench_cleanup() {
  set +e
  local pid
  for pid in "${bench_pids[@]}"; do kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null; done
  if [ -n "${BENCH_KEEP_LOGS:-}" ]; then
    mkdir -p "$BENCH_KEEP_LOGS" && cp -r "$tmp"/*.log "$tmp"/*.txt "$tmp"/*.err "$tmp"/*.json "$BENCH_KEEP_LOGS"/ 2>/dev/null
  fi
  pg_stop "$tmp/pg"
  rm -rf "$tmp"
}

# bench_database NAME: creates the database on the workspace's cluster,
# applies the migrations, and prints its URL.
bench_database() {
  psql -X -q -h "$tmp/pg/socket" -p "$pg_port" -U schwarm -d postgres -c "CREATE DATABASE $1" >/dev/null
  local url; url=$(pg_url "$tmp/pg" "$pg_port" "$1")
  DATABASE_URL=$url "$binary" migrate 2>/dev/null
  echo "$url"
}

# bench_serve URL [VAR=VALUE ...]: serves $binary on $port with the
# workspace's certificate (and the settings given), logging to
# $tmp/schwarm.log; waits for /healthz. Sets server_pid.
bench_serve() {
  local url=$1; shift
  env DATABASE_URL="$url" SCHWARM_PORT="$port" SCHWARM_LISTEN_ADDRESS=127.0.0.1 SCHWARM_TLS_CERT="$tmp/tls/cert.pem" \
    SCHWARM_TLS_KEY="$tmp/tls/key.pem" SCHWARM_BALLOT_KEY="$bench_ballot_key" SCHWARM_METRICS_TOKEN="$bench_metrics_token" "$@" "$binary" serve 2>>"$tmp/schwarm.log" &
  server_pid=$!
  bench_pids+=("$server_pid")
  local _
  for _ in $(seq 1 100); do
    curl -sk -o /dev/null "$base/healthz" 2>/dev/null && return 0
    kill -0 "$server_pid" 2>/dev/null || { tail -5 "$tmp/schwarm.log" >&2; exit 1; }
    sleep 0.1
  done
  bench "schwarm did not answer /healthz"; exit 1
}
bench_stop_server() { kill -TERM "$server_pid"; wait "$server_pid" || true; }
