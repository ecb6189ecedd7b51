#!/usr/bin/env bash
# Builds the scorecam container image with the Docker CLI from a machine that reaches nothing but
# Debian's package registry (an image registry is used when there is one, never needed):
#  - installs Debian's docker.io (dockerd) and debootstrap when missing;
#  - uses a running Docker daemon, or starts a private one for the build (tools/docker_daemon.sh);
#  - when there is no debian:bookworm image, pulls it, and where that fails (no registry) makes it
#    from Debian's packages: debootstrap --variant=minbase bookworm, imported as debian:bookworm;
#  - builds docker/Dockerfile's runtime stage (the image, TAG) and its build stage (TAG-build).
#
# Usage: tools/build_image.sh [-t TAG] [-f DOCKERFILE] [--build-arg NAME=VALUE ...]
#   -t TAG          the image's name (default: scorecam:latest, the name deploy/k8s runs)
#   -f DOCKERFILE   default docker/Dockerfile; docker/Dockerfile.cuda for the CUDA build
#   --build-arg     passed to docker build, e.g. RUN_TESTS=1 (docker/Dockerfile's header)
# Environment: SCORECAM_DEBIAN_MIRROR (default http://deb.debian.org/debian), SCORECAM_DOCKER_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
source tools/docker_daemon.sh

tag=scorecam:latest
dockerfile=docker/Dockerfile
build_args=()
while [ $# -gt 0 ]; do
  case $1 in
    -t) tag=${2:?-t needs a TAG}; shift 2 ;;
    -f) dockerfile=${2:?-f needs a DOCKERFILE}; shift 2 ;;
    --build-arg) build_args+=(--build-arg "${2:?--build-arg needs NAME=VALUE}"); shift 2 ;;
    *) sed -n '2,/^set -euo/s/^# \{0,1\}//p' "$0" | sed '$d' >&2; exit 2 ;;
  esac
done
[ -f "$dockerfile" ] || docker_die "no $dockerfile"
[[ $tag == *:* ]] || tag=$tag:latest

docker_daemon_start

# The base: Debian's own image from a registry, else the same system made from Debian's packages.
base=debian:bookworm
if ! docker image inspect "$base" >/dev/null 2>&1 && ! timeout 120 docker pull -q "$base" >/dev/null 2>&1; then
  [ "$(id -u)" -eq 0 ] || docker_die "making $base with debootstrap needs root"
  apt_install debootstrap
  mirror=${SCORECAM_DEBIAN_MIRROR:-http://deb.debian.org/debian}
  rootfs=$(mktemp -d /var/tmp/scorecam-rootfs.XXXXXX)
  trap 'rm -rf "$rootfs"; docker_daemon_stop' EXIT
  echo "build_image.sh: making $base with debootstrap from $mirror" >&2
  debootstrap --variant=minbase bookworm "$rootfs" "$mirror" >"$rootfs.log" 2>&1 ||
    docker_die "debootstrap failed; the end of $rootfs.log:
$(tail -n 5 "$rootfs.log")"
  rm -f "$rootfs.log"
  # Updates and security fixes too, as Debian's image has them; no downloaded packages kept.
  cat >"$rootfs/etc/apt/sources.list" <<SOURCES
deb $mirror bookworm main
deb $mirror bookworm-updates main
deb ${mirror%/debian}/debian-security bookworm-security main
SOURCES
  rm -rf "$rootfs"/var/cache/apt/archives/*.deb "$rootfs"/var/lib/apt/lists/*
  tar -C "$rootfs" -c . | docker import - "$base" >/dev/null
  rm -rf "$rootfs"
  echo "build_image.sh: imported $base ($(docker image inspect -f '{{.Size}}' "$base" | numfmt --to=si)B)" >&2
fi

build_tag=${tag%:*}-build:${tag##*:}
SECONDS=0
docker build --network host -f "$dockerfile" -t "$tag" "${build_args[@]}" .
# The build stage under a name of its own (to look into, to measure): from the cache of the build
# above, unless a file changed in between.
docker build --network host -q -f "$dockerfile" --target build -t "$build_tag" "${build_args[@]}" . >/dev/null
echo "build_image.sh: built $tag ($(docker image inspect -f '{{.Size}}' "$tag" | numfmt --to=si)B) and $build_tag ($(docker image inspect -f '{{.Size}}' "$build_tag" | numfmt --to=si)B) in ${SECONDS}s" >&2
