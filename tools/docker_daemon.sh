# Sourced by tools/build_image.sh and tools/check_image.sh: a Docker daemon to talk to. The one
# DOCKER_HOST (or the default socket) names when it answers; otherwise Debian's dockerd started
# here on a socket and data directory of its own (SCORECAM_DOCKER_DIR, default
# /var/lib/scorecam-docker, kept between runs for its images and build cache) and stopped when the
# sourcing script exits. Installs Debian's docker.io when dockerd is missing.

docker_die() {
  echo "$(basename "$0"): $*" >&2
  exit 1
}

# Installs Debian packages that are missing ($@), as root or through sudo.
apt_install() {
  local missing=() p sudo_cmd=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  ((${#missing[@]})) || return 0
  [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  echo "$(basename "$0"): installing ${missing[*]}" >&2
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

docker_daemon_start() {
  command -v docker >/dev/null 2>&1 || apt_install docker.io
  docker info >/dev/null 2>&1 && return 0
  [ -z "${DOCKER_HOST:-}" ] || docker_die "the Docker daemon at DOCKER_HOST=$DOCKER_HOST does not answer"
  # Sockets and state of a running daemon: short paths (a socket's path is at most 107 bytes).
  local docker_run_dir=/run/scorecam-docker
  # One started by another run of these scripts, still running: shared, and left running.
  if DOCKER_HOST="unix://$docker_run_dir/docker.sock" docker info >/dev/null 2>&1; then
    export DOCKER_HOST="unix://$docker_run_dir/docker.sock"
    return 0
  fi
  [ "$(id -u)" -eq 0 ] || docker_die "no Docker daemon answers, and starting one needs root (run as root, or start dockerd)"
  command -v dockerd >/dev/null 2>&1 || apt_install docker.io
  local data=${SCORECAM_DOCKER_DIR:-/var/lib/scorecam-docker}
  mkdir -p "$data" "$docker_run_dir"
  # No bridge and no iptables rules: the builds and containers use the host's network
  # (--network host), and the host's firewall stays as it was.
  dockerd --host "unix://$docker_run_dir/docker.sock" --data-root "$data" --exec-root "$docker_run_dir/exec" \
    --pidfile "$docker_run_dir/docker.pid" --bridge none --iptables=false >"$docker_run_dir/dockerd.log" 2>&1 &
  docker_daemon_pid=$!
  trap docker_daemon_stop EXIT
  # Interrupted or stopped, the script still stops its daemon (through the EXIT trap).
  trap 'exit 130' INT
  trap 'exit 143' TERM
  export DOCKER_HOST="unix://$docker_run_dir/docker.sock"
  local i
  for i in $(seq 60); do
    docker info >/dev/null 2>&1 && return 0
    kill -0 "$docker_daemon_pid" 2>/dev/null || break
    sleep 1
  done
  docker_die "dockerd did not start; its log, $docker_run_dir/dockerd.log, ends with:
$(tail -n 5 "$docker_run_dir/dockerd.log")"
}

docker_daemon_pid=
docker_daemon_stop() {
  [ -n "$docker_daemon_pid" ] || return 0
  kill "$docker_daemon_pid" 2>/dev/null || return 0
  wait "$docker_daemon_pid" 2>/dev/null || true
}
