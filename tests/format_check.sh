# Checks that every C++ file follows .clang-format (run by ctest as the "style" test).
#   bash tests/format_check.sh [source dir]
set -euo pipefail
cd "${1:-$(dirname "$0")/..}"
if ! command -v clang-format >/dev/null; then
  echo "clang-format is not installed (scripts/install_deps.sh installs it); skipping"
  exit 77
fi
mapfile -t files < <(git ls-files '*.cpp' '*.h' 2>/dev/null || find src include tests bench -name '*.cpp' -o -name '*.h')
clang-format --dry-run --Werror "${files[@]}"
echo "${#files[@]} files formatted as .clang-format says"
