#!/usr/bin/env bash
# Workshop step 5 at scale on the real test cluster: N parameter rows as ONE Indexed Job (mlscale)
# against N Jobs created one by one (the workshop's run-multi.py), measured in the same run.
# Usage: bench/k8s_rows.sh [ROWS]   (default 1000). Writes bench/results/k8s_rows.json.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
rows="${1:-1000}"
testenv/up.sh >/dev/null
./mvnw -B -q ${MVNW_FLAGS:-} test -Pbench -Dtest=RowsVsJobsBench -Dbench.rows="${rows}" -Dsurefire.failIfNoSpecifiedTests=false
python3 - <<'PY'
import json
r = json.load(open("bench/results/k8s_rows.json"))
a, b = r["mlscale_indexed_job"], r["one_job_per_row"]
print("%d rows                         %14s %14s %8s" % (r["rows"], "Indexed Job", "Job per row", "ratio"))
print("client write requests          %14d %14d %7.0fx" % (a["writes"], b["writes"], r["write_requests_ratio"]))
print("client requests (all)          %14d %14d %7.0fx" % (a["requests"], b["requests"], r["all_requests_ratio"]))
print("time to all submitted (s)      %14.2f %14.2f" % (a["submittedS"], b["submittedS"]))
print("time to all pods created (s)   %14.2f %14.2f %7.2fx" % (a["podsCreatedS"], b["podsCreatedS"], r["pods_created_time_ratio"]))
print("time to all complete (s)       %14.2f %14.2f %7.2fx" % (a["completeS"], b["completeS"], r["complete_time_ratio"]))
PY
