#!/usr/bin/env bash
# The GPU check (docs/benchmarks.md, "GPU check"): one command for a machine with a GPU and PyTorch
# but neither OpenCV nor GStreamer. It builds the core and scorecam-bench without them, against the
# LibTorch of the PyTorch found here, into build-gpu-check/, generates its models with that
# PyTorch, and measures:
#   1. map parity: the same map from device=cpu and device=cuda on the tiny test models and
#      ResNet-18 (fp32; fp16 and bf16 against the CPU's fp32), within the tolerances printed;
#   2. ResNet-50, full layer4 (2,048 channels), at fp32, fp16 and bf16: ms per frame and the ratio
#      of its masked passes to the model's own batched limit;
#   3. channels_last and CUDA graphs, each tried (the model keeps them only where they time faster):
#      ms per frame against the plain run, and what was kept;
#   4. four streams on one shared model, merged (parallel passes 1) against unmerged (4): frames/s.
# Without CUDA the same steps run on the CPU with smaller settings, and a line names the CUDA-only
# ones skipped. Every figure is printed; with $OUT set (the device tool's output folder) the
# summary goes to $OUT/gpu_check.txt and every program's output to $OUT/gpu_check_runs.txt, each
# line as it comes, so that a run stopped at its time limit leaves what it had measured.
# Exits 1 when a step failed or a map was out of tolerance, after all the others ran.
#
#   tools/gpu_check.sh           the check
#   tools/gpu_check.sh --stage   copies what such a machine lacks (nlohmann JSON's headers and CMake
#                                files, which the core reads sidecars with) into .gpu-check/, to be
#                                carried there; the check uses it where it exists
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
staged=$root/.gpu-check/deps

if [ "${1:-}" = "--stage" ]; then
  for path in /usr/include/nlohmann /usr/share/cmake/nlohmann_json; do
    [ -d "$path" ] || { echo "gpu_check: $path is missing: install nlohmann-json3-dev (tools/setup.sh)" >&2; exit 1; }
  done
  rm -rf "$staged"
  mkdir -p "$staged/include" "$staged/share/cmake"
  cp -r /usr/include/nlohmann "$staged/include/"
  cp -r /usr/share/cmake/nlohmann_json "$staged/share/cmake/"
  echo "gpu_check: staged nlohmann JSON in ${staged#"$root"/} ($(du -sh "$staged" | cut -f1)); carry .gpu-check"
  exit 0
fi
[ $# -eq 0 ] || { echo "usage: tools/gpu_check.sh [--stage]" >&2; exit 2; }

start_time=$SECONDS
build=$root/build-gpu-check
models=$build/models
runs=$build/runs
mkdir -p "$models" "$runs"
rm -f "$runs"/*.txt
summary=()
failures=0
summary_file=/dev/null
runs_file=/dev/null
if [ -n "${OUT:-}" ]; then
  summary_file=$OUT/gpu_check.txt
  runs_file=$OUT/gpu_check_runs.txt
  : >"$summary_file"
  : >"$runs_file"
fi
say() { echo "$*"; summary+=("$*"); echo "$*" >>"$summary_file"; }
fail() { say "FAILED: $*"; failures=$((failures + 1)); }
die() { echo "gpu_check: $*" >&2; echo "FAILED: $*" >>"$summary_file"; exit 1; }

# --- PyTorch and its LibTorch ------------------------------------------------------------------
python=""
for candidate in ${SCORECAM_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$candidate" >/dev/null && "$candidate" -c 'import torch, numpy' 2>/dev/null; then
    python=$candidate
    break
  fi
done
[ -n "$python" ] || die "no Python with torch and numpy (tried \$SCORECAM_PYTHON, python3, /usr/bin/python3)"
torch_version=$("$python" -c 'import torch; print(torch.__version__)')
prefix=$("$python" -c 'import torch; print(torch.utils.cmake_prefix_path)')
configure=(-DCMAKE_BUILD_TYPE=Release -DSCORECAM_WITH_OPENCV=OFF -DSCORECAM_BUILD_PLUGIN=OFF
           -DSCORECAM_BUILD_TESTS=OFF -DSCORECAM_CUDA_GRAPHS=ON -DSCORECAM_PYTHON="$(command -v "$python")")
cuda=0
no_cuda="$python's torch $torch_version has no CMake files ($prefix/Torch), so the build uses a LibTorch of its own"
if [ -f "$prefix/Torch/TorchConfig.cmake" ]; then
  configure+=(-DTorch_DIR="$prefix/Torch")
  libtorch="the LibTorch of $python's torch $torch_version ($prefix/Torch)"
  cuda=$("$python" -c 'import torch; print(int(torch.cuda.is_available()))')
  no_cuda="torch.cuda.is_available() is False"
else
  # Debian's python3-torch ships no CMake files; its libtorch-dev does, where CMake looks by itself.
  libtorch="the LibTorch CMake finds by itself ($python's torch $torch_version has no $prefix/Torch)"
fi
if [ "$cuda" = 1 ]; then
  gpu=$("$python" -c 'import torch; print(torch.cuda.get_device_name(0))')
  arch=$("$python" -c 'import torch; print("%d%d" % torch.cuda.get_device_capability(0))')
  configure+=(-DCMAKE_CUDA_ARCHITECTURES="$arch")
  export TORCH_CUDA_ARCH_LIST="${arch:0:${#arch}-1}.${arch: -1}"
fi
[ -d "$staged" ] && configure+=(-DCMAKE_PREFIX_PATH="$staged")
[ -f "$build/CMakeCache.txt" ] || ! command -v ninja >/dev/null || configure+=(-G Ninja)

# --- Build: the core and scorecam-bench, without OpenCV or GStreamer ---------------------------
build_log=$build/build.log
build_bench() {
  cmake -S "$root" -B "$build" "${configure[@]}" "$@" >"$build_log" 2>&1 &&
    cmake --build "$build" --target scorecam-bench -j "$(nproc)" >>"$build_log" 2>&1
}
echo "== build (${build#"$root"/}, $libtorch)"
# A failed build's log, whole, beside the summary.
keep_build_log() { tail -n 40 "$build_log"; [ -z "${OUT:-}" ] || cp "$build_log" "$OUT/gpu_check_build$1.log"; }
if ! build_bench; then
  keep_build_log ""
  [ "$cuda" = 1 ] || die "the build failed (above; all of it in $build_log)"
  # One more try leaves out the one file that builds against CUDA's own headers.
  fail "the build failed (above); built again without CUDA graphs (SCORECAM_CUDA_GRAPHS=OFF)"
  build_bench -DSCORECAM_CUDA_GRAPHS=OFF || { keep_build_log _again; die "the build failed again (above)"; }
fi
bench=$build/apps/scorecam-bench
cache_value() { sed -n "s/^$1:[A-Z]*=//p" "$build/CMakeCache.txt"; }
say "LibTorch: $(cache_value Torch_DIR); nlohmann JSON: $(cache_value nlohmann_json_DIR);" \
    "built in $((SECONDS - start_time)) s"

# --- Models, generated by this PyTorch ---------------------------------------------------------
echo "== models (${models#"$root"/})"
"$python" tests/models/make_test_models.py --out "$models/tiny" >/dev/null || die "the tiny test models failed (above)"
for arch in resnet18 resnet50; do
  "$python" tools/export_torchvision.py --arch "$arch" --out "$models/$arch.pt" || die "exporting $arch failed (above)"
done
# The bundled photograph as the image of every run: scorecam-bench reads only .npy without OpenCV.
image=$models/astronaut.npy
"$python" -c 'import sys, numpy, PIL.Image
numpy.save(sys.argv[2], numpy.asarray(PIL.Image.open(sys.argv[1]).convert("RGB")))' samples/astronaut.jpg "$image" ||
  die "converting samples/astronaut.jpg to .npy failed (above; it needs PIL)"

# Runs scorecam-bench on the image (NAME ARGUMENTS...); its output is printed and kept in
# $runs/NAME.txt. A failure is counted and returns 1.
run_bench() {
  local name=$1
  shift
  echo "+ scorecam-bench $*"
  local status=0
  "$bench" --image "$image" "$@" >"$runs/$name.txt" 2>&1 || status=$?
  sed 's/^/    /' "$runs/$name.txt"
  { echo "== $name: scorecam-bench $*"; cat "$runs/$name.txt"; } >>"$runs_file"
  [ "$status" -eq 0 ] || { fail "$name: scorecam-bench exited with status $status (above)"; return 1; }
}
# A figure from a run's output (NAME REGEX): the first line's match of REGEX's one group (an
# extended regex without '|'; what precedes the group must not end in what the group takes).
figure() { sed -nE "s|^.*$2.*\$|\1|p" "$runs/$1.txt" | head -n 1; }
ms_per_frame() { figure "$1" 'ms per frame: median ([0-9.]+)'; }

# --- 1. Map parity -------------------------------------------------------------------------------
# Two maps' largest difference and correlation against a tolerance (A.npy B.npy MAX_DIFFERENCE
# MIN_CORRELATION): one line, ending in ": ok" when within it.
compare_maps() {
  "$python" - "$@" <<'EOF'
import sys
import numpy as np
a, b = (np.load(p).astype(np.float64).ravel() for p in sys.argv[1:3])
difference = float(np.abs(a - b).max())
# A constant map (an empty explanation is all zeros) has no correlation: equal ones count as 1.
correlation = float(np.corrcoef(a, b)[0, 1]) if a.std() > 0 and b.std() > 0 else float(difference == 0)
ok = difference <= float(sys.argv[3]) and correlation >= float(sys.argv[4])
print(f"max |difference| {difference:.2e}, correlation {correlation:.6f} "
      f"(tolerance {sys.argv[3]}, {sys.argv[4]}): {'ok' if ok else 'OUT OF TOLERANCE'}")
EOF
}
# The same map from two settings (NAME MAX_DIFFERENCE MIN_CORRELATION "ARGUMENTS A" "ARGUMENTS B").
parity() {
  local name=$1 max_difference=$2 min_correlation=$3 a b result
  read -ra a <<<"$4"
  read -ra b <<<"$5"
  run_bench "$name-a" "${a[@]}" --no-limit --frames 1 --save-map "$runs/$name-a.npy" || return 0
  run_bench "$name-b" "${b[@]}" --no-limit --frames 1 --save-map "$runs/$name-b.npy" || return 0
  result=$(compare_maps "$runs/$name-a.npy" "$runs/$name-b.npy" "$max_difference" "$min_correlation") ||
    { fail "parity $name: comparing the maps failed (above)"; return 0; }
  say "parity $name: $result"
  [[ $result == *": ok" ]] || failures=$((failures + 1))
}

tiny=$models/tiny
r18=$models/resnet18.pt
r50=$models/resnet50.pt
# fp32 on two devices or paths: cuDNN runs fp32 convolutions in TF32 by default, about 1e-3 relative.
exact="1e-2 0.9999"
if [ "$cuda" = 1 ]; then
  say "device: cuda ($gpu, compute capability $arch), torch $torch_version"
  echo "== 1. parity: device=cpu against device=cuda"
  for model in tiny_rgb tiny_gray tiny_branchy; do
    parity "$model-fp32-cpu-cuda" $exact "--model $tiny/$model.pt --device cpu" "--model $tiny/$model.pt --device cuda"
  done
  parity resnet18-fp32-cpu-cuda $exact "--model $r18 --device cpu" "--model $r18 --device cuda"
  parity resnet18-fp16-cpu32-cuda 0.1 0.999 "--model $r18 --device cpu" "--model $r18 --device cuda --precision fp16"
  parity resnet18-bf16-cpu32-cuda 0.2 0.99 "--model $r18 --device cpu" "--model $r18 --device cuda --precision bf16"
  parity resnet18-fp32-cuda-tried $exact "--model $r18 --device cuda" \
    "--model $r18 --device cuda --channels-last --cuda-graphs"
  parity resnet18-fp16-cuda-tried 0.1 0.999 "--model $r18 --device cuda --precision fp16" \
    "--model $r18 --device cuda --precision fp16 --channels-last --cuda-graphs"
  device=(--device cuda)
  precisions=(fp32 fp16 bf16)
  r50_settings=()
  r50_limit_seconds=1.5
  r50_frames=3
  streams_model=(--model "$r50" --device cuda --precision fp16)
else
  say "device: cpu, no CUDA ($no_cuda): smaller settings; CPU-vs-CUDA parity, fp16, bf16 and CUDA graphs skipped"
  echo "== 1. parity: the CPU against the CPU with --channels-last"
  parity tiny_rgb-fp32-channels-last $exact "--model $tiny/tiny_rgb.pt" "--model $tiny/tiny_rgb.pt --channels-last"
  small="--size 64x64 --max-channels 16 --batch-size 8"
  parity resnet18-fp32-channels-last $exact "--model $r18 $small" "--model $r18 $small --channels-last"
  device=(--device cpu)
  precisions=(fp32)
  r50_settings=(--size 64x64 --max-channels 16 --batch-size 8)
  r50_limit_seconds=1
  r50_frames=2
  streams_model=(--model "$r18" --size 64x64 --max-channels 16 --batch-size 8)
fi

# --- 2. ResNet-50 at each precision, against its batched limit -----------------------------------
# One summary line of a run with its limit (NAME LABEL).
limit_line() {
  say "$2 ($(figure "$1" 'layer4 \[([0-9]+)') channels, $(figure "$1" 'passes/s \(([0-9]+) per frame') scored," \
      "batch $(figure "$1" ', batch ([0-9]+)')): $(ms_per_frame "$1") ms per frame, ratio to the limit" \
      "$(figure "$1" 'ratio to the limit: ([0-9.]+)') (limit $(figure "$1" 'limit: ([0-9.]+) images/s ') images/s)"
}
echo "== 2. resnet50 layer4: ms per frame and the ratio to the limit"
declare -A plain_ms
for precision in "${precisions[@]}"; do
  name=resnet50-$precision
  run_bench "$name" --model "$r50" "${device[@]}" --precision "$precision" "${r50_settings[@]}" \
    --frames "$r50_frames" --seconds "$r50_limit_seconds" || continue
  plain_ms[$precision]=$(ms_per_frame "$name")
  limit_line "$name" "resnet50 layer4 $precision"
done
# The H200 has room for larger batches than the default 32: fp16 again with 128.
if [ "$cuda" = 1 ] && run_bench resnet50-fp16-batch128 --model "$r50" --device cuda --precision fp16 \
    --batch-size 128 --frames "$r50_frames" --seconds "$r50_limit_seconds"; then
  limit_line resnet50-fp16-batch128 "resnet50 layer4 fp16"
fi

# --- 3. channels_last and CUDA graphs, each kept only where faster -------------------------------
echo "== 3. resnet50: channels_last and CUDA graphs tried"
tries=("--channels-last")
[ "$cuda" = 1 ] && tries+=("--cuda-graphs" "--channels-last --cuda-graphs")
for precision in "${precisions[@]}"; do
  for try in "${tries[@]}"; do
    read -ra flags <<<"$try"
    name=resnet50-$precision${try// /}
    run_bench "$name" --model "$r50" "${device[@]}" --precision "$precision" "${r50_settings[@]}" \
      --frames "$r50_frames" --no-limit "${flags[@]}" || continue
    kept=""
    if [[ $try == *--channels-last* ]]; then
      kept="; channels_last copy not kept"
      ! grep -q '^forward passes: masked passes channels_last' "$runs/$name.txt" || kept="; channels_last copy kept"
    fi
    graphs=$(figure "$name" 'CUDA graphs: (.*)')
    line="resnet50 $precision $try: $(ms_per_frame "$name") ms per frame against ${plain_ms[$precision]:-?} plain"
    say "$line$kept${graphs:+; CUDA graphs: $graphs}"
  done
done
[ "$cuda" = 1 ] || say "CUDA graphs: skipped (CUDA only)"

# --- 4. Four streams on one shared model, merged against unmerged --------------------------------
echo "== 4. four streams on one model: parallel passes 1 (merged) against 4 (unmerged)"
for parallel in 1 4; do
  name=streams4-parallel$parallel
  run_bench "$name" "${streams_model[@]}" --streams 4 --parallel-passes "$parallel" --frames 3 --no-limit || continue
  say "4 streams, parallel passes $parallel ($(basename "${streams_model[1]}") ${streams_model[*]:2}):" \
      "$(figure "$name" ': ([0-9.]+) frames/s together') frames/s together," \
      "$(figure "$name" 'together; (.*)')"
done

# --- Summary -------------------------------------------------------------------------------------
say "wall time: $((SECONDS - start_time)) s; $failures failed"
echo
echo "== summary"
printf '%s\n' "${summary[@]}"
[ "$failures" -eq 0 ]
