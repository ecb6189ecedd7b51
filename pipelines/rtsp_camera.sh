#!/usr/bin/env bash
# Explains an RTSP camera live: to the screen, and also to an MP4 file when OUT.mp4 is given.
# Runs scorecamoverlay with async=true: frames never wait for the model, they carry the newest
# finished heatmap. Stop with Ctrl-C (the file is finished properly).
#
# Usage: pipelines/rtsp_camera.sh URL [OUT.mp4] [PROPERTY=VALUE ...]
#   URL             rtsp://[user:password@]host[:port]/path
#   PROPERTY=VALUE  scorecamoverlay properties, e.g. max-channels=64 refresh-interval=5
# Example: pipelines/rtsp_camera.sh rtsp://192.168.1.20:554/stream1 /tmp/camera.mp4

source "$(dirname "$0")/common.sh"
[ $# -ge 1 ] || usage
url=$1
shift
[[ $url == rtsp://* || $url == rtsps://* ]] || die "'$url' is not an rtsp:// URL"
out=""
if [ $# -gt 0 ] && [[ $1 != *=* ]]; then
  out=$1
  shift
fi
check_properties "$@"

source_and_overlay=(rtspsrc location="$url" latency=200 ! decodebin ! queue ! videoconvert !
  scorecamoverlay async=true "$@")
if [ -z "$out" ]; then
  gst-launch-1.0 "${source_and_overlay[@]}" ! videoconvert ! $VIDEO_SINK
else
  encoder=$(video_encoder)
  gst-launch-1.0 -e "${source_and_overlay[@]}" ! tee name=t \
    t. ! queue ! videoconvert ! $VIDEO_SINK \
    t. ! queue ! videoconvert ! $encoder ! mp4mux ! filesink location="$out"
fi
