#!/usr/bin/env bash
# Start-up: what a short run pays before it runs at steady speed, with the choice of copies not yet
# remembered (cold: the first run in an empty cache directory) and remembered (warm: the runs after).
#   tools/bench_startup.sh [--rounds N] [--precision P]...   (default: 3 rounds, precisions fp32 and auto)
# Per precision, in a fresh SCORECAM_CACHE_DIR: ROUNDS+1 runs of `gst-launch-1.0 filesrc ! decodebin !
# videoconvert ! scorecamoverlay precision=P ! fakesink sync=false` over the sample clip; for each, the
# whole process's wall clock, gst-launch's PLAYING-to-EOS time ("Execution ended after"), and the frame
# rate with start-up included as a share of the steady one (frames / PLAYING-to-EOS). Then `scorecam` on
# 3 frames of the clip, cold and warm: ms per image (a run at steady speed keeps the first as fast as
# the others). The plugin and programs come from build/ (SCORECAM_BUILD_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
precisions=()
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --precision) precisions+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_startup: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
((${#precisions[@]})) || precisions=(fp32 auto)
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench_startup: --rounds must be a positive integer" >&2; exit 2; }
build=${SCORECAM_BUILD_DIR:-$PWD/build}
export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
gst-inspect-1.0 scorecamoverlay >/dev/null || { echo "bench_startup: build the plugin first (tools/setup.sh)" >&2; exit 2; }
video=samples/fashion_walk.mp4
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
gst-launch-1.0 -q filesrc location=$video ! decodebin ! videoconvert ! video/x-raw,format=RGB ! pngenc \
  ! multifilesink location="$work/frame_%03d.png" >/dev/null
frames=$(ls "$work"/frame_*.png | wc -l)
lscpu | grep -E "^Model name|^CPU\(s\)" || true
echo "video $video: $frames frames; $rounds warm rounds after the cold one"

now() { date +%s.%N; }
for precision in "${precisions[@]}"; do
  export SCORECAM_CACHE_DIR=$work/cache-$precision
  for ((run = 0; run <= rounds; run++)); do
    kind=$( ((run == 0)) && echo cold || echo warm)
    start=$(now)
    output=$(gst-launch-1.0 filesrc location=$video ! decodebin ! videoconvert ! scorecamoverlay precision="$precision" \
      ! fakesink sync=false 2>&1) || { echo "$output" >&2; exit 1; }
    wall=$(awk -v from="$start" -v to="$(now)" 'BEGIN { print to - from }')
    playing=$(echo "$output" | awk '/Execution ended after/ { split($4, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }')
    awk -v p="$precision" -v k="$kind" -v w="$wall" -v e="$playing" -v f="$frames" 'BEGIN {
      printf "%s %s: wall clock %.2f s, PLAYING to EOS %.2f s: %.1f frames/s with start-up, %.1f steady (%.0f%% of it)\n",
             p, k, w, e, f / w, f / e, 100 * e / w }'
  done
  rm -rf "$SCORECAM_CACHE_DIR"
  for kind in cold warm; do
    echo "$precision $kind, scorecam on 3 frames:" \
      $("$build"/apps/scorecam --precision "$precision" --out "$work/out" "$work"/frame_000.png "$work"/frame_040.png \
        "$work"/frame_080.png | grep -o '[0-9]* ms)' | tr -d ')' | paste -sd' ')
  done
done
