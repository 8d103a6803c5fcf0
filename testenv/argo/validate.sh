#!/usr/bin/env bash
# Server-side dry run of Workflow manifests against the Argo CRDs' full schema in the test
# cluster. Loads the CRDs first (crds.sh). With no arguments, checks testenv/argo/examples/:
# every valid example must be accepted and every invalid-*.yaml rejected with a schema error.
# With arguments, dry-runs those files and exits non-zero when any is rejected.
# Uses --validate=strict, so unknown fields are rejected too.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/argo/env.sh
source "${here}/env.sh"

"${here}/crds.sh" >/dev/null
ns="${MLSCALE_ARGO_VALIDATE_NAMESPACE:-argo-validate}"
kubectl get namespace "${ns}" >/dev/null 2>&1 || kubectl create namespace "${ns}" >/dev/null

dry_run() {
  kubectl create --dry-run=server --validate=strict -n "${ns}" -o name -f "$1" 2>&1
}

failed=0
if [[ $# -gt 0 ]]; then
  for f in "$@"; do
    if out="$(dry_run "${f}")"; then echo "ACCEPTED ${f}"; else echo "REJECTED ${f}: ${out}"; failed=1; fi
  done
  exit "${failed}"
fi

for f in "${here}"/examples/*.yaml; do
  name="$(basename "${f}")"
  if out="$(dry_run "${f}")"; then
    if [[ "${name}" == invalid-* ]]; then
      echo "FAIL ${name}: accepted, expected a schema error"; failed=1
    else
      echo "ok   ${name}: accepted (${out})"
    fi
  else
    if [[ "${name}" == invalid-* && "${out}" == *"is invalid"* ]]; then
      echo "ok   ${name}: rejected: ${out//$'\n'/ }"
    else
      echo "FAIL ${name}: ${out//$'\n'/ }"; failed=1
    fi
  fi
done
exit "${failed}"
