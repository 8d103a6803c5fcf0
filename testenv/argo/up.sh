#!/usr/bin/env bash
# Runs Argo Workflows' workflow-controller as a local process against the test cluster.
# Builds it first when not cached, starts the cluster when it is not up (testenv/up.sh), loads
# the CRDs (crds.sh), creates namespace `argo` with a minimal `workflow-controller-configmap`,
# and starts the controller (cluster-wide: it runs Workflows in every namespace; set
# MLSCALE_ARGO_MANAGED_NAMESPACE=ns to restrict it). Idempotent: a running, healthy controller is
# reused. Prints the controller's namespace; writes ~/.cache/mlscale/testenv/argo.env.
# The controller's only listener is 127.0.0.1:6060 (/healthz); metrics are off.
# See testenv/argo/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/argo/env.sh
source "${here}/env.sh"

t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

"${here}/build.sh"
"${here}/crds.sh" >/dev/null     # also starts the cluster when needed

mkdir -p "${ARGO_STATE}"
exec 8>"${ARGO_STATE}/.up.lock"
flock 8
pidfile="${ARGO_STATE}/workflow-controller.pid"
logfile="${ARGO_STATE}/workflow-controller.log"
healthz="http://127.0.0.1:6060/healthz"
managed="${MLSCALE_ARGO_MANAGED_NAMESPACE:-}"

running() {
  [[ -s "${pidfile}" ]] && kill -0 "$(cat "${pidfile}")" 2>/dev/null &&
    grep -q workflow-controller "/proc/$(cat "${pidfile}")/cmdline" 2>/dev/null
}
healthy() { curl -sf -o /dev/null --max-time 3 "${healthz}"; }
sim_pidfile="${ARGO_STATE}/sim-executor.pid"
sim_running() {
  [[ -s "${sim_pidfile}" ]] && kill -0 "$(cat "${sim_pidfile}")" 2>/dev/null &&
    grep -q sim-executor "/proc/$(cat "${sim_pidfile}")/cmdline" 2>/dev/null
}
# The simulated executor (sim-executor.py) writes WorkflowTaskResults for finished pods that
# carry sim.mlscale.dev/argo-outputs; MLSCALE_ARGO_SIM_EXECUTOR=false leaves it off.
ensure_sim_executor() {
  [[ "${MLSCALE_ARGO_SIM_EXECUTOR:-true}" == true ]] || return 0
  sim_running && return 0
  nohup setsid python3 "${here}/sim-executor.py" "${TESTENV_BIN}/kubectl" "${TESTENV_KUBECONFIG}" \
    > "${ARGO_STATE}/sim-executor.log" 2>&1 < /dev/null 8>&- &
  echo $! > "${sim_pidfile}"
  log "sim-executor pid $(cat "${sim_pidfile}") started (log: ${ARGO_STATE}/sim-executor.log)"
}
write_env() {
  local tmp="${ARGO_ENV_FILE}.tmp.$$"
  cat > "${tmp}" <<EOT
MLSCALE_TEST_ARGO_VERSION=${ARGO_VERSION}
MLSCALE_TEST_ARGO_NAMESPACE=${ARGO_NAMESPACE}
MLSCALE_TEST_ARGO_MANAGED_NAMESPACE=${managed}
MLSCALE_TEST_ARGO_HEALTHZ=${healthz}
MLSCALE_TEST_ARGO_LOG=${logfile}
MLSCALE_TEST_KUBECONFIG=${TESTENV_KUBECONFIG}
EOT
  mv "${tmp}" "${ARGO_ENV_FILE}"
}

# The cluster may have been recreated since the controller started (new API server, new
# certificates): the controller would keep failing. Remember which cluster it was started for.
cluster_id="$(kubectl get namespace kube-system -o jsonpath='{.metadata.uid}')"
if running && healthy && [[ "$(cat "${ARGO_STATE}/cluster-id" 2>/dev/null)" == "${cluster_id}" ]]; then
  ensure_sim_executor
  write_env
  log "reusing workflow-controller pid $(cat "${pidfile}") ($(ms) ms)"
  echo "${ARGO_NAMESPACE}"
  exit 0
fi
if running; then
  log "workflow-controller pid $(cat "${pidfile}") unhealthy or for another cluster: restarting it"
  "${here}/down.sh" --keep-namespace
fi
if (exec 3<>/dev/tcp/127.0.0.1/6060) 2>/dev/null; then
  log "ERROR: 127.0.0.1:6060 is in use by another process (the controller's healthz port is fixed)"
  exit 1
fi

# A namespace still terminating (down.sh deletes it without waiting) would take the new
# ConfigMap with it, and the controller exits when its ConfigMap goes: wait until it is gone.
if [[ "$(kubectl get namespace "${ARGO_NAMESPACE}" -o jsonpath='{.status.phase}' 2>/dev/null)" == Terminating ]]; then
  log "namespace ${ARGO_NAMESPACE} is terminating: waiting until it is gone"
  kubectl wait --for=delete "namespace/${ARGO_NAMESPACE}" --timeout=120s >/dev/null
fi
kubectl get namespace "${ARGO_NAMESPACE}" >/dev/null 2>&1 || kubectl create namespace "${ARGO_NAMESPACE}" >/dev/null
# Minimal controller configuration. metricsConfig/telemetryConfig off: their servers would
# listen on every interface. The executor image is never pulled (KWOK runs no containers) but
# must be set; it is the matching argoexec tag.
kubectl apply -n "${ARGO_NAMESPACE}" -f - >/dev/null <<EOT
apiVersion: v1
kind: ConfigMap
metadata:
  name: workflow-controller-configmap
data:
  metricsConfig: |
    enabled: false
  telemetryConfig: |
    enabled: false
  executor: |
    imagePullPolicy: IfNotPresent
    resources:
      requests:
        cpu: 10m
        memory: 32Mi
EOT

args=(--kubeconfig "${TESTENV_KUBECONFIG}" --namespace "${ARGO_NAMESPACE}"
  --configmap workflow-controller-configmap
  --executor-image "quay.io/argoproj/argoexec:${ARGO_VERSION}"
  --workflow-workers 8 --pod-cleanup-workers 2 --loglevel "${MLSCALE_ARGO_LOGLEVEL:-info}")
if [[ -n "${managed}" ]]; then
  args+=(--namespaced --managed-namespace "${managed}")
fi
log "starting workflow-controller ${ARGO_VERSION} (log: ${logfile})"
(
  cd "${ARGO_STATE}"
  # DEFAULT_REQUEUE_TIME: how soon a workflow is looked at again after a change (10 s by
  # default). 1 s lets a step follow its predecessor in ~1-2 s instead of ~10 s.
  LEADER_ELECTION_DISABLE=true DEFAULT_REQUEUE_TIME="${MLSCALE_ARGO_REQUEUE_TIME:-1s}" \
    nohup setsid "${ARGO_CONTROLLER}" "${args[@]}" \
    > "${logfile}" 2>&1 < /dev/null 8>&- &
  echo $! > "${pidfile}"
)
echo "${cluster_id}" > "${ARGO_STATE}/cluster-id"

await_ready workflow-controller "${MLSCALE_ARGO_START_TIMEOUT:-60}" healthy running "${logfile}" ||
  exit 1
ensure_sim_executor
write_env
log "workflow-controller pid $(cat "${pidfile}") healthy in $(ms) ms"
echo "${ARGO_NAMESPACE}"
