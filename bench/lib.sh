# Shared by the bench/*.sh scripts (sourced, after run.sh).

bench() { printf 'bench: %s\n' "$*" >&2; }

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
