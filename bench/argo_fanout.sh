#!/usr/bin/env bash
# N parallel 1 s tasks on the real test cluster (default 200): a pipeline's for_each run by the
# real Argo workflow controller against the same N rows as ONE Indexed Job, in the same run.
# Usage: bench/argo_fanout.sh [TASKS]. Writes bench/results/argo_fanout.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
testenv/up.sh >/dev/null
testenv/argo/build.sh >/dev/null
./mvnw -B -q test -Pbench -Dtest=ArgoFanoutBench -Dbench.tasks="${1:-200}" \
  -Dsurefire.failIfNoSpecifiedTests=false
cat bench/results/argo_fanout.json
