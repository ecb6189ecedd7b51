#!/usr/bin/env bash
# Several cameras or files in one pipeline, sharing one model: each stream's frames classified,
# heatmaps blended in, OUT_DIR/NAME.mp4 and OUT_DIR/NAME.jsonl (one JSON object per frame, from
# scorecampublish). NAME is a file's name without extension, or camera-I-YYYYmmdd-HHMMSS for the
# I-th URI (from 0) and the time the run started, so that a restarted run never overwrites one.
# The overlays load the same model once and their forward passes are batched together
# (scorecamoverlay share-model). Outputs are written as NAME.partial.* and renamed when the
# pipeline ends without error (end of every file, or Ctrl-C, which finishes every file first).
#
# Usage: pipelines/multi_stream.sh [--mqtt HOST:PORT] OUT_DIR SOURCE [SOURCE ...] [PROPERTY=VALUE ...]
#   SOURCE          a video file, or a URI (rtsp://camera/stream, file:///path, http://...)
#   --mqtt H:P      also publish every frame's result to the MQTT broker at H:P, topic scorecam/NAME
#                   (scorecam/camera-I for a URI)
#   PROPERTY=VALUE  scorecamoverlay properties for every stream, e.g. async=true max-channels=64
# Example: pipelines/multi_stream.sh out/ rtsp://10.0.0.5/main rtsp://10.0.0.6/main async=true
#
# For cameras that must be recorded through reconnections, in segments, use
# scorecam-camera --camera NAME=URL --camera ... OUT_DIR instead (one process, one shared model,
# each camera on its own): one pipeline here ends when any of its sources fails.

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
    topic=scorecam/camera-$i
    name=camera-$i-$started
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
