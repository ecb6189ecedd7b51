# Sourced by the pipeline scripts. Finds the scorecamoverlay element (installed, else this
# checkout's build tree) and the helpers the scripts share.
set -euo pipefail

SCORECAM_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
SCORECAM_BUILD_DIR=${SCORECAM_BUILD_DIR:-$SCORECAM_ROOT/build}
# Where live pictures go; e.g. SCORECAM_VIDEO_SINK=fakesink on a machine without a display.
VIDEO_SINK=${SCORECAM_VIDEO_SINK:-autovideosink}

die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# Prints the comment block at the top of the calling script.
usage() {
  sed -n '2,/^$/s/^# \{0,1\}//p' "$0" >&2
  exit 2
}

# Extra arguments are scorecamoverlay properties; anything else is a mistake worth naming.
check_properties() {
  local arg
  for arg in "$@"; do
    [[ $arg == *=* ]] || die "'$arg' is not PROPERTY=VALUE (see gst-inspect-1.0 scorecamoverlay)"
  done
}

# The first H.264 (else MPEG-4) encoder available, as a gst-launch description.
video_encoder() {
  if gst-inspect-1.0 x264enc >/dev/null 2>&1; then
    echo "x264enc speed-preset=veryfast"
  elif gst-inspect-1.0 openh264enc >/dev/null 2>&1; then
    echo "openh264enc"
  elif gst-inspect-1.0 avenc_mpeg4 >/dev/null 2>&1; then
    echo "avenc_mpeg4 bitrate=4000000"
  else
    die "no video encoder: install gstreamer1.0-plugins-ugly (x264enc) or gstreamer1.0-libav"
  fi
}

# Prints scorecam-camera's path: installed, else this checkout's build tree.
camera_runner() {
  local runner
  runner=$(command -v scorecam-camera || true)
  [ -n "$runner" ] || runner=$SCORECAM_BUILD_DIR/apps/scorecam-camera
  [ -x "$runner" ] || die "scorecam-camera not found: build it (cmake --build build) or install it"
  echo "$runner"
}

# The videos of folder $1 (mp4 mkv mov avi webm m4v ts, any case) into the array videos, sorted
# by name byte by byte: the same order on every machine, whatever its locale.
list_videos() {
  local found
  shopt -s nullglob nocaseglob
  found=("$1"/*.{mp4,mkv,mov,avi,webm,m4v,ts})
  shopt -u nullglob nocaseglob
  videos=()
  [ ${#found[@]} -eq 0 ] || mapfile -d '' videos < <(printf '%s\0' "${found[@]}" | LC_ALL=C sort -z)
}

command -v gst-launch-1.0 >/dev/null 2>&1 || die "gst-launch-1.0 not found: install gstreamer1.0-tools"
if ! gst-inspect-1.0 scorecamoverlay >/dev/null 2>&1; then
  export GST_PLUGIN_PATH="$SCORECAM_BUILD_DIR/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
  gst-inspect-1.0 scorecamoverlay >/dev/null 2>&1 ||
    die "element scorecamoverlay not found: build it (cmake --build build), install it (cmake --install build) or point SCORECAM_BUILD_DIR at your build directory"
fi
