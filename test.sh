#!/usr/bin/env bash
# Builds schwarm with its tests, starts a throwaway PostgreSQL, runs every
# test through CTest, stops PostgreSQL, and exits non-zero on any failure.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/run.sh"
source "$SCHWARM_ROOT/tests/fuzz/lib.sh"

TEST_PACKAGES=(hledger libxml2-utils clang-format haproxy python3 python3-yaml python3-jsonschema chromium)
# Node.js and npm for the browser tests (tests/web): Debian's, unless a
# node with npm is installed already (a nodejs package of its own that
# bundles npm would conflict with Debian's npm).
command -v npm >/dev/null 2>&1 || TEST_PACKAGES+=(nodejs npm)

install_packages "${APT_PACKAGES[@]}" "${TEST_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
# npm_ci DIR: the npm packages pinned in DIR/package-lock.json, installed
# again only when the lockfile changed (node_modules/.schwarm-lock: the
# lockfile it was installed from).
npm_ci() {
  cmp -s "$1/package-lock.json" "$1/node_modules/.schwarm-lock" && return 0
  say "installing ${1#"$SCHWARM_ROOT/"}'s npm packages (npm ci)"
  (cd "$1" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null &&
    cp package-lock.json node_modules/.schwarm-lock)
}
# playwright-core drives /usr/bin/chromium; nothing may download a browser.
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm_ci "$SCHWARM_ROOT/tests/web"
# Redocly CLI, which lints api/openapi.yaml after the tests.
npm_ci "$SCHWARM_ROOT/tests/openapi"
build "$SCHWARM_ROOT/build" -DSCHWARM_TESTS=ON

scratch=$(mktemp -d /tmp/schwarm-test.XXXXXX)
chmod 755 "$scratch"
trap 'pg_stop "$scratch/replica"; pg_stop "$scratch/pg"; rm -rf "$scratch"' EXIT
pg_port=${SCHWARM_PG_PORT:-$((40000 + RANDOM % 20000))}
# A test cluster: its databases' platform clock may be moved (docs/time.md).
pg_start "$scratch/pg" "$pg_port" "-c schwarm.test_clock=on"
pg_ensure_roles "$scratch/pg" "$pg_port"
# A streaming replica of it, for the read-replica tests (tests/api/replica_test.cpp).
replica_port=$((pg_port + 1))
pg_start_replica "$scratch/pg" "$pg_port" "$scratch/replica" "$replica_port" "-c schwarm.test_clock=on"
make_certificate "$scratch/tls"

# Tests make their own databases on this cluster: postgresql:///NAME?host=…&port=…&user=schwarm
export SCHWARM_TEST_PG_HOST=$scratch/pg/socket SCHWARM_TEST_PG_PORT=$pg_port
export SCHWARM_TEST_REPLICA_HOST=$scratch/replica/socket SCHWARM_TEST_REPLICA_PORT=$replica_port
export SCHWARM_TEST_TLS_CERT=$scratch/tls/cert.pem SCHWARM_TEST_TLS_KEY=$scratch/tls/key.pem
export SCHWARM_TEST_BINARY=$SCHWARM_ROOT/build/schwarm
export SCHWARM_TEST_SHARED_DIR=${SCHWARM_TEST_SHARED_DIR:-$SCHWARM_ROOT/../shared}
export SCHWARM_TEST_SCRATCH=$scratch
# The browser stories' screenshots (tests/web), kept after the run.
export SCHWARM_TEST_SCREENSHOTS=${SCHWARM_TEST_SCREENSHOTS:-$SCHWARM_ROOT/build/screenshots}
# Every response the tests receive is written down here, then checked
# against the API description (tests/openapi/validate_responses.py).
export SCHWARM_TEST_RESPONSES=$scratch/responses
mkdir -p "$SCHWARM_TEST_RESPONSES"

cd "$SCHWARM_ROOT/build"
ctest --output-on-failure --timeout 600 -j "$(nproc)" "$@"
say "checking every response the tests saw against api/openapi.yaml"
python3 -W ignore::DeprecationWarning "$SCHWARM_ROOT/tests/openapi/validate_responses.py" \
  "$SCHWARM_ROOT/api/openapi.yaml" "$SCHWARM_TEST_RESPONSES" --at-least "$([ $# -eq 0 ] && echo 1000 || echo 0)"
# The document itself: Redocly CLI's recommended rules (tests/openapi/redocly.yaml),
# pinned in tests/openapi/package-lock.json.
say "linting api/openapi.yaml (redocly)"
(cd "$SCHWARM_ROOT/tests/openapi" && npx --no-install redocly lint --config redocly.yaml --format=stylish ../../api/openapi.yaml)

# The fuzz targets (tests/fuzz): their own clang build with libFuzzer, ASan
# and UBSan, each run SCHWARM_FUZZ_SECONDS (default 20) over its corpus.
# A targeted run (./test.sh -R …) skips them unless that variable is set;
# 0 skips them always. bench/fuzz.sh runs them longer.
fuzz_seconds=${SCHWARM_FUZZ_SECONDS:-$([ $# -eq 0 ] && echo 20 || echo 0)}
if [ "$fuzz_seconds" -gt 0 ]; then
  say "fuzzing: building build-fuzz/ (clang, ASan, UBSan)"
  fuzz_build "$SCHWARM_ROOT/build-fuzz"
  say "fuzzing: ${#FUZZ_TARGETS[@]} targets, ${fuzz_seconds}s each"
  # Logs and any reproducer stay in build-fuzz/last-run/ for a look afterwards.
  fuzz_run "$SCHWARM_ROOT/build-fuzz" "$fuzz_seconds" "$SCHWARM_ROOT/build-fuzz/last-run"
fi
