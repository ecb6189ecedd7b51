#!/usr/bin/env bash
# The demo: installs, builds, runs scorecamoverlay with the bundled model over the sample video, and
# writes an annotated video and a contact sheet of annotated frames (pipelines/demo.sh).
#   tools/demo.sh [OUTPUT_DIR]   (default: demo-output)
set -euo pipefail
cd "$(dirname "$0")/.."
tools/setup.sh
# This build's element, even where an older one is installed.
export GST_PLUGIN_PATH="$PWD/build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}"
exec pipelines/demo.sh "$@"
