#!/usr/bin/env bash
# folder_to_folder.sh --shard I/N: N runs together do every video exactly once, videos sharing a
# name (same outputs) fall in one shard, a shard without videos succeeds, a bad spec is refused.
# Usage: tests/scale/folder_shards_test.sh MODEL.pt   (SCORECAM_BUILD_DIR: the build to run)
here=$(cd "$(dirname "$0")" && pwd)
source "$here/test_lib.sh"
folder=$here/../../pipelines/folder_to_folder.sh

mkdir "$tmp/in"
for file in a.mp4 B.mp4 c.mp4 walk.mp4 walk.mkv; do
  mux=$([ "${file##*.}" = mkv ] && echo matroskamux || echo mp4mux)
  gst-launch-1.0 -q videotestsrc num-buffers=3 ! video/x-raw,width=64,height=48 \
    ! x264enc speed-preset=ultrafast ! $mux ! filesink location="$tmp/in/$file"
done

# Names in byte order: B a c walk, so with 3 shards: 0 = B walk (both files), 1 = a, 2 = c.
expected=("B.mp4 walk.mkv walk.mp4" "a.mp4" "c.mp4")
for shard in 0 1 2; do
  "$folder" --shard "$shard/3" "$tmp/in" "$tmp/out" model-location="$model" >"$tmp/$shard.log" 2>&1 ||
    fail "shard $shard/3"
  done_videos=$(sed -n 's|^\[[0-9]*/[0-9]*\] '"$tmp"'/in/\([^:]*\).*|\1|p' "$tmp/$shard.log" | xargs)
  [ "$done_videos" = "${expected[$shard]}" ] || fail "shard $shard/3 did '$done_videos', expected '${expected[$shard]}'"
done
[ "$(ls "$tmp/out" | xargs)" = "B.jsonl B.mp4 a.jsonl a.mp4 c.jsonl c.mp4 walk.jsonl walk.mp4" ] ||
  fail "outputs: $(ls "$tmp/out")"

"$folder" --shard 7/9 "$tmp/in" "$tmp/out" >"$tmp/empty.log" 2>&1 || fail "an empty shard failed"
for spec in 3/3 1/0 -1/2 01/2 a/2 2; do
  ! "$folder" --shard "$spec" "$tmp/in" "$tmp/out" >"$tmp/bad.log" 2>&1 || fail "--shard $spec accepted"
  grep -q "expected I/N with 0 <= I < N" "$tmp/bad.log" || fail "--shard $spec: no clear error"
done
echo PASS
