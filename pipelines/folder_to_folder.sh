#!/usr/bin/env bash
# Annotates every video of a folder: OUT_DIR/NAME.mp4 (heatmap blended in) and OUT_DIR/NAME.jsonl
# (one JSON object per frame: frame, pts, source_pts, class_id, label, confidence, target_class,
# refreshed, forward_passes), with progress on stderr. Videos: mp4 mkv mov avi webm m4v ts.
# Outputs appear under their names only when a video is done (NAME.partial.* until then), so a
# re-run skips the videos whose outputs exist and redoes the rest. Ends with a summary that lists
# each failed video and why; the exit status is 0 only when every video succeeded.
#
# Usage: pipelines/folder_to_folder.sh IN_DIR OUT_DIR [PROPERTY=VALUE ...]
#   PROPERTY=VALUE  scorecamoverlay properties, e.g. model-location=my.pt max-channels=64
# Example: pipelines/folder_to_folder.sh recordings/ annotated/ refresh-interval=5

source "$(dirname "$0")/common.sh"
[ $# -ge 2 ] || usage
in_dir=$1
out_dir=$2
shift 2
[ -d "$in_dir" ] || die "'$in_dir' is not a directory"
check_properties "$@"

annotate=$(command -v scorecam-annotate || true)
[ -n "$annotate" ] || annotate=$SCORECAM_BUILD_DIR/apps/scorecam-annotate
[ -x "$annotate" ] || die "scorecam-annotate not found: build it (cmake --build build) or install it"

shopt -s nullglob nocaseglob
videos=("$in_dir"/*.{mp4,mkv,mov,avi,webm,m4v,ts})
shopt -u nullglob nocaseglob
[ ${#videos[@]} -gt 0 ] || die "no videos in '$in_dir'"
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
  # Ctrl-C: scorecam-annotate has finished the current file; stop rather than start the next.
  [ "$status" -ne 130 ] || die "interrupted: $video is incomplete (its .partial files are kept)"
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
