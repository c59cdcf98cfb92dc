#!/usr/bin/env bash
# Install the Debian 12 packages gridswarm builds against. Idempotent: does nothing when they are all present.
set -euo pipefail

packages=(build-essential cmake pkg-config libsuitesparse-dev libgtest-dev libcli11-dev nlohmann-json3-dev
  coinor-libipopt-dev openmpi-bin libopenmpi-dev libhdf5-openmpi-dev hdf5-tools libtomlplusplus-dev libmetis-dev
  python3-h5py-mpi python3-numpy python3-matplotlib libjemalloc2 libmimalloc2.0 petsc-dev
  slurmctld slurmd slurm-client munge)  # Ipopt: the independent reference solver of the agent planner tests (test_agents only)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
  sudo_cmd=(sudo)
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists only when apt has none yet or they are older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages*' -mmin -1440 2>/dev/null | head -n 1)" ]; then
  "${sudo_cmd[@]}" apt-get update
fi
"${sudo_cmd[@]}" apt-get install -y --no-install-recommends "${packages[@]}"
