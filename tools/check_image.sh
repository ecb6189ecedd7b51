#!/usr/bin/env bash
# Builds the image (tools/build_image.sh) and runs in it, as its own unprivileged user:
#  1. gst-inspect-1.0 scorecamoverlay;
#  2. the demo over the sample clip, writing into a mounted folder;
#  3. the command lines of deploy/k8s, read from the manifests with their image and volume mounts:
#     the batch Job's, once per completion index, over a mounted folder holding copies of the
#     sample clip, then the cameras Deployment's with those copies served as its cameras (by the
#     image's scorecam-test-cameras, in a container of its own) in its camera list, stopped as
#     Kubernetes stops a pod (SIGTERM to the container's PID 1, SIGKILL after the grace period).
# Not part of the test suite: building the image takes tens of minutes. Needs python3-yaml.
#
# Usage: tools/check_image.sh [--no-build]   (--no-build: check the image already built)
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/docker_daemon.sh

build=1
case "${1:-}" in
  "") ;;
  --no-build) build=0 ;;
  *) sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0" | sed '$d' >&2; exit 2 ;;
esac
/usr/bin/python3 -c 'import yaml' 2>/dev/null || docker_die "needs python3-yaml (tools/setup.sh installs it)"

# Prints, NUL-separated, the image, the mount paths of the data volume (a claim) and of the
# ConfigMap volume ("" without one) and the command line of the container of the workload of KIND
# in deploy/k8s (there is one of each kind), with Kubernetes' $(VAR) references replaced by the
# VAR=VALUE given; first, for KIND=Job its number of completions, for KIND=Deployment its grace
# period before SIGKILL.
k8s_container() {
  /usr/bin/python3 - "$@" <<'PY'
import re, sys, yaml
from pathlib import Path
kind, *assignments = sys.argv[1:]
values = dict(a.split("=", 1) for a in assignments)
(workload,) = [doc for path in sorted(Path("deploy/k8s").glob("*.yaml"))
               for doc in yaml.safe_load_all(path.read_text()) if doc and doc["kind"] == kind]
pod = workload["spec"]["template"]["spec"]
(container,) = pod["containers"]
volumes = {v["name"]: v for v in pod["volumes"]}
mounts = {("configMap" if "configMap" in volumes[m["name"]] else "data"): m["mountPath"] for m in container["volumeMounts"]}
line = [re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], word) for word in container["command"] + container.get("args", [])]
first = workload["spec"]["completions"] if kind == "Job" else pod.get("terminationGracePeriodSeconds", 30)
sys.stdout.write("\0".join([str(first), container["image"], mounts["data"], mounts.get("configMap", "")] + line) + "\0")
PY
}

docker_daemon_start
mapfile -d '' job < <(k8s_container Job JOB_COMPLETION_INDEX=0)
[ ${#job[@]} -gt 4 ] || docker_die "deploy/k8s has no batch Job to run"
completions=${job[0]}
image=${job[1]}
mount=${job[2]}
((build)) && tools/build_image.sh -t "$image"
docker image inspect "$image" >/dev/null 2>&1 || docker_die "no image $image: build it (tools/build_image.sh)"

work=$(mktemp -d /tmp/scorecam-check.XXXXXX)
trap 'rm -rf "$work"; docker_daemon_stop' EXIT
# The container's user is not the owner of these folders: writable by all, as a volume must be
# writable by the pod's user.
mkdir -m 0777 "$work/demo" "$work/data" "$work/data/out"
mkdir "$work/data/in"
cp samples/fashion_walk.mp4 "$work/data/in/walk_a.mp4"
cp samples/fashion_walk.mp4 "$work/data/in/walk_b.mp4"

step() {
  echo "check_image.sh: $*" >&2
}
# In the image as its own user; the folders given as HOST:CONTAINER are mounted.
in_image() {
  local mounts=()
  while [[ $1 == *:/* ]]; do
    mounts+=(-v "$1")
    shift
  done
  docker run --rm --network host "${mounts[@]}" "$image" "$@"
}

user=$(in_image id -un)
uid=$(in_image id -u)
step "$image runs as $user (uid $uid)"
[ "$uid" -ne 0 ] || docker_die "$image runs as root"

step "gst-inspect-1.0 scorecamoverlay"
in_image gst-inspect-1.0 scorecamoverlay | grep -E '^  (Description|Filename|Version) '

step "the demo, into a mounted folder"
SECONDS=0
in_image "$work/demo:/out" /usr/local/share/scorecam/pipelines/demo.sh /out
step "the demo took ${SECONDS}s"
for f in fashion_walk_scorecam.mp4 contact_sheet.png; do
  [ -s "$work/demo/$f" ] || docker_die "the demo wrote no $f"
done

for ((index = 0; index < completions; index++)); do
  mapfile -d '' job < <(k8s_container Job JOB_COMPLETION_INDEX="$index")
  step "batch Job, completion index $index: ${job[*]:4}"
  in_image "$work/data:$mount" "${job[@]:4}"
done
for name in walk_a walk_b; do
  [ -s "$work/data/out/$name.mp4" ] || docker_die "the batch Job wrote no out/$name.mp4"
  frames=$(wc -l <"$work/data/out/$name.jsonl")
  [ "$frames" -gt 0 ] || docker_die "the batch Job wrote no records in out/$name.jsonl"
  step "out/$name.mp4 and out/$name.jsonl ($frames frames)"
done

rm -rf "$work/data/out"/*
mapfile -d '' cameras < <(k8s_container Deployment)
[ ${#cameras[@]} -gt 4 ] || docker_die "deploy/k8s has no cameras Deployment to run"
grace=${cameras[0]}
[ -n "${cameras[3]}" ] || docker_die "the cameras Deployment mounts no ConfigMap with its camera list"
# Its camera list, in place of the ConfigMap's: the two copies of the sample clip, served as cameras
# by the image itself. A clip's end is its camera's end of stream: the runner finishes the segment
# and connects again.
port=$(/usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
mkdir "$work/cameras"
printf 'walk_a rtsp://127.0.0.1:%s/walk_a\nwalk_b rtsp://127.0.0.1:%s/walk_b\n' "$port" "$port" >"$work/cameras/cameras.txt"
step "test cameras: scorecam-test-cameras serving the sample clip twice on port $port"
test_cameras=$(docker run -d --rm --network host -v "$work/data/in:/in:ro" "$image" scorecam-test-cameras --port "$port" \
  walk_a=/in/walk_a.mp4 walk_b=/in/walk_b.mp4)
runner=""
trap 'docker rm -f $test_cameras $runner >/dev/null 2>&1; rm -rf "$work"; docker_daemon_stop' EXIT
# Until a condition ($@, a command) holds, for at most $1 seconds; false then.
within() {
  local deadline=$((SECONDS + $1))
  shift
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
}
served() { [ "$(docker logs "$test_cameras" 2>/dev/null | grep -c '^rtsp://')" -eq 2 ]; }
within 30 served || docker_die "scorecam-test-cameras did not serve within 30 s: $(docker logs "$test_cameras" 2>&1)"

step "cameras Deployment, the test cameras in its list: ${cameras[*]:4}"
runner=$(docker run -d --network host -v "$work/data:${cameras[2]}" -v "$work/cameras:${cameras[3]}:ro" "$image" \
  "${cameras[@]:4}")
recorded() { [ -s "$work/data/out/walk_a/segment-000001.jsonl" ] && [ -s "$work/data/out/walk_b/segment-000001.jsonl" ]; }
within 120 recorded || docker_die "the cameras Deployment finished no segment of each camera within 120 s:
$(docker logs "$runner" 2>&1)"
step "stopping it as Kubernetes stops its pod: SIGTERM, then SIGKILL after ${grace} s"
SECONDS=0
docker stop --time "$grace" "$runner" >/dev/null
status=$(docker inspect --format '{{.State.ExitCode}}' "$runner")
[ "$status" -eq 0 ] || docker_die "the cameras Deployment exited with status $status after SIGTERM (${SECONDS} s):
$(docker logs "$runner" 2>&1)"
step "it stopped in ${SECONDS} s, with status 0"
for camera in walk_a walk_b; do
  left=$(find "$work/data/out/$camera" -name '*.partial.*')
  [ -z "$left" ] || docker_die "the cameras Deployment left unfinished segments: $left"
  for video in "$work/data/out/$camera"/segment-*.mp4; do
    [ -s "$video" ] && [ -s "${video%.mp4}.jsonl" ] || docker_die "the cameras Deployment wrote no ${video%.mp4}.jsonl"
  done
  step "out/$camera: segments $(cd "$work/data/out/$camera" && echo segment-*.mp4), each with its .jsonl"
done
step "all passed: $image"
