#!/usr/bin/env bash
# pipelines/slurm_folder.sh on a one-node Slurm cluster started here (slurm_cluster.sh): a job
# array over three videos writes every output; a task cancelled in the middle of a video leaves no
# output under the final names, and a re-run finishes that video only, skipping the others.
# Usage: tests/scale/slurm_folder_test.sh MODEL.pt   (SCORECAM_BUILD_DIR: the build to run)
# slurmd starts each job as its owner, which takes root: skipped (ctest's SKIP_RETURN_CODE) without.
[ "$(id -u)" -eq 0 ] || { echo "skipped: slurmd needs root" >&2; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
source "$here/test_lib.sh"
source "$here/slurm_cluster.sh"
slurm_folder=$here/../../pipelines/slurm_folder.sh
trap 'stop_cluster; rm -rf "$tmp"' EXIT

make_video() {  # NAME FRAMES
  gst-launch-1.0 -q videotestsrc num-buffers="$2" pattern=ball ! video/x-raw,width=160,height=120 \
    ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location="$tmp/in/$1.mp4"
}

# A finished output: the video decodes to FRAMES frames and the JSONL has one record per frame.
check_output() {  # NAME FRAMES
  local video=$tmp/out/$1.mp4 results=$tmp/out/$1.jsonl decoded
  [ -f "$video" ] && [ -f "$results" ] || fail "$1: outputs missing"
  decoded=$(gst-launch-1.0 -v filesrc location="$video" ! decodebin ! fakesink silent=false 2>&1 |
    grep -c "last-message = chain") || fail "$1.mp4 does not decode"
  [ "$decoded" -eq "$2" ] || fail "$1.mp4: $decoded frames, expected $2"
  /usr/bin/python3 -c '
import json, sys
frames = [json.loads(line)["frame"] for line in open(sys.argv[1])]
sys.exit(frames != list(range(int(sys.argv[2]))))' "$results" "$2" || fail "$1.jsonl is not one record per frame"
}

no_partials() {
  ! compgen -G "$tmp/out/*.partial.*" >/dev/null || fail "partial files left: $(ls "$tmp/out")"
}

run_folder() {  # LOG ARGS...: slurm_folder.sh over the test folders with the test model
  local log=$1
  shift
  "$slurm_folder" "$tmp/in" "$tmp/out" --tasks 3 "$@" model-location="$model" >"$log" 2>&1
}

mkdir -p "$tmp/in"
start_cluster "$tmp/cluster" "$(nproc)"
declare -A frames=([door]=12 [hall]=16 [walk]=20)
for name in "${!frames[@]}"; do make_video "$name" "${frames[$name]}"; done

echo "array over three videos"
run_folder "$tmp/first.log" --wait || fail "first run"
grep -q "all 3 tasks done" "$tmp/first.log" || fail "no summary"
for name in "${!frames[@]}"; do check_output "$name" "${frames[$name]}"; done
no_partials

echo "a submission that fails says so"
! run_folder "$tmp/refused.log" --sbatch --partition=no-such-partition || fail "a refused submission succeeded"
grep -q "submission failed" "$tmp/refused.log" || fail "refused submission"

echo "a task cancelled in the middle of a video"
# Long enough to be caught while it runs (a few seconds with the tiny model).
frames[hall]=600
rm "$tmp/out/hall.mp4" "$tmp/out/hall.jsonl"
make_video hall "${frames[hall]}"
declare -A finished
for name in door walk; do finished[$name]=$(stat -c %y "$tmp/out/$name.mp4" "$tmp/out/$name.jsonl"); done
run_folder "$tmp/cancelled.log" --wait &
runner=$!
wait_for 60 test -s "$tmp/out/hall.partial.mp4" || fail "hall.mp4 was never started"
job=$(head -n 1 "$tmp/cancelled.log")
# hall is the second name in byte order (door, hall, walk): task 1 of 3.
scancel "${job}_1"
status=0
wait "$runner" || status=$?
[ "$status" -ne 0 ] || fail "the run with a cancelled task succeeded"
grep -q "task 1: CANCELLED" "$tmp/cancelled.log" || fail "cancelled task not listed"
[ ! -e "$tmp/out/hall.mp4" ] && [ ! -e "$tmp/out/hall.jsonl" ] || fail "a cancelled video has final outputs"
[ -e "$tmp/out/hall.partial.mp4" ] || fail "hall finished before it could be cancelled: make it longer"

echo "the same command again"
run_folder "$tmp/rerun.log" --wait || fail "re-run"
job=$(head -n 1 "$tmp/rerun.log")
for name in door walk; do
  [ "$(stat -c %y "$tmp/out/$name.mp4" "$tmp/out/$name.jsonl")" = "${finished[$name]}" ] ||
    fail "$name was done again"
  grep -q "$name.mp4: already annotated, skipped" "$tmp/out/slurm-logs/${job}"_* || fail "$name not skipped"
done
for name in "${!frames[@]}"; do check_output "$name" "${frames[$name]}"; done
no_partials
echo "PASS"
