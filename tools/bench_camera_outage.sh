#!/usr/bin/env bash
# One camera's outage in a runner of three, and the runner's HTTP API while they run, as a camera
# user would see them: three live test cameras (scorecam-test-cameras, 320x240 at 30 frames/s, a
# server each on 127.0.0.1), one scorecam-camera recording all three with its API on. After
# --warm-up seconds, 200 requests to each of /healthz, /api/v1/cameras and /metrics (curl, one
# after another: median, p95, p99, max); then camera a's server stops for --down seconds and comes
# back on its port; --after seconds later SIGINT. Prints how long a took to resume after its
# server's return, the runner's exit status, and per camera the segments, the frames recorded, the
# frames missing inside segments (gaps in the records' timestamps) and files left partial.
#   tools/bench_camera_outage.sh [--down S] [--warm-up S] [--after S] [--retry-max S] [PROPERTY=VALUE ...]
# Defaults: 60 s down, 25 s of warm-up, 30 s after, --retry-max 5, the bundled model. Programs from
# build/ (SCORECAM_BUILD_DIR overrides).
set -euo pipefail
cd "$(dirname "$0")/.."
down=60 warm_up=25 after=30 retry_max=5
while (($#)) && [[ $1 == --* ]]; do
  case "$1" in
    --down) down=$2; shift 2 ;;
    --warm-up) warm_up=$2; shift 2 ;;
    --after) after=$2; shift 2 ;;
    --retry-max) retry_max=$2; shift 2 ;;
    --help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bench_camera_outage: unknown option '$1' (see --help)" >&2; exit 2 ;;
  esac
done
build=${SCORECAM_BUILD_DIR:-$PWD/build}
export GST_PLUGIN_PATH=$build/gst-plugin${GST_PLUGIN_PATH:+:$GST_PLUGIN_PATH}
work=$(mktemp -d)
export SCORECAM_CACHE_DIR=$work/cache
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; rm -rf "$work"' EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
serve() {  # NAME PORT: a live test camera; prints its pid
  "$build/apps/scorecam-test-cameras" --port "$2" "$1=test:320x240" >>"$work/server_$1.log" 2>&1 &
  echo $!
}
wait_for_log() {  # FILE PATTERN SECONDS
  local deadline=$((SECONDS + $3))
  until grep -qE "$2" "$1"; do
    ((SECONDS < deadline)) || { echo "bench_camera_outage: no '$2' in $1 within $3 s" >&2; cat "$1" >&2; exit 1; }
    sleep 0.1
  done
}
declare -A port
for name in a b c; do port[$name]=$(free_port); done
api=$(free_port)
server_a=$(serve a "${port[a]}"); pids+=("$server_a")
pids+=("$(serve b "${port[b]}")" "$(serve c "${port[c]}")")
for name in a b c; do wait_for_log "$work/server_$name.log" "rtsp://" 10; done

"$build/apps/scorecam-camera" --tcp --api "127.0.0.1:$api" --segment-seconds 10 --stall-seconds 5 \
  --retry-max "$retry_max" --camera "a=rtsp://127.0.0.1:${port[a]}/a" --camera "b=rtsp://127.0.0.1:${port[b]}/b" \
  --camera "c=rtsp://127.0.0.1:${port[c]}/c" "$work/out" "$@" >"$work/runner.log" 2>&1 &
runner=$!
pids+=("$runner")
for name in a b c; do wait_for_log "$work/runner.log" "camera $name: connection 1: frames are coming in" 60; done
sleep "$warm_up"
for path in /healthz /api/v1/cameras /metrics; do
  for _ in $(seq 200); do
    curl -s -o /dev/null -w '%{time_total}\n' "http://127.0.0.1:$api$path"
  done | /usr/bin/python3 -c '
import sys
v = sorted(float(x) * 1000 for x in sys.stdin)
q = lambda p: v[min(len(v) - 1, int(p * len(v)))]
print(f"{sys.argv[1]}: median {q(.5):.1f} ms, p95 {q(.95):.1f}, p99 {q(.99):.1f}, max {v[-1]:.1f} ({len(v)} requests)")' "$path"
done

echo "camera a's server stops for $down s"
kill "$server_a"
sleep "$down"
server_a=$(serve a "${port[a]}"); pids+=("$server_a")
back=$(date +%s.%N)
wait_for_log "$work/runner.log" "camera a: connection ([2-9]|[1-9][0-9]+): frames are coming in" $((down + 60))
echo "camera a resumed $(/usr/bin/python3 -c "import sys, time; print(f'{time.time() - float(sys.argv[1]):.1f}')" "$back") s after its server's return (--retry-max $retry_max)"
sleep "$after"
kill -INT "$runner"
status=0
wait "$runner" || status=$?
echo "runner exit status $status"
grep -E "camera [abc]: stopped" "$work/runner.log" || true
/usr/bin/python3 - "$work/out" <<'PY'
import glob, json, sys
for camera in "abc":
    records = sorted(glob.glob(f"{sys.argv[1]}/{camera}/*.jsonl"))
    frames = missing = 0
    for path in records:
        pts = [json.loads(line)["pts"] for line in open(path)]
        frames += len(pts)
        missing += sum(max(0, round((b - a) * 30) - 1) for a, b in zip(pts, pts[1:]))
    partial = glob.glob(f"{sys.argv[1]}/{camera}/*.partial*")
    print(f"camera {camera}: {len(records)} segments, {frames} frames recorded, {missing} missing inside segments, "
          f"{len(partial)} partial files")
PY
