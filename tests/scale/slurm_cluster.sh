# Sourced by the Slurm tests: starts a one-node Slurm cluster on 127.0.0.1 (munged, slurmctld,
# slurmd), configured in a directory of its own with TCP ports free at the time, so that two runs
# never share anything; start_cluster exports SLURM_CONF for sbatch, squeue, scancel and sinfo.
# stop_cluster cancels the jobs left and stops every daemon it started; call it from an EXIT trap.
#
# Only plugins that need no cgroup and no systemd: Slurm's cgroup plugins want a cgroup tree that
# slurmd may manage, which containers and CI runners often do not give, so the test uses neither.
#   ProctrackType=proctrack/linuxproc  a job's processes found through their parent ids
#   TaskPlugin=task/none               no CPU binding or memory containment
#   JobAcctGatherType=jobacct_gather/none, AccountingStorageType=accounting_storage/none  no slurmdbd
# Needs root: slurmd starts each job as the user who submitted it.
#
# Loopback only: by default slurmctld and slurmd listen on every address (0.0.0.0), whatever
# SlurmctldHost's address says; CommunicationParameters NoCtldInAddrAny (slurmctld) and NoInAddrAny
# (slurmd, slurmstepd) make them bind the address this machine's name resolves to instead. So
# start_cluster refuses (exit 77, a skip for ctest) where that name is not a loopback address.
# cluster_ports holds the two ports, for a test that checks where they listen.

cluster_pids=()
cluster_conf=""
cluster_ports=()

cluster_die() {
  echo "slurm_cluster: $*" >&2
  exit 1
}

# A TCP port nobody listens on now (the kernel's choice for port 0).
free_port() {
  /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Polls COMMAND for up to SECONDS seconds; false if it never succeeded.
wait_for() {
  local seconds=$1
  shift
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

# Starts DAEMON ARGS... in the background, its output into LOG.
start_daemon() {
  local log=$1
  shift
  "$@" >"$log" 2>&1 &
  cluster_pids+=($!)
}

node_idle() {
  [ "$(sinfo --noheader --nodes "$cluster_node" --format %t)" = idle ]
}

no_jobs_left() {
  [ -z "$(squeue --noheader --format %i)" ]
}

# start_cluster DIR CPUS: everything under DIR (which must exist, private to this run).
start_cluster() {
  local dir=$1 cpus=$2
  local munge_socket=$dir/munge/munge.socket
  for program in munged mungekey slurmctld slurmd sinfo; do
    command -v "$program" >/dev/null || cluster_die "$program not found: install munge and slurm-wlm (tools/setup.sh)"
  done
  local address
  address=$(getent ahostsv4 "$(hostname)" | awk '{ print $1; exit }')
  if [[ $address != 127.* ]]; then
    echo "skipped: this machine's name $(hostname) resolves to '$address', not a loopback address;" \
      "the test cluster's daemons bind that address, so they would be reachable from the network" >&2
    exit 77
  fi
  mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
  chmod 0700 "$dir/munge"
  mungekey --create --keyfile "$dir/munge/munge.key"
  chmod 0400 "$dir/munge/munge.key"
  # --force: as root munged refuses a socket under a world-writable directory such as /tmp.
  start_daemon "$dir/log/munged.out" munged --foreground --force --socket "$munge_socket" \
    --key-file "$dir/munge/munge.key" --pid-file "$dir/munge/munged.pid" \
    --log-file "$dir/log/munged.log" --seed-file "$dir/munge/munged.seed"
  wait_for 30 test -S "$munge_socket" || cluster_die "munged did not start: $(cat "$dir/log/munged.log" "$dir/log/munged.out")"

  # The controller's host must be this machine's name; the node's name is our own, given to slurmd.
  cluster_node=scorecam-test-$$
  cluster_conf=$dir/slurm.conf
  cluster_ports=("$(free_port)" "$(free_port)")
  export SLURM_CONF=$cluster_conf
  cat >"$SLURM_CONF" <<EOF
ClusterName=scorecamtest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=${cluster_ports[0]}
SlurmdPort=${cluster_ports[1]}
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$munge_socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
ReturnToService=2
MpiDefault=none
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
MailProg=/bin/true
SchedulerType=sched/backfill
# Finished jobs stay visible to scontrol long enough for the scripts to read their states.
MinJobAge=600
KillWait=5
NodeName=$cluster_node NodeAddr=127.0.0.1 NodeHostname=$(hostname -s) CPUs=$cpus State=UNKNOWN
PartitionName=batch Nodes=$cluster_node Default=YES MaxTime=INFINITE State=UP
EOF
  start_daemon "$dir/log/slurmctld.out" slurmctld -D -f "$SLURM_CONF"
  start_daemon "$dir/log/slurmd.out" slurmd -D -N "$cluster_node" -f "$SLURM_CONF"
  wait_for 60 node_idle || cluster_die "the node did not become idle: $(sinfo 2>&1; tail -n 20 "$dir"/log/*)"
}

# Cancels what still runs (slurmd leaves running jobs behind when it stops), then stops the daemons.
stop_cluster() {
  local pid
  # Only once our slurm.conf exists: without it scancel would reach the machine's own cluster.
  if [ -n "$cluster_conf" ]; then
    export SLURM_CONF=$cluster_conf
    scancel --quiet --user "$(id -un)" 2>/dev/null || true
    wait_for 30 no_jobs_left || echo "slurm_cluster: jobs still running at exit: $(squeue 2>&1)" >&2
  fi
  for pid in "${cluster_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${cluster_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  cluster_pids=()
  cluster_conf=""
}
