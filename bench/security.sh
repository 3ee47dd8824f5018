#!/usr/bin/env bash
# TLS and injection audit of the real server (issue 7, item 3), with Debian's
# tools: testssl.sh against the TLS endpoint (protocols, ciphers, forward
# secrecy, renegotiation, known vulnerabilities) and sqlmap against the
# public listing and search (every query parameter) and the login (JSON body).
# Prints a markdown summary; exits 1 if testssl reports a finding of severity
# MEDIUM or worse or sqlmap finds an injectable parameter.
#
# Settings: BENCH_SQLMAP_LEVEL (3), BENCH_SQLMAP_RISK (2), BENCH_BUILD_DIR,
# BENCH_SKIP_BUILD=1, BENCH_KEEP_LOGS=DIR (raw outputs are copied there).
set -euo pipefail
bench_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
source "$bench_dir/../run.sh"
source "$bench_dir/lib.sh"

level=${BENCH_SQLMAP_LEVEL:-3}
risk=${BENCH_SQLMAP_RISK:-2}
build_dir=${BENCH_BUILD_DIR:-$SCHWARM_ROOT/build}
install_packages "${APT_PACKAGES[@]}" testssl.sh sqlmap curl jq iproute2
bench_build "$build_dir"
binary=$build_dir/schwarm
bench_workspace security
db_url=$(bench_database audit)
# The rate limits would answer sqlmap's thousands of requests with 429 and hide
# what the handlers do; they are off for the audit.
bench_serve "$db_url" SCHWARM_RATE_PER_CLIENT_PER_S=0 SCHWARM_LOGIN_PER_CLIENT_PER_MIN=100000 SCHWARM_LOGIN_FAILURES_MAX=1000

# Some data, so that queries return rows and differences show.
curl -sk -f -H 'Content-Type: application/json' -d '{"email":"olga@example.org","password":"correct horse battery","display_name":"Olga"}' \
  "$base/v1/users" >/dev/null
token=$(curl -sk -f -H 'Content-Type: application/json' -d '{"email":"olga@example.org","password":"correct horse battery"}' \
  "$base/v1/sessions" | jq -r .token)
for t in "Solardach für die Kita" "Dorfladen Kleinwalde" "Radweg zum Bahnhof"; do
  curl -sk -f -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    -d "{\"title\":\"$t\",\"summary\":\"ein Projekt\",\"category\":\"energy\",\"kind\":\"donation\",\"goal_minor\":100000,\"currency\":\"EUR\",\"deadline\":\"2099-01-01T00:00:00Z\"}" \
    "$base/v1/projects" >/dev/null
  id=$(curl -sk -H "Authorization: Bearer $token" "$base/v1/projects/mine" | jq -r '.items[0].id')
  curl -sk -f -X POST -H "Authorization: Bearer $token" "$base/v1/projects/$id/submit" >/dev/null
done

# --- testssl.sh ------------------------------------------------------------------
bench "testssl.sh against $base"
testssl --quiet --color 0 --warnings off --openssl-timeout 5 --jsonfile "$tmp/testssl.json" "127.0.0.1:$port" \
  >"$tmp/testssl.txt" 2>&1 || true
finding() { jq -r --arg id "$1" '.[] | select(.id == $id) | .finding' "$tmp/testssl.json" | head -1; }
# The certificate is the self-signed one made for localhost: its findings
# (no chain of trust, no revocation URI) are about that file, not the server;
# production serves the bank's certificate. They are listed, not gated.
severe_of() {
  jq -r --arg certs "$1" '[.[] | select(.severity == "MEDIUM" or .severity == "HIGH" or .severity == "CRITICAL")
    | select((.id | startswith("cert_")) == ($certs == "yes"))] | map(.id + " (" + .severity + "): " + .finding) | .[]' "$tmp/testssl.json"
}
severe=$(severe_of no)
certificate=$(severe_of yes)

# --- sqlmap ----------------------------------------------------------------------
sqlmap_run() {
  local name=$1; shift
  bench "sqlmap: $name"
  sqlmap --batch --level "$level" --risk "$risk" --dbms=PostgreSQL --output-dir="$tmp/sqlmap-out" \
    --flush-session --disable-coloring "$@" >"$tmp/sqlmap-$name.txt" 2>&1 || true
  if grep -q "is vulnerable\|sqlmap identified the following injection point" "$tmp/sqlmap-$name.txt"; then
    echo "injectable"
  elif grep -q "do not appear to be injectable\|does not seem to be injectable" "$tmp/sqlmap-$name.txt"; then
    echo "nothing found"
  else
    echo "inconclusive (see the log)"
  fi
}
listing=$(sqlmap_run listing -u "$base/v1/projects?state=submitted&kind=donation&category=energy&sort=newest&limit=20&cursor=999")
search=$(sqlmap_run search -u "$base/v1/projects?q=Solardach")
login=$(sqlmap_run login -u "$base/v1/sessions" --method POST --headers "Content-Type: application/json" --ignore-code=401 \
  --data '{"email":"olga@example.org","password":"wrong password here"}')
server_errors=$(grep -c '"level":"error"' "$tmp/schwarm.log" || true)

echo "## TLS and injection audit (bench/security.sh), $(date -u +%Y-%m-%d)"
echo
echo "testssl.sh $(dpkg-query -W -f '${Version}' testssl.sh) against the server with its defaults:"
echo
echo "| check | finding |"
echo "|---|---|"
for id in SSLv2 SSLv3 TLS1 TLS1_1 TLS1_2 TLS1_3 PFS PFS_ECDHE_curves secure_renego secure_client_renego cipherlist_NULL cipherlist_aNULL \
          cipherlist_EXPORT cipherlist_LOW cipherlist_3DES_IDEA cipherlist_AVERAGE heartbleed ROBOT BEAST LUCKY13 SWEET32 POODLE_SSL; do
  echo "| $id | $(finding "$id") |"
done
echo
if [ -z "$severe" ]; then echo "Findings of severity MEDIUM or worse: none."; else echo "Findings of severity MEDIUM or worse:"; echo "$severe" | sed 's/^/- /'; fi
if [ -n "$certificate" ]; then
  echo
  echo "About the self-signed test certificate (expected; not the server's configuration):"
  echo "$certificate" | sed 's/^/- /'
fi
echo
echo "sqlmap $(dpkg-query -W -f '${Version}' sqlmap), --level $level --risk $risk, PostgreSQL payloads:"
echo
echo "| target | parameters | result |"
echo "|---|---|---|"
echo "| GET /v1/projects (listing) | state, kind, category, sort, limit, cursor | $listing |"
echo "| GET /v1/projects (search) | q | $search |"
echo "| POST /v1/sessions (login, JSON) | email, password | $login |"
echo
echo "Server errors (500) logged meanwhile: $server_errors."
[ -z "$severe" ] && [ "$listing$search$login" = "nothing foundnothing foundnothing found" ] || exit 1
