#!/usr/bin/env bash
# Builds the image (tools/build_image.sh) and runs in it, as its own unprivileged user:
#  1. gst-inspect-1.0 scorecamoverlay;
#  2. the demo over the sample clip, writing into a mounted folder;
#  3. the command lines of deploy/k8s, read from the manifests with their image and volume mount:
#     the batch Job's, once per completion index, over a mounted folder holding copies of the
#     sample clip, then the cameras Deployment's with those copies as its cameras.
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

# Prints, NUL-separated, the image, the volume's mount path and the command line of the container
# of the workload of KIND in deploy/k8s (there is one of each kind), with Kubernetes' $(VAR)
# references replaced by the VAR=VALUE given; for KIND=Job, first its number of completions.
k8s_container() {
  /usr/bin/python3 - "$@" <<'PY'
import re, sys, yaml
from pathlib import Path
kind, *assignments = sys.argv[1:]
values = dict(a.split("=", 1) for a in assignments)
(workload,) = [doc for path in sorted(Path("deploy/k8s").glob("*.yaml"))
               for doc in yaml.safe_load_all(path.read_text()) if doc and doc["kind"] == kind]
(container,) = workload["spec"]["template"]["spec"]["containers"]
(mount,) = container["volumeMounts"]
line = [re.sub(r"\$\((\w+)\)", lambda m: values[m.group(1)], word) for word in container["command"] + container["args"]]
fields = [str(workload["spec"]["completions"])] if kind == "Job" else []
sys.stdout.write("\0".join(fields + [container["image"], mount["mountPath"]] + line) + "\0")
PY
}

docker_daemon_start
mapfile -d '' job < <(k8s_container Job JOB_COMPLETION_INDEX=0)
[ ${#job[@]} -gt 3 ] || docker_die "deploy/k8s has no batch Job to run"
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
  step "batch Job, completion index $index: ${job[*]:3}"
  in_image "$work/data:$mount" "${job[@]:3}"
done
for name in walk_a walk_b; do
  [ -s "$work/data/out/$name.mp4" ] || docker_die "the batch Job wrote no out/$name.mp4"
  frames=$(wc -l <"$work/data/out/$name.jsonl")
  [ "$frames" -gt 0 ] || docker_die "the batch Job wrote no records in out/$name.jsonl"
  step "out/$name.mp4 and out/$name.jsonl ($frames frames)"
done

rm -f "$work/data/out"/*
mapfile -d '' cameras < <(k8s_container Deployment CAMERA_1="$mount/in/walk_a.mp4" CAMERA_2="$mount/in/walk_b.mp4")
[ ${#cameras[@]} -gt 2 ] || docker_die "deploy/k8s has no cameras Deployment to run"
step "cameras Deployment, the sample clips as cameras: ${cameras[*]:2}"
in_image "$work/data:${cameras[1]}" "${cameras[@]:2}"
for name in walk_a walk_b; do
  [ -s "$work/data/out/$name.mp4" ] && [ -s "$work/data/out/$name.jsonl" ] ||
    docker_die "the cameras Deployment wrote no out/$name.mp4 and out/$name.jsonl"
done
step "all passed: $image"
