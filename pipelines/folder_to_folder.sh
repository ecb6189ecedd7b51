#!/usr/bin/env bash
# Annotates every video of a folder: OUT_DIR/NAME.mp4 (heatmap blended in) and OUT_DIR/NAME.jsonl
# (one JSON record per frame, docs/element.md "Publishing results"), with progress on stderr.
# Videos: mp4 mkv mov avi webm m4v ts.
# Outputs appear under their names only when a video is done (NAME.partial.* until then), so a
# re-run skips the videos whose outputs exist and redoes the rest. A video that decodes to fewer
# frames than its container declares, or with decoder errors, is a failure, retried by a re-run. Ends with a summary that lists
# each failed video and why; the exit status is 0 only when every video succeeded.
#
# Usage: pipelines/folder_to_folder.sh [--shard I/N] IN_DIR OUT_DIR [PROPERTY=VALUE ...]
#   --shard I/N     only the videos whose name's index in the folder's list of names (without
#                   extension, sorted byte by byte, from 0) is I modulo N: N runs with I = 0 .. N-1
#                   share a folder (a Slurm array, a Kubernetes Indexed Job; see docs/scale.md)
#   PROPERTY=VALUE  scorecamoverlay properties, e.g. model-location=my.pt max-channels=64
# Example: pipelines/folder_to_folder.sh recordings/ annotated/ refresh-interval=5

source "$(dirname "$0")/common.sh"
shard_index=0
shard_count=1
if [ "${1:-}" = --shard ]; then
  [[ ${2:-} =~ ^(0|[1-9][0-9]*)/([1-9][0-9]*)$ ]] && [ "${BASH_REMATCH[1]}" -lt "${BASH_REMATCH[2]}" ] ||
    die "--shard '${2:-}': expected I/N with 0 <= I < N, e.g. --shard 0/4"
  shard_index=${BASH_REMATCH[1]}
  shard_count=${BASH_REMATCH[2]}
  shift 2
fi
[ $# -ge 2 ] || usage
in_dir=$1
out_dir=$2
shift 2
[ -d "$in_dir" ] || die "'$in_dir' is not a directory"
check_properties "$@"

annotate=$(command -v scorecam-annotate || true)
[ -n "$annotate" ] || annotate=$SCORECAM_BUILD_DIR/apps/scorecam-annotate
[ -x "$annotate" ] || die "scorecam-annotate not found: build it (cmake --build build) or install it"

list_videos "$in_dir"
[ ${#videos[@]} -gt 0 ] || die "no videos in '$in_dir'"
if [ "$shard_count" -gt 1 ]; then
  # By name without extension: walk.mp4 and walk.mkv write the same outputs, so one run does both.
  declare -A name_index=()
  shard=()
  for video in "${videos[@]}"; do
    name=$(basename "${video%.*}")
    [ -n "${name_index[$name]+set}" ] || name_index[$name]=${#name_index[@]}
    index=${name_index[$name]}
    [ $((index % shard_count)) -ne "$shard_index" ] || shard+=("$video")
  done
  echo "shard $shard_index/$shard_count: ${#shard[@]} of ${#videos[@]} videos" >&2
  videos=("${shard[@]}")
  [ ${#videos[@]} -gt 0 ] || exit 0  # more shards than videos: nothing for this one
fi
mkdir -p "$out_dir"
encoder=$(video_encoder)
log=$(mktemp)
trap 'rm -f "$log"' EXIT

failures=()
skipped=0
for i in "${!videos[@]}"; do
  video=${videos[$i]}
  name=$(basename "${video%.*}")
  if [ -f "$out_dir/$name.mp4" ] && [ -f "$out_dir/$name.jsonl" ]; then
    echo "[$((i + 1))/${#videos[@]}] $video: already annotated, skipped" >&2
    skipped=$((skipped + 1))
    continue
  fi
  echo "[$((i + 1))/${#videos[@]}] $video" >&2
  # Its messages go to stderr as they come and to the log, whose last one is the reason of a failure.
  status=0
  { "$annotate" --encoder "$encoder" "$video" "$out_dir/$name.mp4" "$out_dir/$name.jsonl" "$@" 2>&1 1>&3 |
      tee "$log" >&2; status=${PIPESTATUS[0]}; } 3>&1 || true
  # Ctrl-C or SIGTERM (scancel, preemption): scorecam-annotate has finished the current file; stop
  # rather than start the next.
  [ "$status" -ne 130 ] && [ "$status" -ne 143 ] || die "interrupted: $video is incomplete (its .partial files are kept)"
  if [ "$status" -ne 0 ]; then
    reason=$(grep "scorecam-annotate: " "$log" | tail -n 1 | sed 's/^.*scorecam-annotate: //')
    reason=${reason#"$video: "}
    failures+=("$video: ${reason:-exit status $status}")
  fi
done

done_count=$((${#videos[@]} - ${#failures[@]} - skipped))
echo "annotated $done_count, skipped $skipped (already done), failed ${#failures[@]} of ${#videos[@]} videos into $out_dir" >&2
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed:" >&2
  printf '  %s\n' "${failures[@]}" >&2
  exit 1
fi
