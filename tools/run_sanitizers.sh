#!/usr/bin/env bash
# Builds the core, the publish library and the elements with AddressSanitizer and
# UndefinedBehaviorSanitizer in build-sanitize/ and runs their tests there (ctest core.*, publish.*
# and the elements' gst.* tests); any sanitizer report fails the run. The pipeline, script and annotate
# tests are left out: they run gst-launch-1.0, gst-inspect-1.0 and other uninstrumented programs, which cannot load
# an instrumented plugin.
# The camera tests (and those of its HTTP API and status page) run the instrumented scorecam-camera in a process of
# its own; there LeakSanitizer's scan at exit crashes in its own tracer ("Tracer caught signal 11") while
# GStreamer's threads wind down, so they run with AddressSanitizer's other checks and UBSan, but
# without the leak scan.
#   tools/run_sanitizers.sh [CTEST ARGUMENTS...]
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh --no-build
build=build-sanitize
cmake -S . -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSCORECAM_SANITIZE=ON
cmake --build "$build" -j"$(nproc)"
# The plugin is scanned in the test process, which has the sanitizer runtime, not in
# gst-plugin-scanner, which has not.
export GST_REGISTRY_FORK=no
export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}
export LSAN_OPTIONS=${LSAN_OPTIONS:-suppressions=$PWD/tests/sanitizer/lsan.supp:print_suppressions=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -R '^(core|publish|gst)\.' \
  -E '^gst\.(Pipeline|Scripts|Annotate|MultiStream|Camera|inspect|bench_element)' "$@"
ASAN_OPTIONS=${ASAN_OPTIONS/detect_leaks=1/detect_leaks=0} \
  ctest --test-dir "$build" --output-on-failure -j"$(nproc)" -R '^gst\.Camera(Api|Page)?\.' "$@"
