#!/usr/bin/env bash
# Installs the dependencies, builds (Release) and runs every test: GoogleTest suites, the
# end-to-end runs of the binary, and the formatting check.
#   scripts/test.sh              all tests
#   scripts/test.sh -L core      one label: core, torch, e2e, style
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install_deps.sh
scripts/build.sh
cd "${BUILD_DIR:-build}"
ctest --output-on-failure -j "$(nproc)" "$@"
