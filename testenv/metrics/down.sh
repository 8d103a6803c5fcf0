#!/usr/bin/env bash
# Stops the local metrics-server started by up.sh and removes its APIService, Service and
# EndpointSlice. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/metrics/env.sh
source "${here}/env.sh"

pidfile="${METRICS_STATE}/metrics-server.pid"
if [[ -s "${pidfile}" ]]; then
  pid="$(cat "${pidfile}")"
  if kill -0 "${pid}" 2>/dev/null && grep -q metrics-server "/proc/${pid}/cmdline" 2>/dev/null; then
    log "stopping metrics-server pid ${pid}"
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "${pid}" 2>/dev/null || true
  fi
  rm -f "${pidfile}"
fi
rm -f "${METRICS_STATE}/cluster-id"
if cluster_ready; then
  kubectl delete apiservice v1beta1.metrics.k8s.io --ignore-not-found >/dev/null
  kubectl delete -n "${METRICS_NAMESPACE}" service/metrics-server \
    endpointslice/metrics-server-local --ignore-not-found >/dev/null
  log "v1beta1.metrics.k8s.io removed"
fi
