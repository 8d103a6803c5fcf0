#!/usr/bin/env bash
# Stops the local Kueue controller started by up.sh and removes its webhook configurations first
# (so no API request waits on a stopped webhook), then its namespace. The CRDs stay (Kueue objects
# in test namespaces go with those namespaces). `--keep-objects` keeps the webhook configurations
# and the namespace (a restart). Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/kueue/env.sh
source "${here}/env.sh"

if [[ "${1:-}" != "--keep-objects" ]] && cluster_ready; then
  kubectl delete mutatingwebhookconfiguration,validatingwebhookconfiguration \
    -l testenv.mlscale.dev/part=kueue --ignore-not-found >/dev/null
  log "kueue webhook configurations deleted"
fi
pidfile="${KUEUE_STATE}/kueue.pid"
if [[ -s "${pidfile}" ]]; then
  pid="$(cat "${pidfile}")"
  if kill -0 "${pid}" 2>/dev/null && grep -q kueue "/proc/${pid}/cmdline" 2>/dev/null; then
    log "stopping kueue pid ${pid}"
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${pid}" 2>/dev/null; then kill -KILL "${pid}" 2>/dev/null || true; fi
  fi
  rm -f "${pidfile}"
fi
rm -f "${KUEUE_ENV_FILE}" "${KUEUE_STATE}/cluster-id"
rm -rf /etc/kueue/metrics/certs
rmdir /etc/kueue/metrics /etc/kueue 2>/dev/null || true
if [[ "${1:-}" != "--keep-objects" ]] && cluster_ready; then
  kubectl delete namespace "${KUEUE_NAMESPACE}" --ignore-not-found --wait=false >/dev/null
  log "namespace ${KUEUE_NAMESPACE} deleted"
fi
