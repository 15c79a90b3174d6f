#!/usr/bin/env bash
# Configures (once) and builds targets in a sanitizer build folder with clang: the shared part
# of scripts/sanitize.sh and scripts/fuzz.sh.
#   scripts/sanitizer_build.sh DIR SANITIZERS FUZZ(ON|OFF) target...
# Exits 77 (a skipped test) when clang is missing.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=$1 sanitizers=$2 fuzz=$3
shift 3
if ! command -v clang++ >/dev/null; then
  echo "sanitizer_build: clang++ not found (scripts/install_deps.sh installs clang); skipping"
  exit 77
fi
generator=()
command -v ninja >/dev/null && generator=(-G Ninja)
if [[ ! -f $dir/CMakeCache.txt ]]; then
  # A build type of its own (none of Release's or Debug's flags): -O1 with line tables is quick
  # to compile, fast enough to fuzz, and gives file:line in every report. No PCH: a precompiled
  # header must see the same sanitizer flags as its users.
  CC=clang CXX=clang++ cmake -S . -B "$dir" "${generator[@]}" -DCMAKE_BUILD_TYPE=Sanitize \
    -DCMAKE_CXX_FLAGS="-O1 -gline-tables-only" -DIMAGENET_SANITIZE="$sanitizers" \
    -DIMAGENET_FUZZ="$fuzz" -DIMAGENET_USE_PCH=OFF >/dev/null
fi
cmake --build "$dir" -j "$(nproc)" --target "$@"
