#!/usr/bin/env bash
# A random sweep of N trials (default 1000) on the real test cluster, P at a time (default 100):
# time to finish. Usage: bench/k8s_sweep.sh [TRIALS] [PARALLEL]. Writes bench/results/k8s_sweep.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
testenv/up.sh >/dev/null
./mvnw -B -q test -Pbench -Dtest=ClusterSweepBench -Dbench.trials="${1:-1000}" \
  -Dbench.parallel="${2:-100}" -Dsurefire.failIfNoSpecifiedTests=false
cat bench/results/k8s_sweep.json
