#!/usr/bin/env bash
# Export benchmark (issue 3): 1,000,000 postings (500,000 two-posting entries,
# seeded with SQL) exported in every format with `schwarm ledger export`,
# timed with /usr/bin/time: postings/s and peak RSS (memory must not grow with
# the range: compare with a 10x smaller export).
# Settings: BENCH_ENTRIES (default 500000), BENCH_SKIP_BUILD=1.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../run.sh"
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

entries=${BENCH_ENTRIES:-500000}
install_packages "${APT_PACKAGES[@]}" time
bench_build "$SCHWARM_ROOT/build"
binary=$SCHWARM_ROOT/build/schwarm

tmp=$(mktemp -d /tmp/schwarm-export-bench.XXXXXX)
chmod 755 "$tmp"
trap 'pg_stop "$tmp/pg"; rm -rf "$tmp"' EXIT
pg_port=$(free_port)
pg_start "$tmp/pg" "$pg_port"
pg_ensure_database "$tmp/pg" "$pg_port" schwarm
export DATABASE_URL; DATABASE_URL=$(pg_url "$tmp/pg" "$pg_port" schwarm)
"$binary" migrate 2>/dev/null

bench "seeding $entries entries ($((2 * entries)) postings)"
psql -q "$DATABASE_URL" <<SQL
INSERT INTO ledger_accounts (code, name, type, currency)
  SELECT 'acct:' || i, 'Account ' || i, 'liability', 'EUR' FROM generate_series(1, 1000) i;
INSERT INTO ledger_entries (id, idempotency_key, request_hash, kind, description, request_id, created_at)
  SELECT nextval('ledger_entries_id_seq'), 'seed-' || i, repeat('0', 64), 'posted', 'seeded entry ' || i, 'bench',
         timestamptz '2026-01-01' + i * interval '1 second'
  FROM generate_series(1, $entries) i;
INSERT INTO ledger_postings (entry_id, seq, account_id, side, amount_minor, currency)
  SELECT e.id, s.seq, 1 + (e.id * 7 + s.seq) % 1000, CASE s.seq WHEN 0 THEN 'debit' ELSE 'credit' END::posting_side,
         100 + e.id % 10000, 'EUR'
  FROM ledger_entries e CROSS JOIN (VALUES (0), (1)) AS s(seq);
ANALYZE;
SQL

echo "## Ledger export (bench/ledger-export.sh)"
echo
echo "$(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%FT%TZ); $((2 * entries)) postings"
echo
echo "| format | postings | seconds | postings/s | output MB | peak RSS MB | peak RSS MB, 1/10 of the range |"
echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
tenth_to=$(date -u -d "2026-01-01 + $((entries / 10)) seconds" +%FT%TZ)
for format in csv jsonl hledger gobd; do
  out=$( { /usr/bin/time -f '%e %M' "$binary" ledger export --format "$format" --output "$tmp/export.$format" >/dev/null; } 2>&1 | tail -1)
  small=$( { /usr/bin/time -f '%e %M' "$binary" ledger export --format "$format" --to "$tenth_to" --output "$tmp/small.$format" >/dev/null; } 2>&1 | tail -1)
  secs=${out% *}; kib=${out#* }
  size=$(( $(stat -c %s "$tmp/export.$format") / 1048576 ))
  rate=$(awk "BEGIN{printf \"%d\", $((2 * entries)) / ($secs > 0 ? $secs : 0.001)}")
  echo "| $format | $((2 * entries)) | $secs | $rate | $size | $((kib / 1024)) | $(( ${small#* } / 1024 )) |"
  rm -f "$tmp/export.$format" "$tmp/small.$format"
done
