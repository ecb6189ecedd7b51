#!/usr/bin/env bash
# Explains an RTSP camera live on the screen, and records it into OUT_DIR when given: segments
# segment-NNNNNN.mp4 of a minute, each with segment-NNNNNN.jsonl (one JSON object per frame).
# Runs scorecam-camera: scorecamoverlay with async=true (frames never wait for the model, they carry
# the newest finished heatmap), reconnecting when the camera goes away. Stop with Ctrl-C (the
# segment in progress is finished properly).
#
# Usage: pipelines/rtsp_camera.sh [--serve [ADDR:]PORT [--serve-... ]] URL [OUT_DIR] [PROPERTY=VALUE ...]
#   --serve         also serve the explained video to others at rtsp://ADDR:PORT/scorecam (ADDR
#                   127.0.0.1 unless given); --serve-user NAME with --serve-password-file FILE,
#                   --serve-tls-cert FILE --serve-tls-key FILE, --serve-anonymous: who may watch
#                   (scorecam-camera --help)
#   URL             rtsp://[user:password@]host[:port]/path
#   PROPERTY=VALUE  scorecamoverlay properties, e.g. max-channels=64 refresh-interval=5
# More options (segment length, backoff, TCP): scorecam-camera --help.
# Example: pipelines/rtsp_camera.sh --serve 8554 rtsp://192.168.1.20:554/stream1 /tmp/camera

source "$(dirname "$0")/common.sh"
serve=()
while [[ ${1:-} == --serve* ]]; do
  if [ "$1" = --serve-anonymous ]; then
    serve+=("$1")
    shift
    continue
  fi
  [ $# -ge 2 ] || usage
  serve+=("$1" "$2")
  shift 2
done
[ $# -ge 1 ] || usage
# scorecam-camera checks the URL, and names it with its password hidden.
url=$1
shift
out=()
if [ $# -gt 0 ] && [[ $1 != *=* ]]; then
  out=("$1")
  shift
fi
check_properties "$@"
camera=$(camera_runner)
exec "$camera" --display "$VIDEO_SINK" "${serve[@]}" "$url" "${out[@]}" "$@"
