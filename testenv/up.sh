#!/usr/bin/env bash
# Starts (or reuses) the mlscale test cluster: control plane built from Go modules
# (testenv/build.sh), nodes simulated by KWOK. Prints the kubeconfig path on stdout; all
# progress goes to stderr. Idempotent and fast when the cluster is already up.
#
#   testenv/up.sh            # build if needed, start if needed, apply nodes + storage
#   KUBECONFIG=$(testenv/up.sh) kubectl get nodes
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/versions.sh
source "${here}/versions.sh"

t0=$(date +%s)
"${here}/build.sh"

mkdir -p "${TESTENV_ROOT}"
exec 8>"${TESTENV_ROOT}/.up.lock"
flock 8

# kwok.yaml plus a ClusterLogs object, which needs an absolute path: `kubectl logs` of any
# simulated container answers with testenv/sim/pod.log (CRI log lines), served by kwok-controller
# as a kubelet would through the API server. The path is a copy in TESTENV_ROOT, not this
# checkout's file: the configuration (and so its hash below) must not depend on where the
# checkout lies, or every checkout (git worktrees side by side) recreates the shared cluster.
config="${TESTENV_ROOT}/kwok-config.yaml"
mkdir -p "${TESTENV_ROOT}"
sim_log="${TESTENV_ROOT}/sim-pod.log"
if ! cmp -s "${here}/sim/pod.log" "${sim_log}"; then
  cp "${here}/sim/pod.log" "${sim_log}.tmp" && mv "${sim_log}.tmp" "${sim_log}"
fi
{
  sed "s|@PKI@|${KWOK_WORKDIR}/clusters/${TESTENV_CLUSTER}/pki|g" "${here}/kwok.yaml"
  printf '%s\n' '---' 'apiVersion: kwok.x-k8s.io/v1alpha1' 'kind: ClusterLogs' \
    'metadata: {name: simulated-output}' 'spec:' '  logs:' \
    "  - logsFile: ${sim_log}"
} >"${config}.tmp"
mv "${config}.tmp" "${config}"

create_args=(
  --name "${TESTENV_CLUSTER}"
  --config "${config}"
  --runtime binary
  --kube-apiserver-binary "${TESTENV_BIN}/kube-apiserver"
  --kube-controller-manager-binary "${TESTENV_BIN}/kube-controller-manager"
  --kube-scheduler-binary "${TESTENV_BIN}/kube-scheduler"
  --etcd-binary "${TESTENV_BIN}/etcd"
  --kwok-controller-binary "${TESTENV_BIN}/kwok"
  --kubeconfig "${TESTENV_KUBECONFIG}"
  --wait 3m
)

# Refuses to start if kwokctl would download anything (it must only use the local binaries).
check_no_downloads() {
  local plan
  plan="$(kwokctl --dry-run create cluster "${create_args[@]}" 2>&1)"
  # kwokctl reports local copies as "# Download /local/path to ..."; anything fetched from the
  # network would be "# Download https://..." (or a curl/wget/pull command).
  if grep -Eq '^# Download [a-z]+://|(^| )(curl|wget|docker|podman|nerdctl) |registry\.k8s\.io|dl\.k8s\.io|github\.com' <<<"${plan}"; then
    log "kwokctl would download something at run time; refusing. Dry-run plan:"
    printf '%s\n' "${plan}" >&2
    exit 1
  fi
}

cluster_dir="${KWOK_WORKDIR}/clusters/${TESTENV_CLUSTER}"
hash_file="${cluster_dir}/mlscale-config"
# A running cluster is reused only if it was made from this configuration and these binaries.
config_hash="${TESTENV_KEY}-$(cat "${config}" "${here}/sim/pod.log" "${here}"/manifests/*.yaml | sha256sum | cut -c1-16)"

reused=false
if cluster_ready && [[ "$(cat "${hash_file}" 2>/dev/null || true)" == "${config_hash}" ]]; then
  log "cluster ${TESTENV_CLUSTER} is already running"
  reused=true
else
  if cluster_exists; then
    # Stopped (e.g. after a reboot), broken, or made from an older kwok.yaml / manifests /
    # binaries. Recreating takes seconds and is more reliable than `kwokctl start cluster`,
    # which trusts stale pid files after processes were killed.
    log "cluster ${TESTENV_CLUSTER} is not running or its configuration changed; recreating it"
    kwokctl delete cluster --name "${TESTENV_CLUSTER}" >&2 8>&- || true
  fi
  check_no_downloads
  log "creating cluster ${TESTENV_CLUSTER} (kwokctl --runtime binary, ${K8S_VERSION})"
  c0=$(date +%s)
  # 8>&-: the cluster processes must not inherit (and so hold) the lock.
  kwokctl create cluster "${create_args[@]}" >&2 8>&-
  log "cluster created in $(( $(date +%s) - c0 ))s"
fi

# kwokctl's readiness check only covers the API server: make sure every component runs.
for component in etcd kube-apiserver kube-controller-manager kube-scheduler kwok-controller; do
  pid_file="${cluster_dir}/pids/${component}.pid"
  if [[ ! -s "${pid_file}" ]] || ! kill -0 "$(cat "${pid_file}")" 2>/dev/null; then
    log "${component} is not running; last lines of ${cluster_dir}/logs/${component}.log:"
    tail -n 20 "${cluster_dir}/logs/${component}.log" >&2 || true
    exit 1
  fi
done

expected_nodes="$(grep -c '^kind: Node$' "${here}/manifests/nodes.yaml")"
if [[ "${reused}" == false ]]; then
  kubectl apply -f "${here}/manifests/nodes.yaml" -f "${here}/manifests/storage.yaml" >/dev/null
  kubectl wait --for=condition=Ready node -l type=kwok --timeout=120s >/dev/null
  # New namespaces need their default ServiceAccount before pods can be created in them;
  # the service account controller is running once "default" has one.
  kubectl wait --for=create serviceaccount/default -n default --timeout=120s >/dev/null
  printf '%s\n' "${config_hash}" >"${hash_file}"
else
  # Nodes are left alone on reuse: another test JVM may be in the middle of a node-loss test.
  ready_nodes="$(kubectl get nodes -l type=kwok --no-headers | awk '$2 == "Ready"' | wc -l)"
  if (( ready_nodes != expected_nodes )); then
    log "WARNING: ${ready_nodes} of ${expected_nodes} nodes are Ready; if no test is running," \
      "repair the pools with: testenv/node.sh restore"
  fi
fi
log "cluster ${TESTENV_CLUSTER} ready in $(( $(date +%s) - t0 ))s: $(kubectl get nodes --no-headers | wc -l) nodes, kubeconfig ${TESTENV_KUBECONFIG}"
printf '%s\n' "${TESTENV_KUBECONFIG}"
