#!/usr/bin/env bash
# Explains a V4L2 webcam live on the screen, with async=true so the picture never waits for the model.
#
# Usage: pipelines/webcam.sh [DEVICE] [PROPERTY=VALUE ...]
#   DEVICE          default /dev/video0 (ls /dev/video* lists the cameras)
#   PROPERTY=VALUE  scorecamoverlay properties, e.g. colormap=inferno show-label=false
# Example: pipelines/webcam.sh /dev/video2 max-channels=32

source "$(dirname "$0")/common.sh"
device=/dev/video0
if [ $# -gt 0 ] && [[ $1 != *=* ]]; then
  device=$1
  shift
fi
[[ $device == -* ]] && usage
[ -e "$device" ] || die "camera '$device' not found: plug one in or pass its device (ls /dev/video*)"
check_properties "$@"

gst-launch-1.0 v4l2src device="$device" ! videoconvert ! scorecamoverlay async=true "$@" ! \
  videoconvert ! $VIDEO_SINK
