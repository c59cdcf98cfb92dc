#!/usr/bin/env bash
# Start a private one-node Slurm cluster on localhost, without systemd: munged (own socket), slurmctld and slurmd,
# all state, logs and pid files under one directory. Follows ../shared/notes/local-slurm.md (settings measured there).
#
#   tests/slurm/start-cluster.sh DIR        # prints "export SLURM_CONF=DIR/slurm.conf" on success
#   tests/slurm/stop-cluster.sh DIR
#
# Environment: SLURM_TEST_CPUS (CPUs advertised, default: the machine's), SLURM_TEST_MEM_MB (RealMemory, default:
# 80 % of MemTotal capped by the cgroup limit). Ports are picked free at start so that a second cluster (another
# checkout's test) does not collide; the munge socket is private to DIR for the same reason.
# Must run as root (slurmd runs jobs as their user; munged runs as the munge user).
set -euo pipefail

dir=${1:?usage: start-cluster.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

if [[ $(id -u) -ne 0 ]]; then
  echo "start-cluster.sh: must run as root (slurmd and munged)" >&2
  exit 1
fi
for b in munged slurmctld slurmd sinfo; do
  command -v "$b" >/dev/null 2>&1 || [[ -x /usr/sbin/$b ]] || { echo "start-cluster.sh: $b not found" >&2; exit 1; }
done
export PATH=$PATH:/usr/sbin

free_port() {
  /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

cpus=${SLURM_TEST_CPUS:-$(nproc)}
mem_mb=${SLURM_TEST_MEM_MB:-}
if [[ -z $mem_mb ]]; then
  mem_mb=$(awk '/MemTotal/ {print int($2 / 1024 * 0.8)}' /proc/meminfo)
  if [[ -r /sys/fs/cgroup/memory.max ]] && [[ $(cat /sys/fs/cgroup/memory.max) != max ]]; then
    cg=$(( $(cat /sys/fs/cgroup/memory.max) / 1048576 * 8 / 10 ))
    (( cg < mem_mb )) && mem_mb=$cg
  fi
fi

mkdir -p "$dir/state" "$dir/spool" "$dir/log" "$dir/munge"
# munged insists on a socket directory owned by its user and not writable by others.
chown munge:munge "$dir/munge"
chmod 0755 "$dir/munge"
chmod 0755 "$dir"
if [[ ! -s /etc/munge/munge.key ]]; then
  runuser -u munge -- mungekey -c -k /etc/munge/munge.key 2>/dev/null || mungekey -c -k /etc/munge/munge.key
  chown munge:munge /etc/munge/munge.key
  chmod 0600 /etc/munge/munge.key
fi
runuser -u munge -- /usr/sbin/munged --socket="$dir/munge/munge.socket" --pid-file="$dir/munge/munged.pid" \
  --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"

ctld_port=$(free_port)
slurmd_port=$(free_port)
while [[ $slurmd_port == "$ctld_port" ]]; do slurmd_port=$(free_port); done

cat >"$dir/slurm.conf" <<CONF
# Written by tests/slurm/start-cluster.sh: a one-node test cluster (see ../shared/notes/local-slurm.md).
ClusterName=gridswarm-test
SlurmctldHost=localhost
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
MpiDefault=pmix
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0,bf_interval=1
DependencyParameters=kill_invalid_depend
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
EnforcePartLimits=ALL
ReturnToService=2
MinJobAge=600
KillWait=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/slurmd-%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem_mb State=UNKNOWN
PartitionName=debug Nodes=localhost Default=YES MaxTime=INFINITE State=UP
CONF
if (( cpus > $(nproc) )); then echo "SlurmdParameters=config_overrides" >>"$dir/slurm.conf"; fi

export SLURM_CONF=$dir/slurm.conf
/usr/sbin/slurmctld -i
/usr/sbin/slurmd -N localhost

# Wait until the node is idle (about 1 s warm; give up after 30 s).
for _ in $(seq 1 150); do
  state=$(sinfo -h -N -o %t 2>/dev/null | head -1 || true)
  if [[ $state == idle ]]; then
    echo "export SLURM_CONF=$SLURM_CONF"
    exit 0
  fi
  sleep 0.2
done
echo "start-cluster.sh: node not idle after 30 s (state '${state:-none}'); logs in $dir/log" >&2
tail -5 "$dir/log/slurmctld.log" "$dir/log/slurmd.log" >&2 || true
exit 1
