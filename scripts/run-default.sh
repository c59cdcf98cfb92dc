#!/usr/bin/env bash
# Fresh Debian 12 machine to a solved feeder: install packages, build, solve IEEE 123 and print the summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
bash scripts/build.sh
./build/gridswarm solve inputs/feeders/ieee123/IEEE123Master.dss
