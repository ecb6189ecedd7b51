#!/usr/bin/env bash
# Annotates a video file: every frame classified, its Score-CAM heatmap blended in, H.264 in MP4.
#
# Usage: pipelines/file_to_file.sh IN OUT.mp4 [PROPERTY=VALUE ...]
#   PROPERTY=VALUE  scorecamoverlay properties, e.g. model-location=my.pt colormap=turbo refresh-interval=5
# Example: pipelines/file_to_file.sh samples/fashion_walk.mp4 /tmp/annotated.mp4 alpha=0.4

source "$(dirname "$0")/common.sh"
[ $# -ge 2 ] || usage
in=$1 out=$2
shift 2
[ -f "$in" ] || die "input '$in' not found"
check_properties "$@"
encoder=$(video_encoder)

# -e: on Ctrl-C the muxer still finishes the file.
gst-launch-1.0 -e \
  filesrc location="$in" ! decodebin ! queue ! videoconvert ! \
  scorecamoverlay "$@" ! videoconvert ! $encoder ! mp4mux ! filesink location="$out"
