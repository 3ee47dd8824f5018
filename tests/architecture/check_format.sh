#!/usr/bin/env bash
# Every C++ source of the repository follows .clang-format (lines of at most
# 120 columns among the rest). Prints the first offences and fails on any.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
mapfile -t files < <(git ls-files '*.cpp' '*.hpp' 2>/dev/null || find core ledger risk api tests -name '*.[ch]pp')
clang-format --dry-run --Werror "${files[@]}"
