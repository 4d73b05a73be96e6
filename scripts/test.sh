#!/usr/bin/env bash
# Sets up (dependencies + build) and runs the whole test suite; ends with ctest's summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
ctest --test-dir "${FASTIMG_BUILD_DIR:-build}" --output-on-failure -j "$(nproc)" "$@"
