#!/usr/bin/env bash
# Stop the test cluster started by start-cluster.sh DIR: slurmd, slurmctld and munged, each by its pid file (never by
# name: other clusters or daemons on the machine are left alone). Waits up to 10 s per daemon, then SIGKILL.
set -uo pipefail

dir=${1:?usage: stop-cluster.sh DIR}

stop_pid_file() {
  local file=$1 pid
  [[ -s $file ]] || return 0
  pid=$(cat "$file")
  [[ $pid =~ ^[0-9]+$ ]] || return 0
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
}

stop_pid_file "$dir/slurmd.pid"
stop_pid_file "$dir/slurmctld.pid"
stop_pid_file "$dir/munge/munged.pid"
