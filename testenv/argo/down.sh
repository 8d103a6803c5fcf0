#!/usr/bin/env bash
# Stops the local workflow-controller started by up.sh and deletes its namespace (with the
# ConfigMap). `--keep-namespace` keeps the namespace. The CRDs stay (crds.sh is cheap to
# re-run, and Workflows in test namespaces need them). Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/argo/env.sh
source "${here}/env.sh"

pidfile="${ARGO_STATE}/workflow-controller.pid"
if [[ -s "${pidfile}" ]]; then
  pid="$(cat "${pidfile}")"
  if kill -0 "${pid}" 2>/dev/null && grep -q workflow-controller "/proc/${pid}/cmdline" 2>/dev/null; then
    log "stopping workflow-controller pid ${pid}"
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${pid}" 2>/dev/null; then kill -KILL "${pid}" 2>/dev/null || true; fi
  fi
  rm -f "${pidfile}"
fi
sim_pidfile="${ARGO_STATE}/sim-executor.pid"
if [[ -s "${sim_pidfile}" ]]; then
  pid="$(cat "${sim_pidfile}")"
  if kill -0 "${pid}" 2>/dev/null && grep -q sim-executor "/proc/${pid}/cmdline" 2>/dev/null; then
    log "stopping sim-executor pid ${pid}"
    # its own process group (setsid): the python process and its kubectl watch
    kill -TERM -- "-${pid}" 2>/dev/null || kill -TERM "${pid}" 2>/dev/null || true
  fi
  rm -f "${sim_pidfile}"
fi
rm -f "${ARGO_ENV_FILE}" "${ARGO_STATE}/cluster-id"
if [[ "${1:-}" != "--keep-namespace" ]] && cluster_ready; then
  kubectl delete namespace "${ARGO_NAMESPACE}" --ignore-not-found --wait=false >/dev/null
  log "namespace ${ARGO_NAMESPACE} deleted"
fi
