#!/usr/bin/env bash
# Frames per second of scorecamoverlay over a video, decoding included, for several property sets
# in one run: the sets take turns, ROUNDS times, so that they share the machine's drift.
#   tools/bench_element.sh [--rounds N] [--video FILE] [--format FORMAT] [--streams N] [--preset NAME=PROPERTIES]...
# Default presets: "default" (no properties: exact Score-CAM on every frame) and "live"
# (refresh-interval=8 rolling=true: 1/8 of the channels rescored on each frame, see docs/element.md).
# Each run is `filesrc ! decodebin ! videoconvert [! video/x-raw,format=FORMAT] ! scorecamoverlay !
# fakesink sync=false` (without --format, videoconvert and the element agree on one); its
# time is gst-launch's own PLAYING-to-EOS time, which leaves out loading the model. The first
# frame is explained while prerolling, before that time starts, so it is not counted. The plugin
# is taken from build/ (SCORECAM_BUILD_DIR overrides).
# --streams N: N such branches in one pipeline, each decoding the video and with an element of its
# own (which share one model unless the preset says share-model=false); frames/s is then all the
# streams' frames together. Each run also reports the process's peak resident memory.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=3
video=samples/fashion_walk.mp4
format=
streams=1
presets=()
while (($#)); do
  case "$1" in
    --rounds) rounds=$2; shift 2 ;;
    --video) video=$2; shift 2 ;;
    --format) format=$2; shift 2 ;;
    --preset) presets+=("$2"); shift 2 ;;
    --streams) streams=$2; shift 2 ;;
    -h|--help) sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_element: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
((${#presets[@]})) || presets=("default=" "live=refresh-interval=8 rolling=true")
[ -f "$video" ] || { echo "bench_element: no video '$video'" >&2; exit 2; }
[[ "$rounds" =~ ^[1-9][0-9]*$ ]] || { echo "bench_element: --rounds must be a positive integer" >&2; exit 2; }
[[ "$streams" =~ ^[1-9][0-9]*$ ]] || { echo "bench_element: --streams must be a positive integer" >&2; exit 2; }
export GST_PLUGIN_PATH=${SCORECAM_BUILD_DIR:-$PWD/build}/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
gst-inspect-1.0 scorecamoverlay >/dev/null || { echo "bench_element: build the plugin first (tools/setup.sh)" >&2; exit 2; }

decode="filesrc location=$video ! decodebin ! videoconvert${format:+ ! video/x-raw,format=$format}"
frames=$(gst-launch-1.0 -v $decode ! fakesink silent=false 2>/dev/null | grep -c "chain" || true)
((frames > 1)) || { echo "bench_element: '$video' decodes to $frames frame(s)" >&2; exit 2; }
lscpu | grep -E "^Model name|^CPU\(s\)" || true
echo "video $video${format:+ as $format}: $frames frames; $streams stream(s); $rounds rounds"

seconds_of() {  # "Execution ended after 0:00:05.123456789" -> 5.123456789
  awk '/Execution ended after/ { split($4, t, ":"); print t[1] * 3600 + t[2] * 60 + t[3] }'
}

declare -A fps_list
for ((round = 1; round <= rounds; round++)); do
  for preset in "${presets[@]}"; do
    name=${preset%%=*}
    properties=${preset#*=}
    pipeline=""
    for ((stream = 0; stream < streams; stream++)); do
      pipeline+=" $decode ! scorecamoverlay $properties ! fakesink sync=false"
    done
    # shellcheck disable=SC2086  # the pipeline is separate words on purpose
    output=$(/usr/bin/time -f "peak resident memory %M kB" gst-launch-1.0 $pipeline 2>&1) || {
      echo "$output" >&2
      echo "bench_element: preset '$name' failed" >&2
      exit 1
    }
    seconds=$(seconds_of <<<"$output")
    counted=$(((frames - 1) * streams))
    fps=$(awk -v n="$counted" -v s="$seconds" 'BEGIN { printf "%.1f", n / s }')
    peak=$(awk '/peak resident memory/ { printf "%.0f", $4 / 1024 }' <<<"$output")
    echo "round $round, $name (${properties:-default properties}): $counted frames in ${seconds}s, $fps frames/s, peak RSS $peak MB"
    fps_list[$name]+="$fps "
  done
done
for preset in "${presets[@]}"; do
  name=${preset%%=*}
  echo "${fps_list[$name]}" | tr ' ' '\n' | sed '/^$/d' | sort -g |
    awk -v name="$name" '{ v[NR] = $1 }
      END { median = NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2
            printf "%s: median %.1f frames/s (min %.1f, max %.1f) over %d runs\n", name, median, v[1], v[NR], NR }'
done
