#!/usr/bin/env bash
# The demo: installs, builds, runs scorecamoverlay with the bundled model over the sample video, and
# writes an annotated video and a contact sheet of annotated frames.
#   tools/demo.sh [OUTPUT_DIR]   (default: demo-output)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
out=$(realpath -m "${1:-demo-output}")
mkdir -p "$out/frames"
rm -f "$out"/frames/*.png
export GST_PLUGIN_PATH="$PWD/build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"

# One decode, one explanation per frame; a tee writes the video and two frames a second as PNG.
# zerolatency and async=false: x264enc's look-ahead would otherwise stall the tee while the PNG
# sink waits to preroll.
gst-launch-1.0 -q filesrc location=samples/fashion_walk.mp4 ! decodebin ! videoconvert \
  ! scorecamoverlay show-label=true alpha=0.45 ! tee name=t \
  t. ! queue ! videoconvert ! x264enc speed-preset=fast tune=zerolatency ! h264parse ! mp4mux \
     ! filesink location="$out/fashion_walk_scorecam.mp4" \
  t. ! queue ! videorate drop-only=true ! video/x-raw,framerate=2/1 ! videoconvert ! pngenc \
     ! multifilesink async=false location="$out/frames/frame_%03d.png"

/usr/bin/python3 tools/contact_sheet.py --columns 4 --out "$out/contact_sheet.png" "$out"/frames/frame_*.png
echo "annotated video: $out/fashion_walk_scorecam.mp4"
echo "contact sheet:   $out/contact_sheet.png"
