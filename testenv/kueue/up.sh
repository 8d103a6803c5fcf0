#!/usr/bin/env bash
# Runs Kueue's controller manager as a local process against the test cluster, webhooks included.
# Builds it first when not cached (build.sh), starts the cluster when it is not up
# (testenv/up.sh), generates a CA and a serving certificate for 127.0.0.1, loads Kueue's CRDs
# (conversion webhook on loopback) and its webhook configurations (loopback URLs, our CA; the
# batch/v1 Job webhooks only see Jobs labelled kueue.x-k8s.io/queue-name), and starts the
# controller with: manageJobsWithoutQueueName false, the batch/job integration only, no leader
# election, health on 127.0.0.1, metrics and the visibility server off, Kueue's own cert
# management off. Idempotent: a running, healthy controller for this cluster is reused.
# Prints the controller's namespace; writes ~/.cache/mlscale/testenv/kueue.env.
# See testenv/kueue/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/kueue/env.sh
source "${here}/env.sh"

t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

"${here}/build.sh"
if ! cluster_ready; then
  log "test cluster not up: running testenv/up.sh"
  "${here}/../up.sh" >/dev/null
fi

mkdir -p "${KUEUE_STATE}"
exec 8>"${KUEUE_STATE}/.up.lock"
flock 8
pidfile="${KUEUE_STATE}/kueue.pid"
logfile="${KUEUE_STATE}/kueue.log"
certs="${KUEUE_STATE}/certs"
healthz="http://127.0.0.1:${KUEUE_HEALTH_PORT}/readyz"
webhook_url="https://127.0.0.1:${KUEUE_WEBHOOK_PORT}"
# Kueue reads a metrics certificate from this fixed path whenever its own cert management is off,
# even with the metrics server disabled; down.sh removes it.
metrics_certs=/etc/kueue/metrics/certs

running() {
  [[ -s "${pidfile}" ]] && kill -0 "$(cat "${pidfile}")" 2>/dev/null &&
    grep -q kueue "/proc/$(cat "${pidfile}")/cmdline" 2>/dev/null
}
healthy() { curl -sf -o /dev/null --max-time 3 "${healthz}"; }
write_env() {
  local tmp="${KUEUE_ENV_FILE}.tmp.$$"
  cat > "${tmp}" <<EOT
MLSCALE_TEST_KUEUE_VERSION=${KUEUE_VERSION}
MLSCALE_TEST_KUEUE_NAMESPACE=${KUEUE_NAMESPACE}
MLSCALE_TEST_KUEUE_HEALTHZ=${healthz}
MLSCALE_TEST_KUEUE_LOG=${logfile}
MLSCALE_TEST_KUBECONFIG=${TESTENV_KUBECONFIG}
EOT
  mv "${tmp}" "${KUEUE_ENV_FILE}"
}

cluster_id="$(kubectl get namespace kube-system -o jsonpath='{.metadata.uid}')"
if running && healthy && [[ "$(cat "${KUEUE_STATE}/cluster-id" 2>/dev/null)" == "${cluster_id}" ]]; then
  write_env
  log "reusing kueue pid $(cat "${pidfile}") ($(ms) ms)"
  echo "${KUEUE_NAMESPACE}"
  exit 0
fi
if running; then
  log "kueue pid $(cat "${pidfile}") unhealthy or for another cluster: restarting it"
  "${here}/down.sh" --keep-objects
fi
for port in "${KUEUE_WEBHOOK_PORT}" "${KUEUE_HEALTH_PORT}"; do
  if (exec 3<>/dev/tcp/127.0.0.1/"${port}") 2>/dev/null; then
    log "ERROR: 127.0.0.1:${port} is in use by another process (MLSCALE_KUEUE_*_PORT to move it)"
    exit 1
  fi
done

# A CA and a serving certificate for 127.0.0.1 (the API server calls the webhooks there).
if [[ ! -s "${certs}/tls.crt" ]]; then
  mkdir -p "${certs}"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=mlscale-testenv-kueue-ca" \
    -keyout "${certs}/ca.key" -out "${certs}/ca.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "${certs}/tls.key" -out "${certs}/tls.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > "${certs}/ext.cnf"
  openssl x509 -req -in "${certs}/tls.csr" -CA "${certs}/ca.crt" -CAkey "${certs}/ca.key" \
    -CAcreateserial -days 3650 -extfile "${certs}/ext.cnf" -out "${certs}/tls.crt.tmp" 2>/dev/null
  mv "${certs}/tls.crt.tmp" "${certs}/tls.crt"
  log "generated a CA and a 127.0.0.1 serving certificate in ${certs}"
fi
mkdir -p "${metrics_certs}"
cp "${certs}/tls.crt" "${certs}/tls.key" "${metrics_certs}/"

module="$(kueue_module_dir)"
# CRDs first (server-side apply: they are too big for client-side apply's annotation).
python3 "${here}/manifests.py" crds "${module}" "${webhook_url}" "${certs}/ca.crt" |
  kubectl apply --server-side --force-conflicts --field-manager mlscale-testenv -f - >/dev/null
crds="$(python3 -c 'import glob,os,sys; print(" ".join("crd/"+os.path.basename(p)[:-5].split("_",1)[1]+"."+os.path.basename(p).split("_")[0] for p in glob.glob(sys.argv[1]+"/config/components/crd/bases/*.yaml")))' "${module}")"
# A CRD just applied may have no status yet, and kubectl wait then fails at once ("accessor
# error: <nil>") instead of waiting: ask again until every CRD is Established, at most 60 s.
for _ in $(seq 60); do
  # shellcheck disable=SC2086  # one argument per CRD
  kubectl wait --for condition=Established --timeout=60s ${crds} >/dev/null 2>&1 && break
  sleep 1
done
# shellcheck disable=SC2086
kubectl wait --for condition=Established --timeout=5s ${crds} >/dev/null
kubectl get namespace "${KUEUE_NAMESPACE}" >/dev/null 2>&1 || kubectl create namespace "${KUEUE_NAMESPACE}" >/dev/null

cat > "${KUEUE_STATE}/config.yaml" <<EOT
apiVersion: config.kueue.x-k8s.io/v1beta2
kind: Configuration
namespace: ${KUEUE_NAMESPACE}
health:
  healthProbeBindAddress: 127.0.0.1:${KUEUE_HEALTH_PORT}
metrics:
  bindAddress: "0"
webhook:
  host: 127.0.0.1
  port: ${KUEUE_WEBHOOK_PORT}
  certDir: ${certs}
leaderElection:
  leaderElect: false
internalCertManagement:
  enable: false
manageJobsWithoutQueueName: false
clientConnection:
  qps: 50
  burst: 100
integrations:
  frameworks:
  - batch/job
EOT

log "starting kueue ${KUEUE_VERSION} (log: ${logfile})"
(
  cd "${KUEUE_STATE}"
  KUBECONFIG="${TESTENV_KUBECONFIG}" nohup setsid "${KUEUE_CONTROLLER}" \
    --config "${KUEUE_STATE}/config.yaml" --feature-gates VisibilityOnDemand=false \
    --zap-log-level "${MLSCALE_KUEUE_LOGLEVEL:-info}" \
    > "${logfile}" 2>&1 < /dev/null 8>&- &
  echo $! > "${pidfile}"
)
echo "${cluster_id}" > "${KUEUE_STATE}/cluster-id"

await_ready kueue "${MLSCALE_KUEUE_START_TIMEOUT:-90}" healthy running "${logfile}" || exit 1
# The webhook configurations go in once the server answers, so no create waits on a dead URL.
python3 "${here}/manifests.py" webhooks "${module}" "${webhook_url}" "${certs}/ca.crt" |
  kubectl apply --server-side --force-conflicts --field-manager mlscale-testenv -f - >/dev/null
write_env
log "kueue pid $(cat "${pidfile}") ready in $(ms) ms"
echo "${KUEUE_NAMESPACE}"
