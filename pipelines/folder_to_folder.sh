#!/usr/bin/env bash
# Annotates every video of a folder: OUT_DIR/NAME.mp4 (heatmap blended in) and OUT_DIR/NAME.jsonl
# (one JSON object per frame: frame, pts, source_pts, class_id, label, confidence, target_class,
# refreshed, forward_passes), with progress on stderr. Videos: mp4 mkv mov avi webm m4v ts.
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

# scorecam-annotate finishes the current file on Ctrl-C; then stop, rather than start the next.
trap 'die "interrupted"' INT
failed=0
for i in "${!videos[@]}"; do
  video=${videos[$i]}
  name=$(basename "${video%.*}")
  echo "[$((i + 1))/${#videos[@]}] $video" >&2
  "$annotate" --encoder "$encoder" "$video" "$out_dir/$name.mp4" "$out_dir/$name.jsonl" "$@" ||
    failed=$((failed + 1))
done
[ $failed -eq 0 ] || die "$failed of ${#videos[@]} videos failed"
echo "annotated ${#videos[@]} videos into $out_dir" >&2
