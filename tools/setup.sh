#!/usr/bin/env bash
# Installs the Debian bookworm packages the project needs (idempotent), then configures and builds.
# The packages are listed by purpose in tools/packages/: runtime.txt (what the installed element,
# programs and scripts run on), build.txt (compilers, headers), test.txt (the tests and the Python
# tools); all three by default, others by name (the container images' stages install only theirs;
# cuda.txt: the CUDA toolkit of docker/Dockerfile.cuda).
# Usage: tools/setup.sh [--no-build] [LIST ...]   (LIST: runtime, build, test, cuda)
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
if [ "${1:-}" = "--no-build" ]; then
  build=0
  shift
fi
lists=("$@")
((${#lists[@]})) || lists=(runtime build test)

packages=()
for list in "${lists[@]}"; do
  file=tools/packages/$list.txt
  [ -f "$file" ] || { echo "setup: no package list tools/packages/$list.txt" >&2; exit 2; }
  mapfile -t -O "${#packages[@]}" packages < <(grep -v -e '^#' -e '^$' "$file")
done

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  sudo_cmd=""
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "setup: installing ${missing[*]}"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

((build)) || exit 0
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release
cmake --build build -j"$(nproc)"
