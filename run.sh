#!/usr/bin/env bash
# Builds schwarm and serves HTTPS. With no DATABASE_URL it runs a private
# PostgreSQL cluster under var/ and a self-signed certificate for localhost.
# test.sh sources this file for its functions; run directly, it serves.
set -euo pipefail

SCHWARM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PG_BIN=/usr/lib/postgresql/15/bin
APT_PACKAGES=(build-essential cmake pkg-config libboost1.81-dev libboost-json1.81-dev
  libboost-url1.81-dev libpqxx-dev libssl-dev catch2 libargon2-dev postgresql-15 openssl)

say() { printf 'schwarm: %s\n' "$*" >&2; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# Installs the Debian packages that are missing (and only those).
install_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  say "installing ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

build() {
  local dir=$1; shift
  cmake -S "$SCHWARM_ROOT" -B "$dir" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

# Runs a PostgreSQL tool as the cluster's owner: initdb refuses root, so as
# root the cluster belongs to the postgres user.
pg_as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# pg_start DIR PORT [OPTIONS]: creates (first time) and starts a cluster in
# DIR that listens only on a Unix socket in DIR/socket, with server OPTIONS
# (test.sh: "-c schwarm.test_clock=on", which lets tests move the clock).
pg_start() {
  local dir=$1 port=$2 options=${3:-}
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg_as_owner "$PG_BIN/initdb" -D "$dir/data" -U schwarm --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
  fi
  pg_as_owner mkdir -p "$dir/socket"
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir/socket -p $port -c max_connections=200 $options" start >/dev/null
}

# pg_start_replica PRIMARY_DIR PRIMARY_PORT DIR PORT [OPTIONS]: a streaming
# replica of the running primary in DIR (pg_basebackup, hot standby), on its
# own Unix socket in DIR/socket.
pg_start_replica() {
  local primary=$1 primary_port=$2 dir=$3 port=$4 options=${5:-}
  mkdir -p "$dir"
  [ "$(id -u)" -eq 0 ] && chown postgres:postgres "$dir"
  if [ ! -f "$dir/data/PG_VERSION" ]; then
    pg_as_owner "$PG_BIN/pg_basebackup" -D "$dir/data" -R -X stream -c fast \
      -d "host=$primary/socket port=$primary_port user=schwarm" >/dev/null
  fi
  pg_as_owner mkdir -p "$dir/socket"
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
    -o "-c listen_addresses='' -k $dir/socket -p $port -c max_connections=200 -c hot_standby=on $options" start >/dev/null
}

pg_stop() {
  local dir=$1
  pg_as_owner "$PG_BIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
}

pg_url() {
  local dir=$1 port=$2 db=$3
  printf 'postgresql:///%s?host=%s/socket&port=%s&user=schwarm' "$db" "$dir" "$port"
}

# pg_url_as DIR PORT DB ROLE: the same, connecting as ROLE.
pg_url_as() {
  local dir=$1 port=$2 db=$3 role=$4
  printf 'postgresql:///%s?host=%s/socket&port=%s&user=%s' "$db" "$dir" "$port" "$role"
}

# Least privilege (docs/operations.md): schwarm_owner owns the schema and
# migrates; schwarm_app serves, as a member of schwarm_serving, which the
# migrations grant what serving needs. Idempotent.
pg_ensure_roles() {
  local dir=$1 port=$2
  psql -q "$(pg_url "$dir" "$port" postgres)" >/dev/null <<'SQL'
DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schwarm_serving') THEN CREATE ROLE schwarm_serving NOLOGIN; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schwarm_app') THEN CREATE ROLE schwarm_app LOGIN IN ROLE schwarm_serving; END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'schwarm_owner') THEN CREATE ROLE schwarm_owner LOGIN; END IF;
END $$;
SQL
}

pg_ensure_database() {
  local dir=$1 port=$2 db=$3
  if ! psql -q "$(pg_url "$dir" "$port" postgres)" -tAc "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    psql -q "$(pg_url "$dir" "$port" postgres)" -c "CREATE DATABASE $db OWNER schwarm_owner" >/dev/null
  fi
}

# The role that owns database DB (a cluster made before roles existed: the
# bootstrap superuser).
pg_database_owner() {
  local dir=$1 port=$2 db=$3
  psql -q "$(pg_url "$dir" "$port" postgres)" -tAc "SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '$db'"
}

# make_certificate DIR: a self-signed certificate for localhost, if none yet.
make_certificate() {
  local dir=$1
  mkdir -p "$dir"
  [ -f "$dir/cert.pem" ] && [ -f "$dir/key.pem" ] && return 0
  openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 825 \
    -subj /CN=localhost -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
    -keyout "$dir/key.pem" -out "$dir/cert.pem" 2>/dev/null
  chmod 600 "$dir/key.pem"
}

main() {
  install_packages "${APT_PACKAGES[@]}"
  build "$SCHWARM_ROOT/build" -DSCHWARM_TESTS=OFF

  local var=${SCHWARM_VAR_DIR:-$SCHWARM_ROOT/var}
  local pg_port=${SCHWARM_PG_PORT:-54329}
  local own_cluster=
  if [ -z "${DATABASE_URL:-}" ]; then
    pg_start "$var/pg" "$pg_port"
    own_cluster=1
    pg_ensure_roles "$var/pg" "$pg_port"
    pg_ensure_database "$var/pg" "$pg_port" schwarm
    export DATABASE_URL SCHWARM_MIGRATION_DATABASE_URL
    DATABASE_URL=$(pg_url_as "$var/pg" "$pg_port" schwarm schwarm_app)
    SCHWARM_MIGRATION_DATABASE_URL=$(pg_url_as "$var/pg" "$pg_port" schwarm "$(pg_database_owner "$var/pg" "$pg_port" schwarm)")
    say "private PostgreSQL in $var/pg (port $pg_port); serving as schwarm_app, migrating as the database's owner"
  fi
  if [ -z "${SCHWARM_TLS_CERT:-}" ]; then
    make_certificate "$var/tls"
    export SCHWARM_TLS_CERT=$var/tls/cert.pem SCHWARM_TLS_KEY=$var/tls/key.pem
    say "self-signed certificate for localhost: $SCHWARM_TLS_CERT"
  fi
  if [ -z "${SCHWARM_BALLOT_KEY:-}" ]; then
    # Seals ballots while a round is open (docs/SECURITY.md): kept outside
    # the database, made once, readable by this user only.
    mkdir -p "$var"
    if [ ! -s "$var/ballot.key" ]; then
      (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=' >"$var/ballot.key")
    fi
    SCHWARM_BALLOT_KEY=$(cat "$var/ballot.key")
    export SCHWARM_BALLOT_KEY
    say "ballot key: $var/ballot.key"
  fi
  if [ -z "${SCHWARM_METRICS_TOKEN:-}" ]; then
    # /metrics answers only to this bearer token (Prometheus' bearer_token_file).
    mkdir -p "$var"
    if [ ! -s "$var/metrics.token" ]; then
      (umask 077 && head -c 32 /dev/urandom | base64 | tr -d '\n=+/' >"$var/metrics.token")
    fi
    SCHWARM_METRICS_TOKEN=$(cat "$var/metrics.token")
    export SCHWARM_METRICS_TOKEN
    say "metrics token: $var/metrics.token"
  fi

  say "serving https://localhost:${SCHWARM_PORT:-8443}/ (Ctrl-C stops)"
  local status=0
  "$SCHWARM_ROOT/build/schwarm" serve &
  local server=$!
  trap 'kill -TERM $server 2>/dev/null || true' INT TERM
  wait $server || status=$?
  # wait returns early when a trapped signal arrives; wait for the drain.
  if kill -0 $server 2>/dev/null; then wait $server || status=$?; fi
  trap - INT TERM
  [ -n "$own_cluster" ] && pg_stop "$var/pg"
  return $status
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  main "$@"
fi
