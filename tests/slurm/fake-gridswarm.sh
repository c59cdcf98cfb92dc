#!/bin/bash
# A stand-in for `gridswarm run` with the checkpoint interface (issue 6): it tests the job scripts' signal handling,
# continuation and dependency moves in a few seconds, whatever the real binary can do yet.
#
#   fake-gridswarm.sh run STUDY -o OUT [--threads T] [--checkpoint CKPT] [--checkpoint-every D] [--restart CKPT]
#
# Steps FAKE_STEPS (default 40) steps of FAKE_STEP_S seconds (default 0.25), printing "[run] step k/N". On SIGUSR1 or
# SIGTERM it writes the next step to CKPT at the step boundary and exits 75; --restart continues from there. At the
# end rank 0 writes OUT: one line per step, so a run split over jobs gives the same file as one run.
set -u
if [[ ${1:-} != run ]]; then echo "fake-gridswarm: only 'run'" >&2; exit 2; fi
shift
if [[ ${1:-} == --help ]]; then
  echo "Options: -o,--output --threads --quiet --checkpoint-every --checkpoint --restart"
  exit 0
fi
study=$1 out="" ckpt="" restart=""
shift
while (($#)); do
  case $1 in
    -o) out=$2; shift ;;
    --checkpoint) ckpt=$2; shift ;;
    --restart) restart=$2; shift ;;
    --threads | --checkpoint-every) shift ;;
  esac
  shift
done
[[ -f $study && -n $out && -n $ckpt ]] || { echo "fake-gridswarm: bad arguments" >&2; exit 2; }
rank=${OMPI_COMM_WORLD_RANK:-${PMIX_RANK:-${SLURM_PROCID:-0}}}
steps=${FAKE_STEPS:-40}
first=1
[[ -n $restart ]] && first=$(cat "$restart")
[[ -z $restart && $rank == 0 ]] && rm -f "$out.partial"
stop=""
trap 'stop=1' USR1 TERM
for ((k = first; k <= steps; k++)); do
  if [[ -n $stop ]]; then
    [[ $rank == 0 ]] && { echo "$k" >"$ckpt.tmp" && mv "$ckpt.tmp" "$ckpt"; echo "[run] checkpoint at step $k: $ckpt"; }
    exit 75
  fi
  sleep "${FAKE_STEP_S:-0.25}" &
  wait $! || wait $!
  [[ $rank == 0 ]] && { echo "step $k" >>"$out.partial"; echo "[run] step $k/$steps"; }
done
[[ $rank == 0 ]] && mv "$out.partial" "$out"
exit 0
