#!/usr/bin/env bash
# Soak benchmark: pushes many frames through scorecamoverlay in each mode, one after the other, and
# prints resident memory after the warm-up and at the end, and latency percentiles by window
# (scorecam-soak). Targets: memory growth under 5 MB after the warm-up, latency flat across windows.
#   tools/soak_element.sh [--frames N] [--size WxH] [--format F] [--mode NAME=PROPERTIES]...
# Default: 100000 frames of 320x240 NV12 per mode, with the modes
#   sync   max-channels=16                   every frame explained before it leaves (16 channels,
#                                            so that 100000 frames take half an hour, not two hours)
#   reuse  refresh-interval=8 rolling=true   the live preset: 1/8 of the channels rescored a frame
#   async  async=true                        frames pass at once; a worker explains the newest
# The plugin and scorecam-soak are taken from build/ (SCORECAM_BUILD_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
frames=100000
size=320x240
format=NV12
modes=()
while (($#)); do
  case "$1" in
    --frames) frames=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --mode) modes+=("$2"); shift 2 ;;
    -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "soak_element: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
((${#modes[@]})) || modes=("sync=max-channels=16" "reuse=refresh-interval=8 rolling=true" "async=async=true")
build=${SCORECAM_BUILD_DIR:-$PWD/build}
export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
[ -x "$build/apps/scorecam-soak" ] || { echo "soak_element: build first (tools/setup.sh)" >&2; exit 2; }
lscpu | grep -E "^Model name|^CPU\(s\)" || true
date -u "+%Y-%m-%d %H:%M UTC"
warmup=$((frames / 20 > 0 ? frames / 20 : 1))  # 5%: long enough for async mode's first explanations
for mode in "${modes[@]}"; do
  name=${mode%%=*}
  echo
  echo "== $name"
  # shellcheck disable=SC2086  # the properties are separate words on purpose
  "$build/apps/scorecam-soak" --frames "$frames" --warmup "$warmup" --size "$size" --format "$format" ${mode#*=}
done
