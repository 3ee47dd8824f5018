# Sourced by test.sh (short runs) and bench/fuzz.sh (long runs): builds the
# libFuzzer targets of tests/fuzz with clang, ASan and UBSan into
# build-fuzz/, and runs each over its seed corpus for a fixed time.

FUZZ_PACKAGES=(clang libclang-rt-14-dev llvm-14)
FUZZ_TARGETS=(json bodies ledger pabulib router money)

fuzz_build() {
  local dir=$1
  cmake -S "$SCHWARM_ROOT/tests/fuzz" -B "$dir" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=None >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}

# fuzz_run BUILD_DIR SECONDS OUT_DIR: runs every target for SECONDS over
# tests/fuzz/corpus/<name> (read only: what the run adds goes to OUT_DIR).
# A crash, sanitizer report, leak, timeout (-timeout=5 s per input) or
# out-of-memory fails it; the reproducer is left in OUT_DIR. Prints one
# line per target: executions, corpus size, coverage.
fuzz_run() {
  local dir=$1 seconds=$2 out=$3 failed=() name log
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:symbolize=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  [ -x /usr/lib/llvm-14/bin/llvm-symbolizer ] && export ASAN_SYMBOLIZER_PATH=/usr/lib/llvm-14/bin/llvm-symbolizer
  rm -rf "$out" && mkdir -p "$out"
  for name in "${FUZZ_TARGETS[@]}"; do
    mkdir -p "$out/$name"
    log=$out/$name.log
    if "$dir/fuzz_$name" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/$name-" "$out/$name" "$SCHWARM_ROOT/tests/fuzz/corpus/$name" >"$log" 2>&1; then
      printf 'fuzz %-8s ok    %10s execs  %6s corpus  cov %s  (%ss)\n' "$name" \
        "$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")" \
        "$(find "$out/$name" "$SCHWARM_ROOT/tests/fuzz/corpus/$name" -type f | wc -l)" \
        "$(grep -o 'cov: [0-9]*' "$log" | tail -1 | cut -d' ' -f2)" "$seconds" >&2
    else
      printf 'fuzz %-8s FAILED (log: %s)\n' "$name" "$log" >&2
      grep -E 'ERROR|SUMMARY|invariant|runtime error|Test unit written' "$log" | head -20 >&2
      failed+=("$name")
    fi
  done
  [ ${#failed[@]} -eq 0 ] || { printf 'fuzz: failed: %s\n' "${failed[*]}" >&2; return 1; }
}
