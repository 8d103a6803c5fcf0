#!/usr/bin/env bash
# Stops and deletes the mlscale test cluster (processes, etcd data, pki); keeps the binaries.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/versions.sh
source "${here}/versions.sh"

if [[ ! -x "${TESTENV_BIN}/kwokctl" ]]; then
  log "kwokctl is not built; nothing to stop"
  exit 0
fi
mkdir -p "${TESTENV_ROOT}"
exec 8>"${TESTENV_ROOT}/.up.lock"
flock 8
if cluster_exists; then
  log "deleting cluster ${TESTENV_CLUSTER}"
  kwokctl delete cluster --name "${TESTENV_CLUSTER}" >&2
else
  log "cluster ${TESTENV_CLUSTER} does not exist"
fi
rm -f "${TESTENV_KUBECONFIG}"
