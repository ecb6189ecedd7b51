#!/usr/bin/env bash
# Annotates a folder of videos on a Slurm cluster: submits one job array whose task I of N runs
# folder_to_folder.sh --shard I/N IN_DIR OUT_DIR, so the videos are spread over the tasks. Prints
# the job id; each task's log is OUT_DIR/slurm-logs/JOBID_TASK.log.
# The tasks run this checkout's (or installation's) scripts and programs with IN_DIR, OUT_DIR and
# the current directory as given here: all must be on a filesystem the compute nodes share, at the
# same paths. A finished video's outputs appear only when it is done, so a requeued task, a re-run
# after a failure or a cancelled task redoes only the videos without outputs (docs/scale.md).
#
# Usage: pipelines/slurm_folder.sh IN_DIR OUT_DIR [--tasks N] [--wait] [--sbatch ARG]... [PROPERTY=VALUE ...]
#   --tasks N       array tasks (default: one per video, at most 100); never more than the videos
#   --wait          wait for every task; exit status 1 if any failed, with those tasks listed
#   --sbatch ARG    passed to sbatch, repeatable: --sbatch --partition=gpu --sbatch --time=1:00:00
#   PROPERTY=VALUE  scorecamoverlay properties, e.g. model-location=/shared/my.pt device=cuda
# Example: pipelines/slurm_folder.sh /shared/recordings /shared/annotated --tasks 8 --wait

source "$(dirname "$0")/common.sh"

# Tasks by default: one per video, within the array size most clusters accept (MaxArraySize 1001).
default_max_tasks=100

positional=()
properties=()
sbatch_args=()
tasks=""
wait=false
while [ $# -gt 0 ]; do
  case $1 in
    --tasks)
      [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--tasks '${2:-}': expected a positive number"
      tasks=$2
      shift 2
      ;;
    --wait) wait=true; shift ;;
    --sbatch)
      [ $# -ge 2 ] || die "--sbatch needs an argument, e.g. --sbatch --partition=gpu"
      sbatch_args+=("$2")
      shift 2
      ;;
    --*) die "unknown option '$1'" ;;
    *)
      if [ ${#positional[@]} -lt 2 ]; then positional+=("$1"); else properties+=("$1"); fi
      shift
      ;;
  esac
done
[ ${#positional[@]} -eq 2 ] || usage
check_properties "${properties[@]}"
command -v sbatch >/dev/null 2>&1 ||
  die "sbatch not found: run this on a Slurm submit host (Debian: apt-get install slurm-client)"
[ -d "${positional[0]}" ] || die "'${positional[0]}' is not a directory"
in_dir=$(cd "${positional[0]}" && pwd)
list_videos "$in_dir"
[ ${#videos[@]} -gt 0 ] || die "no videos in '$in_dir'"
# The shards are made of names (folder_to_folder.sh keeps walk.mp4 and walk.mkv together), counted
# NUL-separated: a name may hold a newline.
names=$(for video in "${videos[@]}"; do name=${video##*/}; printf '%s\0' "${name%.*}"; done |
  LC_ALL=C sort -zu | tr -cd '\0' | wc -c)
[ -n "$tasks" ] || tasks=$((names < default_max_tasks ? names : default_max_tasks))
[ "$tasks" -le "$names" ] || tasks=$names

mkdir -p "${positional[1]}"
out_dir=$(cd "${positional[1]}" && pwd)
log_dir=$out_dir/slurm-logs
mkdir -p "$log_dir"

# sbatch keeps its own copy of the job script, so this one can go once the job is submitted.
job_script=$(mktemp)
trap 'rm -f "$job_script"' EXIT
printf '#!/bin/bash\nexec %q --shard "$SLURM_ARRAY_TASK_ID/%d" "$@"\n' \
  "$SCORECAM_ROOT/pipelines/folder_to_folder.sh" "$tasks" >"$job_script"

submit=(sbatch --parsable --array="0-$((tasks - 1))" --job-name=scorecam-folder --requeue
        --output="$log_dir/%A_%a.log")
$wait && submit+=(--wait)
# The job id comes first, while sbatch --wait still runs; its exit status comes last.
exec 3< <("${submit[@]}" "${sbatch_args[@]}" "$job_script" "$in_dir" "$out_dir" "${properties[@]}"
          echo "sbatch-status $?")
read -r job_id <&3 || true
[[ $job_id =~ ^[0-9]+ ]] || die "submission failed (sbatch's message above): nothing was started"
job_id=${BASH_REMATCH[0]}  # --parsable may add ";CLUSTER"
echo "$job_id"
echo "submitted job array $job_id: $tasks tasks over ${#videos[@]} videos, logs in $log_dir" >&2
$wait || exit 0

status=1
while read -r word value; do [ "$word" != sbatch-status ] || status=$value; done <&3
# Finished array tasks stay listed by scontrol for MinJobAge (300 s by default).
failed=$(scontrol show job --oneliner "$job_id" 2>/dev/null |
  sed -n 's/.* ArrayTaskId=\([0-9]*\) .* JobState=\([A-Z_]*\) .* ExitCode=\([0-9:]*\) .*/\1 \2 \3/p' |
  awk '$2 != "COMPLETED"' | sort -n || true)
if [ -n "$failed" ]; then
  echo "failed tasks of job $job_id:" >&2
  while read -r task state exit_code; do
    echo "  task $task: $state (exit $exit_code), log $log_dir/${job_id}_$task.log" >&2
  done <<<"$failed"
  echo "run the same command again to redo only the unfinished videos" >&2
  exit 1
fi
[ "$status" -eq 0 ] || die "sbatch --wait exited with status $status: see the logs in $log_dir"
echo "job $job_id: all $tasks tasks done" >&2
