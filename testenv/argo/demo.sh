#!/usr/bin/env bash
# Shows Workflows progressing over simulated (KWOK) pods: starts everything (up.sh), submits
# the given Workflow files (default: examples/hello-steps.yaml and examples/diamond.yaml) into
# namespace argo-demo (MLSCALE_ARGO_DEMO_NAMESPACE), and prints every change of the
# workflows' and their nodes' phases until all finish (or MLSCALE_ARGO_DEMO_TIMEOUT, 120 s).
# Exits 0 when every workflow Succeeded.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/argo/env.sh
source "${here}/env.sh"

"${here}/up.sh" >/dev/null
ns="${MLSCALE_ARGO_DEMO_NAMESPACE:-argo-demo}"
kubectl get namespace "${ns}" >/dev/null 2>&1 || kubectl create namespace "${ns}" >/dev/null
for _ in $(seq 1 50); do kubectl get sa default -n "${ns}" >/dev/null 2>&1 && break; sleep 0.2; done

files=("$@")
[[ ${#files[@]} -gt 0 ]] || files=("${here}/examples/hello-steps.yaml" "${here}/examples/diamond.yaml")
names=()
for f in "${files[@]}"; do
  names+=("$(kubectl create -n "${ns}" -f "${f}" -o jsonpath='{.metadata.name}')")
done
log "submitted ${names[*]} in namespace ${ns}"

t0=$(date +%s)
timeout="${MLSCALE_ARGO_DEMO_TIMEOUT:-120}"
last=""
while :; do
  # One read per round: the summary, then a last line with every workflow's phase.
  state="$(kubectl get workflows.argoproj.io -n "${ns}" "${names[@]}" -o json | python3 -c '
import json, sys
out, phases = [], []
obj = json.load(sys.stdin)
for wf in obj["items"] if obj.get("kind", "").endswith("List") else [obj]:
    st = wf.get("status") or {}
    phases.append(st.get("phase") or "-")
    out.append("%s: %s %s" % (wf["metadata"]["name"], st.get("phase", "-"), st.get("message", "")))
    nodes = sorted((st.get("nodes") or {}).values(), key=lambda n: (n.get("startedAt") or "", n["name"]))
    for n in nodes:
        if n["type"] in ("Pod", "Skipped"):
            out.append("    %-40s %-10s %s" % (n["displayName"], n["phase"], n.get("message", "")))
print("\n".join(out))
print(" ".join(phases))
')"
  phases="${state##*$'\n'}"
  state="${state%$'\n'*}"
  if [[ "${state}" != "${last}" ]]; then
    printf '\n[+%ss]\n%s\n' "$(( $(date +%s) - t0 ))" "${state}"
    last="${state}"
  fi
  if ! tr ' ' '\n' <<<"${phases}" | grep -qvE '^(Succeeded|Failed|Error)$'; then break; fi
  if (( $(date +%s) - t0 > timeout )); then
    log "timeout after ${timeout}s"
    kubectl get pods -n "${ns}" -o wide >&2 || true
    exit 1
  fi
  sleep 1
done
log "all finished in $(( $(date +%s) - t0 ))s"
! tr ' ' '\n' <<<"${phases}" | grep -qvx Succeeded
