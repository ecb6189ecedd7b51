#!/usr/bin/env bash
# pipelines/slurm_folder.sh on a one-node Slurm cluster started here (slurm_cluster.sh): a job
# array over three videos writes every output; a task cancelled in the middle of a video leaves no
# output under the final names, and a re-run finishes that video only, skipping the others. A name
# with a newline counts once. The cluster listens on loopback only, at its start and while a job
# runs (ss, from iproute2).
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

# Fails if a Slurm daemon (by its process or by the cluster's ports) listens on anything but
# loopback, or if the cluster's ports listen nowhere (a check that saw nothing would pass).
check_loopback_only() {
  local listening port exposed
  listening=$(ss -ltnpH)
  for port in "${cluster_ports[@]}"; do
    awk -v port="$port" '$4 ~ ":" port "$" { found = 1 } END { exit !found }' <<<"$listening" ||
      fail "nothing listens on the cluster's port $port: $listening"
  done
  exposed=$(awk -v ports=" ${cluster_ports[*]} " '{
      port = $4; sub(/.*:/, "", port)
      if (($0 ~ /slurm/ || index(ports, " " port " ")) && $4 !~ /^(127\.[0-9.]*|\[::1\]):/) print
    }' <<<"$listening")
  [ -z "$exposed" ] || fail "Slurm listens beyond loopback: $exposed"
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
check_loopback_only
for name in "${!frames[@]}"; do make_video "$name" "${frames[$name]}"; done

echo "array over three videos"
run_folder "$tmp/first.log" --wait || fail "first run"
grep -q "all 3 tasks done" "$tmp/first.log" || fail "no summary"
for name in "${!frames[@]}"; do check_output "$name" "${frames[$name]}"; done
no_partials

echo "a name with a newline is one video, one task"
mkdir "$tmp/odd"
gst-launch-1.0 -q videotestsrc num-buffers=3 ! video/x-raw,width=64,height=48 \
  ! x264enc speed-preset=ultrafast ! mp4mux ! filesink location="$tmp/odd/plain.mp4"
cp "$tmp/odd/plain.mp4" "$tmp/odd/"$'two\nlines.mp4'  # gst-launch cannot take a newline in a name
"$slurm_folder" "$tmp/odd" "$tmp/odd-out" --wait model-location="$model" >"$tmp/odd.log" 2>&1 || fail "newline run"
grep -q "2 tasks over 2 videos" "$tmp/odd.log" || fail "a name with a newline miscounted: $(cat "$tmp/odd.log")"
[ -f "$tmp/odd-out/"$'two\nlines'.jsonl ] || fail "the video with a newline in its name has no output"

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
check_loopback_only  # with the job's slurmstepd running too
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
