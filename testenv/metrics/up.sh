#!/usr/bin/env bash
# Runs metrics-server as a local process against the test cluster and registers it as the
# aggregated API v1beta1.metrics.k8s.io, so `kubectl top` and `mlscale top` work. It scrapes the
# real node's kubelet (testenv/realnode; KWOK nodes have no kubelet address and are skipped).
# Builds it first when not cached (build.sh); needs the cluster and the real node up.
# Idempotent: a running, healthy server for this cluster is reused. See testenv/metrics/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/metrics/env.sh
source "${here}/env.sh"
# shellcheck source=testenv/realnode/env.sh
source "${here}/../realnode/env.sh"   # NODE_IP: the pod bridge's address on this machine

t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

"${here}/build.sh"
cluster_ready || { log "the test cluster is not up: run testenv/up.sh first"; exit 1; }
if ! ip -4 addr show 2>/dev/null | grep -q "inet ${NODE_IP}/"; then
  log "no ${NODE_IP} on this machine: start the real node first (testenv/realnode/up.sh)"
  exit 1
fi

mkdir -p "${METRICS_STATE}"
exec 8>"${METRICS_STATE}/.up.lock"
flock 8
pidfile="${METRICS_STATE}/metrics-server.pid"
logfile="${METRICS_STATE}/metrics-server.log"
running() {
  [[ -s "${pidfile}" ]] && kill -0 "$(cat "${pidfile}")" 2>/dev/null &&
    grep -q metrics-server "/proc/$(cat "${pidfile}")/cmdline" 2>/dev/null
}
available() {
  [[ "$(kubectl get apiservice v1beta1.metrics.k8s.io \
    -o jsonpath='{.status.conditions[?(@.type=="Available")].status}' 2>/dev/null)" == True ]]
}
cluster_id="$(kubectl get namespace kube-system -o jsonpath='{.metadata.uid}')"
if running && [[ "$(cat "${METRICS_STATE}/cluster-id" 2>/dev/null)" == "${cluster_id}" ]] && available; then
  log "reusing metrics-server pid $(cat "${pidfile}") ($(ms) ms)"
  exit 0
fi
if running; then
  log "metrics-server pid $(cat "${pidfile}") is for another cluster or unavailable: restarting it"
  kill -TERM "$(cat "${pidfile}")" 2>/dev/null || true
  for _ in $(seq 1 50); do running || break; sleep 0.1; done
fi

# The API server reaches the server through a Service without a selector whose EndpointSlice
# names this machine's address on the pod bridge; kube-proxy (started with the real node) routes
# the Service's ClusterIP there. The kubelet's serving certificate is self-signed, hence
# --kubelet-insecure-tls (test cluster only).
kubectl apply -f - >/dev/null <<EOT
apiVersion: v1
kind: Service
metadata: {name: metrics-server, namespace: ${METRICS_NAMESPACE}, labels: {app.kubernetes.io/part-of: mlscale-testenv}}
spec:
  ports: [{name: https, port: 443, targetPort: ${METRICS_PORT}, protocol: TCP}]
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: metrics-server-local
  namespace: ${METRICS_NAMESPACE}
  labels: {kubernetes.io/service-name: metrics-server, app.kubernetes.io/part-of: mlscale-testenv}
addressType: IPv4
ports: [{name: https, port: ${METRICS_PORT}, protocol: TCP}]
endpoints: [{addresses: ["${NODE_IP}"], conditions: {ready: true}}]
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.k8s.io, labels: {app.kubernetes.io/part-of: mlscale-testenv}}
spec:
  service: {name: metrics-server, namespace: ${METRICS_NAMESPACE}, port: 443}
  group: metrics.k8s.io
  version: v1beta1
  insecureSkipTLSVerify: true
  groupPriorityMinimum: 100
  versionPriority: 100
EOT

log "starting metrics-server ${METRICS_SERVER_VERSION} on ${NODE_IP}:${METRICS_PORT} (log: ${logfile})"
(
  cd "${METRICS_STATE}"
  nohup setsid "${METRICS_BIN}" \
    --kubeconfig "${TESTENV_KUBECONFIG}" \
    --authentication-kubeconfig "${TESTENV_KUBECONFIG}" \
    --authorization-kubeconfig "${TESTENV_KUBECONFIG}" \
    --bind-address "${NODE_IP}" --secure-port "${METRICS_PORT}" \
    --cert-dir "${METRICS_STATE}/certs" \
    --kubelet-insecure-tls --kubelet-preferred-address-types InternalIP \
    --metric-resolution "${MLSCALE_METRICS_RESOLUTION:-10s}" --kubelet-request-timeout 5s \
    > "${logfile}" 2>&1 < /dev/null 8>&- &
  echo $! > "${pidfile}"
)
echo "${cluster_id}" > "${METRICS_STATE}/cluster-id"

if ! await_ready metrics-server "${MLSCALE_METRICS_START_TIMEOUT:-120}" available running \
  "${logfile}" 0.5; then
  kubectl get apiservice v1beta1.metrics.k8s.io -o yaml >&2 || true
  exit 1
fi
log "metrics-server pid $(cat "${pidfile}") serving v1beta1.metrics.k8s.io in $(ms) ms"
