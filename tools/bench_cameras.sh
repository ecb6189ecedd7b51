#!/usr/bin/env bash
# Peak resident memory and frames of scorecam-camera with 1 camera and with N, in one run: live test
# cameras served by scorecam-test-cameras on 127.0.0.1 (test patterns), each runner recording every
# camera into a scratch folder for SECONDS, then stopped with SIGINT (every segment finished).
# Prints, per runner, its peak resident memory (GNU time's maximum RSS), the frames it recorded and
# how many of them carry a heatmap, how long it took to stop, and the ratio of N cameras' memory to
# 1 camera's.
#   tools/bench_cameras.sh --model FILE [--cameras N] [--seconds S] [--size WxH] [PROPERTY=VALUE ...]
# Defaults: 4 cameras, 90 s, 640x480. The properties go to every camera's scorecamoverlay. The
# programs are taken from build/ (SCORECAM_BUILD_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
cameras=4
seconds=90
size=640x480
model=
while (($#)) && [[ $1 == --* ]]; do
  case "$1" in
    --model) model=$2; shift 2 ;;
    --cameras) cameras=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --help) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_cameras: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -f "$model" ] || { echo "bench_cameras: give --model FILE (a TorchScript model)" >&2; exit 2; }
[[ $cameras =~ ^[1-9][0-9]*$ && $seconds =~ ^[1-9][0-9]*$ ]] ||
  { echo "bench_cameras: --cameras and --seconds take positive integers" >&2; exit 2; }
build=${SCORECAM_BUILD_DIR:-$PWD/build}
export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
for program in scorecam-camera scorecam-test-cameras; do
  [ -x "$build/apps/$program" ] || { echo "bench_cameras: build $program first" >&2; exit 2; }
done

work=$(mktemp -d /tmp/scorecam-bench-cameras.XXXXXX)
served=()
for ((i = 0; i < cameras; i++)); do
  served+=("cam$i=test:$size")
done
: >"$work/cameras.txt"
"$build/apps/scorecam-test-cameras" --port 0 "${served[@]}" >>"$work/cameras.txt" 2>"$work/test-cameras.log" &
test_cameras=$!
trap 'kill $test_cameras 2>/dev/null; wait $test_cameras 2>/dev/null; rm -rf "$work"' EXIT
for ((i = 0; i < 300; i++)); do
  [ "$(grep -c '^rtsp://' "$work/cameras.txt")" -lt "$cameras" ] || break
  sleep 0.1
done
mapfile -t urls < <(grep '^rtsp://' "$work/cameras.txt")
[ ${#urls[@]} -eq "$cameras" ] || { echo "bench_cameras: the test cameras did not start" >&2; cat "$work/test-cameras.log" >&2; exit 1; }

lscpu | grep -E "^Model name|^CPU\(s\)" || true
echo "model $model; cameras ${size} at 30 frames/s; ${seconds} s per runner; properties: ${*:-none}"
# Runs the runner on the first $1 cameras for $seconds s; prints its peak memory in kB.
run() {
  local count=$1 args=() i out=$work/out-$1
  shift
  for ((i = 0; i < count; i++)); do
    args+=(--camera "cam$i=${urls[$i]}")
  done
  # time measures timeout's child, the runner; timeout stops it with one SIGINT, as Ctrl-C would
  # (--foreground: to the runner alone, not a second time to its process group).
  /usr/bin/time -f "%M %e" -o "$work/peak-$count" timeout --foreground --preserve-status -s INT "$seconds" \
    "$build/apps/scorecam-camera" --tcp "${args[@]}" "$out" "model-location=$model" "$@" 2>"$work/runner-$count.log" ||
    { echo "bench_cameras: the runner of $count camera(s) failed:" >&2; tail -n 20 "$work/runner-$count.log" >&2; exit 1; }
  local frames explained peak elapsed
  frames=$(cat "$out"/*/*.jsonl 2>/dev/null | wc -l)
  explained=$(cat "$out"/*/*.jsonl 2>/dev/null | grep -c '"explained":true' || true)
  read -r peak elapsed <"$work/peak-$count"
  echo "$count camera(s): peak resident memory $((peak / 1024)) MiB; $frames frames recorded, $explained of them" \
    "with a heatmap; stopped $(awk -v e="$elapsed" -v s="$seconds" 'BEGIN { printf "%.0f", e - s }') s after SIGINT" >&2
  echo "$peak"
}
one=$(run 1 "$@")
many=$(run "$cameras" "$@")
awk -v one="$one" -v many="$many" -v n="$cameras" 'BEGIN { printf "%d cameras / 1 camera: %.2fx the peak memory\n", n, many / one }'
