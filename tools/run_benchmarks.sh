#!/usr/bin/env bash
# Reproduces the figures in docs/benchmarks.md: Score-CAM speed against plain inference for
# torchvision resnet18 and resnet50 (random weights: speed does not depend on them), and the
# fidelity of reuse across frames on the sample clip with the bundled model.
#   tools/run_benchmarks.sh [DEVICE] [PRECISION]   (default: cpu fp32)
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-cpu}
precision=${2:-fp32}
work=${SCORECAM_BENCH_DIR:-build/bench}
mkdir -p "$work/frames"
lscpu | grep -E "^Model name|^CPU\(s\)" || true

for arch in resnet18 resnet50; do
  [ -f "$work/$arch.pt" ] || /usr/bin/python3 tools/export_torchvision.py --arch "$arch" --out "$work/$arch.pt"
  build/tools/scorecam-bench --model "$work/$arch.pt" --size 224x224 --batch-size 32 --frames 3 \
    --device "$device" --precision "$precision"
  build/tools/scorecam-bench --model "$work/$arch.pt" --size 224x224 --batch-size 32 --frames 5 \
    --max-channels 64 --device "$device" --precision "$precision"
done

# Reuse across frames: 60 consecutive frames (2 s) of the sample clip.
rm -f "$work"/frames/*.png
gst-launch-1.0 -q filesrc location=samples/fashion_walk.mp4 ! decodebin ! identity eos-after=60 ! videoconvert \
  ! video/x-raw,format=RGB ! pngenc ! multifilesink location="$work/frames/f_%03d.png" >/dev/null
build/tools/scorecam-reuse-eval --intervals 2,4,8,16 --device "$device" "$work"/frames/f_*.png
