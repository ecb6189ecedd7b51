#!/usr/bin/env bash
# Several files or streams in one pipeline, sharing one model: each stream's frames classified,
# heatmaps blended in, OUT_DIR/NAME.mp4 and OUT_DIR/NAME.jsonl (one JSON object per frame, from
# scorecampublish). NAME is a file's name without extension, or stream-I-YYYYmmdd-HHMMSS for the
# I-th URI (from 0) and the time the run started, so that a restarted run never overwrites one.
# The overlays load the same model once and their forward passes are batched together
# (scorecamoverlay share-model). Outputs are written as NAME.partial.* and renamed when the
# pipeline ends without error (end of every file, or Ctrl-C, which finishes every file first).
# The one pipeline ends when any of its sources fails.
#
# Cameras (rtsp:// and rtsps:// sources) are run by scorecam-camera instead, in one process on one
# shared model too, but each reconnected and recorded in segments on its own, so that one camera's
# outage never stops the others: OUT_DIR/camera-I/segment-NNNNNN.mp4 and .jsonl for the I-th
# camera, topic scorecam/camera-I, until Ctrl-C or SIGTERM. Cameras and files go in separate runs.
#
# Usage: pipelines/multi_stream.sh [--mqtt HOST:PORT] OUT_DIR SOURCE [SOURCE ...] [PROPERTY=VALUE ...]
#   SOURCE          a video file, or a URI (file:///path, http://...), or cameras: rtsp://camera/stream
#   --mqtt H:P      also publish every frame's result to the MQTT broker at H:P, topic scorecam/NAME
#                   (scorecam/stream-I for a URI, scorecam/camera-I for a camera)
#   PROPERTY=VALUE  scorecamoverlay properties for every stream, e.g. async=true max-channels=64
# Examples: pipelines/multi_stream.sh out/ walk.mp4 hall.mp4 refresh-interval=5
#           pipelines/multi_stream.sh out/ rtsp://10.0.0.5/main rtsp://10.0.0.6/main async=true

source "$(dirname "$0")/common.sh"
mqtt=""
if [ "${1:-}" = "--mqtt" ]; then
  [ $# -ge 2 ] || usage
  mqtt=$2
  [[ $mqtt == *:* ]] || die "--mqtt takes HOST:PORT, not '$mqtt'"
  shift 2
fi
[ $# -ge 2 ] || usage
out_dir=$1
shift
sources=()
while [ $# -gt 0 ] && [[ $1 != *=* || $1 == *://* ]]; do
  sources+=("$1")
  shift
done
[ ${#sources[@]} -gt 0 ] || usage
check_properties "$@"

is_camera() {
  [[ $1 == rtsp://* || $1 == rtsps://* ]]
}
cameras=()
for source in "${sources[@]}"; do
  ! is_camera "$source" || cameras+=("$source")
done
if [ ${#cameras[@]} -gt 0 ]; then
  [ ${#cameras[@]} -eq ${#sources[@]} ] ||
    die "cameras (rtsp://) and other sources in one run: give the cameras a run of their own (scorecam-camera reconnects and records each on its own), the rest another"
  runner=$(camera_runner)
  args=()
  for i in "${!cameras[@]}"; do
    args+=(--camera "camera-$i=${cameras[$i]}")
  done
  [ -z "$mqtt" ] || args+=(--mqtt "$mqtt")
  echo "cameras: scorecam-camera, each into $out_dir/camera-I/ (until Ctrl-C or SIGTERM)" >&2
  exec "$runner" "${args[@]}" "$out_dir" "$@"
fi

gst-inspect-1.0 scorecampublish >/dev/null 2>&1 || die "element scorecampublish not found: rebuild the plugin"
mkdir -p "$out_dir"
encoder=$(video_encoder)

read -r -a encoder_words <<<"$encoder"
pipeline=()  # one word per argument: gst-launch escapes each, so paths may hold spaces
names=()
started=$(date +%Y%m%d-%H%M%S)
for i in "${!sources[@]}"; do
  source=${sources[$i]}
  if [[ $source == *://* ]]; then
    uri=$source
    topic=scorecam/stream-$i
    name=stream-$i-$started
  else
    [ -f "$source" ] || die "input '$source' not found"
    uri="file://$(realpath "$source")"
    name=$(basename "${source%.*}")
    topic=scorecam/$name
  fi
  for seen in "${names[@]}"; do
    [ "$seen" != "$name" ] || die "two sources are named '$name': their outputs would collide"
  done
  names+=("$name")
  pipeline+=(uridecodebin "uri=$uri" ! queue ! videoconvert ! scorecamoverlay "name=overlay_$i" "$@"
    ! scorecampublish method=file "file-path=$out_dir/$name.partial.jsonl")
  [ -z "$mqtt" ] || pipeline+=(! scorecampublish method=mqtt "address=$mqtt" "topic=$topic")
  pipeline+=(! videoconvert ! "${encoder_words[@]}" ! mp4mux ! filesink "location=$out_dir/$name.partial.mp4")
  echo "$name: $source" >&2
done

# -e: on Ctrl-C every muxer still finishes its file.
gst-launch-1.0 -e "${pipeline[@]}" || die "the pipeline failed; the outputs so far are kept as $out_dir/*.partial.*"
for name in "${names[@]}"; do
  mv "$out_dir/$name.partial.mp4" "$out_dir/$name.mp4"
  mv "$out_dir/$name.partial.jsonl" "$out_dir/$name.jsonl"
done
echo "wrote ${#names[@]} streams to $out_dir" >&2
