# Sourced by the shell tests of tests/scale with their arguments (MODEL.pt): strict mode, $model,
# a temporary directory $tmp removed on exit, and fail.
set -euo pipefail
[ $# -eq 1 ] && [ -f "$1" ] || { echo "usage: $0 MODEL.pt   (SCORECAM_BUILD_DIR: the build to run)" >&2; exit 2; }
model=$1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/scorecam-$(basename "$0" .sh).XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Fails the test with the reason and the end of every log under $tmp.
fail() {
  echo "FAIL: $*" >&2
  while IFS= read -r -d '' log; do
    echo "--- $log" >&2
    tail -n 20 "$log" >&2
  done < <(find "$tmp" -name '*.log' -print0)
  exit 1
}
