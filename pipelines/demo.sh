#!/usr/bin/env bash
# The demo's pipeline: scorecamoverlay with the bundled model over the sample video, writing an
# annotated video and a contact sheet of annotated frames. Runs from the checkout (after a build;
# tools/demo.sh builds first) and from an installed tree (cmake --install, the container image).
#
# Usage: pipelines/demo.sh [OUTPUT_DIR]   (default: demo-output)

source "$(dirname "$0")/common.sh"
[ $# -le 1 ] || usage
out=$(realpath -m "${1:-demo-output}")
mkdir -p "$out/frames"
rm -f "$out"/frames/*.png

# One decode, one explanation per frame; a tee writes the video and two frames a second as PNG.
# zerolatency and async=false: x264enc's look-ahead would otherwise stall the tee while the PNG
# sink waits to preroll.
gst-launch-1.0 -q filesrc location="$SCORECAM_ROOT/samples/fashion_walk.mp4" ! decodebin ! videoconvert \
  ! scorecamoverlay show-label=true alpha=0.45 ! tee name=t \
  t. ! queue ! videoconvert ! x264enc speed-preset=fast tune=zerolatency ! h264parse ! mp4mux \
     ! filesink location="$out/fashion_walk_scorecam.mp4" \
  t. ! queue ! videorate drop-only=true ! video/x-raw,framerate=2/1 ! videoconvert ! pngenc \
     ! multifilesink async=false location="$out/frames/frame_%03d.png"

/usr/bin/python3 "$SCORECAM_ROOT/tools/contact_sheet.py" --columns 4 --out "$out/contact_sheet.png" "$out"/frames/frame_*.png
echo "annotated video: $out/fashion_walk_scorecam.mp4"
echo "contact sheet:   $out/contact_sheet.png"
