#!/usr/bin/env bash
# N rows as N queued Jobs through the real Kueue controller (testenv/kueue), admissions per second
# against Kueue's published baseline (about 43 workloads/s), and the same N Jobs without a queue,
# in the same run. Usage: bench/kueue_admission.sh [ROWS]   (default 1000).
# Writes bench/results/kueue_admission.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rows="${1:-1000}"
testenv/up.sh >/dev/null
testenv/kueue/up.sh >/dev/null
./mvnw -B -q ${MVNW_FLAGS:-} test -Pbench -Dtest=KueueAdmissionBench -Dbench.rows="${rows}" -Dsurefire.failIfNoSpecifiedTests=false
python3 - <<'PY'
import json
r = json.load(open("bench/results/kueue_admission.json"))
print("%d rows as queued Jobs: all admitted in %.1f s = %.1f admissions/s (Kueue's baseline %.1f/s: %.2fx)" % (
    r["rows"], r["queued_all_admitted_s"], r["admissions_per_s"], r["kueue_baseline_per_s"], r["ratio_to_baseline"]))
print("  and all their pods created in %.1f s = %.1f starts/s" % (
    r["queued_all_pods_created_s"], r["queued_starts_per_s"]))
print("same rows without a queue: all pods created in %.1f s = %.1f starts/s (queued/no queue: %.2fx)" % (
    r["no_queue_all_pods_created_s"], r["no_queue_starts_per_s"],
    r["queued_starts_per_s"] / r["no_queue_starts_per_s"]))
PY
