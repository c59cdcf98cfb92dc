#!/usr/bin/env bash
# Checkpoint and restart of `gridswarm run` (issue 6 item 2, docs/checkpoint.md). Outputs are compared with h5diff
# outside /run/ (exit 0 only when every value is equal) against an uninterrupted run:
#   (a) a run with checkpoints, killed with SIGKILL after a checkpoint (and after a later output flush, so rows past
#       the checkpoint are rewritten), restarted on 1, 2 and 3 ranks (and 2 threads);
#   (b) SIGUSR1 sent to mpirun mid-run (mpirun forwards it to the ranks): exit code 75, a checkpoint and the restart
#       command are printed, the restart finishes identically and removes the checkpoint;
#   (c) a restart with another study (same file with another seed) is refused with a clear message;
#   (d) a --checkpoint-every that is not a multiple of the step is a usage error (exit 2).
# Usage: checkpoint.sh GRIDSWARM STUDY WORKDIR   (STUDY: 24 steps of 5 min, output interval 6 steps)
set -euo pipefail
bin=$1 study=$2 work=$3
rm -rf "$work"
mkdir -p "$work"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_rmaps_base_oversubscribe=1
run() {  # ranks log args...: exit code in $rc
  local np=$1 log=$2
  shift 2
  set +e
  mpirun -np "$np" --bind-to none "$bin" run "$study" "$@" > "$log" 2>&1
  rc=$?
  set -e
}
fail() { echo "FAILED: $*"; exit 1; }
same() { h5diff --exclude-path /run "$work/ref.h5" "$1" || fail "$1 differs from the uninterrupted run"; }

run 2 "$work/ref.log" -o "$work/ref.h5" --threads 1 --quiet
[ "$rc" = 0 ] || { cat "$work/ref.log"; fail "reference run"; }
h5dump -d /feeders/substation_p_kw -c 1 "$work/ref.h5" | grep -q "DATASPACE  SIMPLE"
h5dump -d /run/feeder_busy_s "$work/ref.h5" > /dev/null || fail "/run/feeder_busy_s missing"

# (a) Checkpoints every 25 min (steps 5, 10, 15, 20); killed after step 18: the last checkpoint is at step 15 with
# rows 12-14 in it, and rows 12-17 were flushed to the output after it.
GRIDSWARM_TEST_KILL_AFTER_STEP=18 run 2 "$work/killed.log" -o "$work/killed.h5" --checkpoint-every 25min --threads 1
[ "$rc" != 0 ] || fail "the killed run exited 0"
[ -f "$work/killed.ckpt.h5" ] && [ -f "$work/killed.h5.tmp" ] && [ ! -f "$work/killed.h5" ] ||
  fail "after the kill: expected killed.ckpt.h5 and killed.h5.tmp, no killed.h5"
grep -q "checkpoint at step 15" "$work/killed.log" || { cat "$work/killed.log"; fail "no checkpoint at step 15"; }
for np in 1 2 3; do
  threads=1
  [ "$np" = 2 ] && threads=2
  cp "$work/killed.h5.tmp" "$work/r$np.h5.tmp"
  cp "$work/killed.ckpt.h5" "$work/r$np.ckpt.h5"
  run "$np" "$work/r$np.log" --restart "$work/r$np.ckpt.h5" -o "$work/r$np.h5" --threads "$threads" --quiet
  [ "$rc" = 0 ] || { cat "$work/r$np.log"; fail "restart on $np ranks"; }
  grep -q "restarted at step   15" "$work/r$np.log" || { cat "$work/r$np.log"; fail "restart did not start at 15"; }
  same "$work/r$np.h5"
done
echo "(a) killed after a checkpoint, restarted on 1, 2, 3 ranks: identical outside /run/"

# (b) SIGUSR1 to mpirun after step 8 (rank 0 signals its parent): every rank stops at the next agreed step boundary.
GRIDSWARM_TEST_SIGNAL_PARENT_AFTER_STEP=8 run 2 "$work/usr1.log" -o "$work/usr1.h5" --threads 1 --quiet
[ "$rc" = 75 ] || { cat "$work/usr1.log"; fail "SIGUSR1: exit code $rc, expected 75"; }
[ -f "$work/usr1.ckpt.h5" ] || fail "SIGUSR1: no checkpoint"
grep -q -- "--restart $work/usr1.ckpt.h5 -o $work/usr1.h5" "$work/usr1.log" ||
  { cat "$work/usr1.log"; fail "SIGUSR1: no restart command printed"; }
run 3 "$work/usr1r.log" --restart "$work/usr1.ckpt.h5" -o "$work/usr1.h5" --quiet
[ "$rc" = 0 ] || { cat "$work/usr1r.log"; fail "restart after SIGUSR1"; }
same "$work/usr1.h5"
[ ! -f "$work/usr1.ckpt.h5" ] || fail "the checkpoint was not removed after the complete run"
echo "(b) SIGUSR1: exit 75, restart on 3 ranks identical, checkpoint removed"

# (c) Another study: refused, naming the reason.
# (relative input paths made absolute, since the copy lives in the work directory)
dir=$(dirname "$(realpath "$study")")
sed -e 's/^seed = .*/seed = 8/' -e "s#= \"\([^\"/][^\"]*\.\(dss\|tmy3\|csv\|json\|m\)\)\"#= \"$dir/\1\"#" "$study" > "$work/other.toml"
set +e
mpirun -np 2 --bind-to none "$bin" run "$work/other.toml" --restart "$work/killed.ckpt.h5" -o "$work/other.h5" \
  --quiet > "$work/other.log" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "restart with another study exited 0"
grep -q "written for another study" "$work/other.log" || { cat "$work/other.log"; fail "no clear message"; }
echo "(c) restart with another study refused (exit $rc)"

# (d) Not a multiple of the 5-minute step.
run 1 "$work/usage.log" -o "$work/usage.h5" --checkpoint-every 7min --quiet
[ "$rc" = 2 ] || { cat "$work/usage.log"; fail "--checkpoint-every 7min: exit code $rc, expected 2"; }
grep -q "multiple of the study's step" "$work/usage.log" || { cat "$work/usage.log"; fail "no usage message"; }
echo "(d) --checkpoint-every 7min: usage error"
