#!/usr/bin/env bash
# Real containers on the test cluster's real node (testenv/realnode), in one run: pod start-up of
# mlscale's Jobs against bare pods of the same image (p50/p99 over 50 each, Kubernetes' SLO is
# p99 <= 5 s), `mlscale run --target k8s` to the first log line, and the digits job's setup built
# vs cached. Usage: bench/realnode.sh [PODS]. Writes bench/results/realnode.json. Needs root.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
pods="${1:-50}"
testenv/realnode/up.sh >/dev/null
./mvnw -B -q test -Pbench -Dtest=RealNodeBench -Dbench.pods="${pods}" -Dsurefire.failIfNoSpecifiedTests=false
python3 - <<'PY'
import json
r = json.load(open("bench/results/realnode.json"))
b, m = r["bare_pod_startup"], r["mlscale_job_startup"]
print("pod start-up on the real node      %10s %10s %8s" % ("bare pod", "mlscale", "ratio"))
print("  p50 (ms)                         %10d %10d %7.2fx" % (b["p50_ms"], m["p50_ms"], r["startup_p50_ratio"]))
print("  p99 (ms, SLO 5000)               %10d %10d %7.2fx" % (b["p99_ms"], m["p99_ms"], r["startup_p99_ratio"]))
print("mlscale run -> first log line, p50: %d ms" % r["run_to_first_log_line_p50_ms"])
print("digits job, setup built vs cached: %.1f s vs %.1f s (%.2fx)" % (
    r["digits_first_run_s"], r["digits_cached_run_s"], r["setup_cached_vs_built_ratio"]))
PY
