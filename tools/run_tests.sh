#!/usr/bin/env bash
# Installs what the project needs, builds it, and runs every test (ctest: core, tools, element, pipelines).
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
ctest --test-dir build --output-on-failure -j"$(nproc)" "$@"
