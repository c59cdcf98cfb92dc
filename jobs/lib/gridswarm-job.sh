# shellcheck shell=bash
# Shared body of the gridswarm batch scripts (jobs/README.md). Sourced, never run: the scripts in jobs/ (and those
# written by `gridswarm job`) keep only their #SBATCH header, locate the repository and call gs_main or the helpers
# below. Everything here is plain bash and works outside Slurm too (then ranks come from GRIDSWARM_RANKS).
#
# Environment (all optional):
#   GRIDSWARM_HOME            repository (jobs/, postprocess/); found from SLURM_SUBMIT_DIR or the script otherwise
#   GRIDSWARM_BIN             the gridswarm binary (default $GRIDSWARM_HOME/build/gridswarm, then gridswarm on PATH)
#   GRIDSWARM_LAUNCHER        mpirun | srun (default: per script)
#   GRIDSWARM_ALLOCATOR       jemalloc (default) | mimalloc | glibc: preloaded by `gridswarm run` itself
#   GRIDSWARM_RUN_ARGS        extra arguments of `gridswarm run` (e.g. --quiet)
#   GRIDSWARM_CHECKPOINT      checkpoint file (default OUT without .h5, plus .ckpt.h5)
#   GRIDSWARM_CHECKPOINT_EVERY  also checkpoint every this much simulated time (e.g. 2h; default: only when warned)
#   GRIDSWARM_RESTART         restart from this checkpoint (set by the script itself for continuation jobs)
#   GRIDSWARM_MAX_RESUBMITS   continuation jobs allowed in a row (default 3)
#   GRIDSWARM_CONTINUE_TIME   --time of continuation jobs (default: this job's time limit)
#   GRIDSWARM_CONTINUE_ARGS   extra sbatch arguments of continuation jobs
#   GRIDSWARM_ALLOCATOR_LIBDIR  where the allocators live (default /usr/lib/x86_64-linux-gnu, as in src/app/allocator.cpp)

# Exit code of `gridswarm run` after it checkpointed on SIGUSR1/SIGTERM (sysexits' EX_TEMPFAIL).
readonly GS_EXIT_CHECKPOINTED=75

GS_CHILD=""             # pid of the running launcher (mpirun or srun)
GS_WARNED=${GS_WARNED:-}  # set by the USR1 trap (the scripts install a minimal one before sourcing this file)
GS_CAN_CHECKPOINT=""    # the binary knows --checkpoint/--restart

gs_log() { echo "[gridswarm-job $(date +%H:%M:%S)] $*"; }
gs_die() {
  echo "[gridswarm-job $(date +%H:%M:%S)] error: $*" >&2
  exit 1
}

# Slurm's time-limit warning (#SBATCH --signal=B:USR1@60) reaches only this shell. Forward it to the launcher:
# mpirun and srun both pass SIGUSR1 on to every rank, and gridswarm checkpoints at its next step boundary.
gs_on_warning() {
  GS_WARNED=1
  if [[ -z $GS_CHILD ]]; then
    gs_log "time-limit warning (SIGUSR1) before gridswarm started"
  elif [[ -z $GS_CAN_CHECKPOINT ]]; then
    gs_log "time-limit warning (SIGUSR1): this gridswarm cannot checkpoint, letting it run into the limit"
  else
    gs_log "time-limit warning (SIGUSR1): forwarding to pid $GS_CHILD; gridswarm checkpoints at the next step"
    kill -USR1 "$GS_CHILD" 2>/dev/null || true
  fi
}
trap gs_on_warning USR1

# Root runs (containers, CI) need Open MPI's explicit consent; --export=NONE would drop these, so set them here.
gs_setup_env() {
  if [[ $(id -u) -eq 0 ]]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  fi
  export OMP_NUM_THREADS=${SLURM_CPUS_PER_TASK:-${OMP_NUM_THREADS:-1}}
  export OMP_PLACES=${OMP_PLACES:-cores} OMP_PROC_BIND=${OMP_PROC_BIND:-close}
  # Open MPI 4.1.4's OMPIO read data-sieving bug (ompi #10546, ../shared/notes/hpc-stack.md).
  export OMPI_MCA_fbtl_posix_read_datasieving=${OMPI_MCA_fbtl_posix_read_datasieving:-0}
}

gs_find_bin() {
  local c
  for c in "${GRIDSWARM_BIN:-}" "$GRIDSWARM_HOME/build/gridswarm" "$(command -v gridswarm 2>/dev/null)"; do
    if [[ -n $c && -x $c ]]; then
      GS_BIN=$(realpath "$c")
      export GRIDSWARM_BIN=$GS_BIN
      return 0
    fi
  done
  gs_die "no gridswarm binary: build it (cmake --build build) or set GRIDSWARM_BIN"
}

# The allocator: the requested one, else the other one, else glibc with a message. It is preloaded into the ranks
# only (`env LD_PRELOAD=... gridswarm`, ../shared/notes/hpc-stack.md); gridswarm then sees it already active and does
# not re-execute itself (src/app/allocator.cpp). Its own re-exec would do the same job but, measured here, loses
# the OpenMP binding: with OMP_PROC_BIND set, libgomp pins the initial thread to the first place before main(), execv
# keeps that one-core mask, and every thread of the rank then runs on that core. gridswarm records under /run/ which
# allocator served malloc; gs_report_allocator prints it.
gs_setup_allocator() {
  local want=${GRIDSWARM_ALLOCATOR:-jemalloc} dir=${GRIDSWARM_ALLOCATOR_LIBDIR:-/usr/lib/x86_64-linux-gnu}
  local other=mimalloc
  [[ $want == mimalloc ]] && other=jemalloc
  case $want in
    glibc) ;;
    jemalloc | mimalloc)
      if [[ ! -e $dir/lib$want.so.2 ]]; then
        if [[ -e $dir/lib$other.so.2 ]]; then
          gs_log "allocator: $want not installed ($dir/lib$want.so.2), using $other"
          want=$other
        else
          gs_log "allocator: neither jemalloc nor mimalloc is installed in $dir: glibc malloc" \
            "(apt-get install libjemalloc2 or libmimalloc2.0)"
          want=glibc
        fi
      fi
      ;;
    *)
      gs_log "allocator: GRIDSWARM_ALLOCATOR=$want unknown (jemalloc, mimalloc or glibc): glibc malloc"
      want=glibc
      ;;
  esac
  export GRIDSWARM_ALLOCATOR=$want
  GS_PRELOAD=(env)
  [[ $want != glibc ]] && GS_PRELOAD=(env "LD_PRELOAD=$dir/lib$want.so.2${LD_PRELOAD:+:$LD_PRELOAD}")
  gs_log "allocator: $want (GRIDSWARM_ALLOCATOR)"
}

# Which allocator served malloc in the ranks, as gridswarm recorded it in OUT.
gs_report_allocator() {
  local out=$1 used
  command -v h5dump >/dev/null 2>&1 && [[ -f $out ]] || return 0
  used=$(h5dump -a /run/rank_times_s/allocator "$out" 2>/dev/null | sed -n 's/^ *(0): "\(.*\)"/\1/p')
  [[ -n $used ]] && gs_log "allocator in use (from $out /run/rank_times_s): $used"
}

# The launcher, as an array GS_LAUNCH. Hybrid placement: R ranks of T cores each, threads kept on their rank's cores.
#   mpirun: slots come from the allocation; --map-by slot:PE=T --bind-to core gives each rank T consecutive cores.
#   srun:   --mpi=pmix (MpiDefault may differ); --cpus-per-task must be repeated (Slurm >= 22.05 no longer passes
#           SLURM_CPUS_PER_TASK from sbatch to srun).
gs_setup_launcher() {
  local kind=${GRIDSWARM_LAUNCHER:-${GS_DEFAULT_LAUNCHER:-mpirun}}
  GS_RANKS=${SLURM_NTASKS:-${GRIDSWARM_RANKS:-1}}
  GS_THREADS=${SLURM_CPUS_PER_TASK:-$OMP_NUM_THREADS}
  case $kind in
    mpirun)
      # (Not --mca orte_abort_on_non_zero_status 0: mpirun then returns 0 when every rank exits 75.)
      GS_LAUNCH=(mpirun -np "$GS_RANKS" --map-by "slot:PE=$GS_THREADS" --bind-to core
        -x OMP_NUM_THREADS -x OMP_PLACES -x OMP_PROC_BIND -x GRIDSWARM_ALLOCATOR -x OMPI_MCA_fbtl_posix_read_datasieving)
      [[ -z ${SLURM_JOB_ID:-} ]] && GS_LAUNCH+=(--oversubscribe)
      ;;
    srun)
      [[ -n ${SLURM_JOB_ID:-} ]] || gs_die "GRIDSWARM_LAUNCHER=srun needs a Slurm allocation"
      GS_LAUNCH=(srun --mpi=pmix --ntasks="$GS_RANKS" --cpus-per-task="$GS_THREADS" --cpu-bind=cores)
      ;;
    *) gs_die "GRIDSWARM_LAUNCHER=$kind: expected mpirun or srun" ;;
  esac
  GS_LAUNCHER_NAME=$kind
}

# The batch script Slurm is running, as submitted (Slurm itself runs a copy in its spool directory).
gs_self_script() {
  local cmd
  cmd=$(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/^ *Command=\([^ ]*\).*/\1/p' | head -1)
  if [[ -n $cmd && -f $cmd ]]; then echo "$cmd"; else echo "${GS_SELF:?}"; fi
}

gs_time_limit() {
  scontrol show job "$SLURM_JOB_ID" 2>/dev/null | grep -o 'TimeLimit=[^ ]*' | head -1 | cut -d= -f2
}

# Jobs that wait on job $1 (afterok:$1 ...) are made to wait on job $2 instead, so a workflow's next step follows the
# continuation that actually finishes the study.
gs_move_dependents() {
  local old=$1 new=$2 id dep newdep
  local mentions="(^|[:,?])$old(\$|[:,?(_])"
  while IFS='|' read -r id dep; do
    [[ $id == "$new" || $dep == "(null)" || -z $dep ]] && continue
    [[ $dep =~ $mentions ]] || continue
    newdep=$(sed -E "s/\([^)]*\)//g; s/(^|[:,?])$old(\$|[:,?_])/\1$new\2/g" <<<"$dep")
    if scontrol update JobId="$id" Dependency="$newdep"; then
      gs_log "job $id now waits on continuation $new ($newdep)"
    else
      gs_log "warning: could not move the dependency of job $id ($dep) to $new"
    fi
  done < <(squeue -h -t PD -o '%i|%E' 2>/dev/null)
}

# Submit the continuation of this job: same script, study and output, --restart from the checkpoint. Sets
# GS_CONTINUATION to its job id.
gs_submit_continuation() {
  local study=$1 out=$2 ckpt=$3 n=${GRIDSWARM_RESUBMITS:-0} max=${GRIDSWARM_MAX_RESUBMITS:-3}
  if (( n >= max )); then
    gs_log "no continuation: $n already in a row (GRIDSWARM_MAX_RESUBMITS=$max)"
    return 1
  fi
  if [[ -z ${SLURM_JOB_ID:-} || -n ${SLURM_ARRAY_JOB_ID:-} ]]; then
    gs_log "no continuation outside a plain batch job (array task or no Slurm)"
    return 1
  fi
  local script limit new
  script=$(gs_self_script)
  limit=${GRIDSWARM_CONTINUE_TIME:-$(gs_time_limit)}
  local args=(--parsable --dependency="afterany:$SLURM_JOB_ID" --job-name="$SLURM_JOB_NAME"
    --nodes="$SLURM_JOB_NUM_NODES" --ntasks="$SLURM_NTASKS" --cpus-per-task="${SLURM_CPUS_PER_TASK:-1}")
  [[ -n $limit && $limit != UNLIMITED ]] && args+=(--time="$limit")
  [[ -n ${SLURM_NTASKS_PER_NODE:-} ]] && args+=(--ntasks-per-node="$SLURM_NTASKS_PER_NODE")
  [[ -n ${SLURM_MEM_PER_NODE:-} ]] && args+=(--mem="${SLURM_MEM_PER_NODE}M")
  [[ -n ${SLURM_JOB_PARTITION:-} ]] && args+=(--partition="$SLURM_JOB_PARTITION")
  # shellcheck disable=SC2206 # word splitting wanted: a list of sbatch options
  args+=(${GRIDSWARM_CONTINUE_ARGS:-})
  new=$(GRIDSWARM_RESTART=$ckpt GRIDSWARM_RESUBMITS=$((n + 1)) sbatch "${args[@]}" "$script" "$study" "$out") ||
    return 1
  GS_CONTINUATION=${new%%;*}
  gs_move_dependents "$SLURM_JOB_ID" "$GS_CONTINUATION"
}

# Run the launcher in the background and wait for it, so the USR1 trap runs while gridswarm works (bash runs traps
# only between commands; `wait` returns early, with 128 + signal, when one arrives).
gs_launch_and_wait() {
  "${GS_LAUNCH[@]}" "$@" &
  GS_CHILD=$!
  local rc
  while true; do
    wait "$GS_CHILD"
    rc=$?
    if ((rc > 128)) && kill -0 "$GS_CHILD" 2>/dev/null; then continue; fi
    break
  done
  GS_CHILD=""
  return "$rc"
}

# gs_launch_with_retry OUT COMMAND...: gs_launch_and_wait, and again (3 attempts in all) when the launcher says
# success but OUT was not written by this launch. srun can report "task 0 launch failed: Unspecified error" for a
# job step and still exit 0 (seen on a one-node Slurm 22.05 right after the previous job's step ended); gridswarm
# always leaves its output when it exits 0, so a missing or stale output means the step never ran, and launching it
# again is safe (the same arguments, the same checkpoint).
gs_launch_with_retry() {
  local out=$1 rc attempt marker
  shift
  marker=$(mktemp)
  for attempt in 1 2 3; do
    touch "$marker"
    rc=0
    gs_launch_and_wait "$@" || rc=$?
    if ((rc == 0)) && [[ ! $out -nt $marker ]] && [[ -z $GS_WARNED ]]; then
      gs_log "the launcher exited 0 but did not write $out: the job step did not run (attempt $attempt of 3)"
      rc=1
      sleep 2
      continue
    fi
    break
  done
  rm -f "$marker"
  return "$rc"
}

# gs_run_study STUDY OUT: run one study with checkpoint/restart; exits the script with its verdict.
gs_run_study() {
  local study=$1 out=$2
  local ckpt=${GRIDSWARM_CHECKPOINT:-${out%.h5}.ckpt.h5}
  local args=(run "$study" -o "$out")
  [[ -n ${GS_THREADS:-} ]] && args+=(--threads "$GS_THREADS")
  if "$GS_BIN" run --help 2>/dev/null | grep -q -- '--restart'; then
    GS_CAN_CHECKPOINT=1
    args+=(--checkpoint "$ckpt")
    [[ -n ${GRIDSWARM_CHECKPOINT_EVERY:-} ]] && args+=(--checkpoint-every "$GRIDSWARM_CHECKPOINT_EVERY")
    if [[ -n ${GRIDSWARM_RESTART:-} ]]; then
      [[ -e $GRIDSWARM_RESTART ]] || gs_die "GRIDSWARM_RESTART=$GRIDSWARM_RESTART: no such checkpoint"
      args+=(--restart "$GRIDSWARM_RESTART")
    fi
  else
    [[ -n ${GRIDSWARM_RESTART:-} ]] && gs_die "GRIDSWARM_RESTART set but $GS_BIN has no --restart"
    gs_log "note: $GS_BIN has no --checkpoint/--restart: the time-limit warning cannot be used"
  fi
  # shellcheck disable=SC2206 # word splitting wanted
  args+=(${GRIDSWARM_RUN_ARGS:-})

  gs_log "job ${SLURM_JOB_ID:-(no Slurm)} on ${SLURM_JOB_NODELIST:-$(hostname)}: $GS_RANKS ranks x $GS_THREADS threads" \
    "($GS_LAUNCHER_NAME, OMP_PLACES=$OMP_PLACES OMP_PROC_BIND=$OMP_PROC_BIND)"
  gs_log "binary $GS_BIN"
  gs_log "study  $study"
  gs_log "output $out"
  [[ -n $GS_CAN_CHECKPOINT ]] && gs_log "checkpoint $ckpt${GRIDSWARM_RESTART:+ (restarting from $GRIDSWARM_RESTART, continuation ${GRIDSWARM_RESUBMITS:-0})}"
  [[ -n ${SLURM_JOB_ID:-} ]] && gs_log "log    $(scontrol show job "$SLURM_JOB_ID" 2>/dev/null | sed -n 's/^ *StdOut=//p')"

  local rc=0
  if [[ -n $GS_WARNED ]]; then
    rc=$GS_EXIT_CHECKPOINTED # warned before we began: nothing to lose, go straight to a continuation
    ckpt=${GRIDSWARM_RESTART:-}
  else
    gs_launch_with_retry "$out" "${GS_PRELOAD[@]}" "$GS_BIN" "${args[@]}" || rc=$?
  fi
  gs_finish "$rc" "$study" "$out" "$ckpt"
}

gs_finish() {
  local rc=$1 study=$2 out=$3 ckpt=$4
  if ((rc == 0)); then
    gs_report_allocator "$out"
    gs_log "study complete: output $out"
    exit 0
  fi
  if ((rc == GS_EXIT_CHECKPOINTED)) && [[ -n $GS_CAN_CHECKPOINT ]]; then
    [[ -z $ckpt || -e $ckpt ]] || gs_die "gridswarm exited $rc but wrote no checkpoint $ckpt"
    gs_log "checkpointed to ${ckpt:-(none)}"
    if gs_submit_continuation "$study" "$out" "$ckpt"; then
      gs_log "continuation job $GS_CONTINUATION will restart from ${ckpt:-the beginning} and write $out"
      exit 0
    fi
    gs_log "restart by hand: GRIDSWARM_RESTART=$ckpt sbatch $(gs_self_script 2>/dev/null) $study $out"
    exit "$rc"
  fi
  gs_log "gridswarm failed with exit code $rc (1 input/model error, 2 usage, 3 not converged; see above)"
  exit "$rc"
}

# gs_main [STUDY [OUT]]: the body of run-single.sbatch and run-multi.sbatch.
gs_main() {
  local study=${1:-${GS_STUDY_DEFAULT:-}} out=${2:-${GS_OUTPUT_DEFAULT:-}}
  [[ -n $study ]] || gs_die "usage: sbatch ${GS_SELF:-SCRIPT} STUDY.toml [OUT.h5]"
  study=$(realpath -e "$study") || gs_die "study $1 not found (relative paths are taken from $PWD)"
  [[ -n $out ]] || out=$(basename "${study%.toml}").h5
  out=$(realpath -m "$out")
  mkdir -p "$(dirname "$out")"
  gs_setup_env
  gs_find_bin
  gs_setup_allocator
  gs_setup_launcher
  gs_run_study "$study" "$out"
}
