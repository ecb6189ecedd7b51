#!/usr/bin/env bash
# Reproduces the figures in docs/benchmarks.md, in one run:
#   1. scorecam-bench: Score-CAM against the model's own limit, for the bundled model (a scene of the
#      sample clip, and the photo), torchvision resnet18 (all channels, and 64) and resnet50 (256);
#   2. tools/compare_with_pytorch.py: the C++ against eager batched PyTorch for the same three models;
#   3. tools/bench_element.sh: the element's frames per second over the sample clip, as the
#      pipeline negotiates it and as NV12; tools/conv_peak.py: the CPU's convolution peak;
#   4. scorecam-reuse-eval: the fidelity of reuse across frames on the sample clip;
#   5. scorecam-bench --method: what each method costs per frame, bundled model, clip scene.
# The soak (tools/soak_element.sh) and the evaluation (docs/evaluation.md) take far longer and
# run on their own.
# Torchvision models have random weights (speed does not depend on them).
#   tools/run_benchmarks.sh [DEVICE] [PRECISION]   (default: cpu fp32; the PyTorch comparison and
#                                                   the element run on the CPU build only)
set -euo pipefail
cd "$(dirname "$0")/.."
device=${1:-cpu}
precision=${2:-fp32}
work=${SCORECAM_BENCH_DIR:-build/bench}
mkdir -p "$work/frames"
lscpu | grep -E "^Model name|^CPU\(s\)" || true
date -u +"%Y-%m-%d %H:%M UTC"

for arch in resnet18 resnet50; do
  [ -f "$work/$arch.pt" ] || /usr/bin/python3 tools/export_torchvision.py --arch "$arch" --out "$work/$arch.pt"
done
# 60 consecutive frames (2 s) of the sample clip: a scene for the bundled model, and the reuse frames.
rm -f "$work"/frames/*.png
gst-launch-1.0 -q filesrc location=samples/fashion_walk.mp4 ! decodebin ! identity eos-after=60 ! videoconvert \
  ! video/x-raw,format=RGB ! pngenc ! multifilesink location="$work/frames/f_%03d.png" >/dev/null
scene="$work/frames/f_030.png"

bench() { build/apps/scorecam-bench --device "$device" --precision "$precision" "$@"; echo; }
bench --image "$scene" --frames 10
bench --frames 10
bench --model "$work/resnet18.pt" --frames 3
bench --model "$work/resnet18.pt" --frames 5 --max-channels 64
bench --model "$work/resnet50.pt" --frames 3 --max-channels 256

if [ "$device" = cpu ]; then
  PYTHONPATH=python /usr/bin/python3 tools/compare_with_pytorch.py --image "$scene" --frames 5 --rounds 3
  echo
  /usr/bin/python3 tools/compare_with_pytorch.py --model "$work/resnet18.pt" --arch resnet18 --frames 1 --rounds 3
  echo
  /usr/bin/python3 tools/compare_with_pytorch.py --model "$work/resnet50.pt" --arch resnet50 --max-channels 256 \
    --frames 1 --rounds 3
  echo
  tools/bench_element.sh --rounds 5
  echo
  tools/bench_element.sh --rounds 5 --format NV12
  echo
  /usr/bin/python3 tools/conv_peak.py
  echo
fi

build/apps/scorecam-reuse-eval --intervals 2,4,8,16 --device "$device" "$work"/frames/f_*.png
echo
for method in scorecam sscam iscam gradcam gradcampp; do
  bench --image "$scene" --frames 5 --method "$method" --no-limit
done
