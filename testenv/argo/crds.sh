#!/usr/bin/env bash
# Loads Argo Workflows' CRDs, with their FULL OpenAPI validation schema, into the test cluster.
# The CRDs come from the Go module github.com/argoproj/argo-workflows/v3@ARGO_VERSION
# (manifests/base/crds/full/, read from the module cache; nothing else is downloaded).
# Idempotent: server-side apply (the full CRDs are too big for client-side apply's
# last-applied annotation). Starts the test cluster first when it is not up.
# Prints the CRD names. See testenv/argo/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/argo/env.sh
source "${here}/env.sh"

t0=$(date +%s%N)
if ! cluster_ready; then
  log "test cluster not up: running testenv/up.sh"
  "${here}/../up.sh" >/dev/null
fi

names=(clusterworkflowtemplates cronworkflows workflowartifactgctasks workfloweventbindings
  workflows workflowtaskresults workflowtasksets workflowtemplates)
names=("${names[@]/#/crd/}"); names=("${names[@]/%/.argoproj.io}")

# Fast path: every CRD is there, Established, and stamped with this Argo version by an earlier
# run (re-applying the 1 MB workflows CRD costs 10-40 s of API server CPU on 2 cores).
stamp=testenv.mlscale.dev/argo-version
current="$(kubectl get "${names[@]}" -o \
  jsonpath='{range .items[*]}{.metadata.annotations.testenv\.mlscale\.dev/argo-version}/{.status.conditions[?(@.type=="Established")].status}{"\n"}{end}' \
  2>/dev/null || true)"
if [[ "$(grep -cx "${ARGO_VERSION}/True" <<<"${current}" || true)" == "${#names[@]}" ]]; then
  printf '%s\n' "${names[@]#crd/}"
  log "Argo ${ARGO_VERSION} CRDs already loaded ($(( ($(date +%s%N) - t0) / 1000000 )) ms)"
  exit 0
fi

crd_dir="$(argo_module_dir)/manifests/base/crds/full"
[[ -d "${crd_dir}" ]] || { log "ERROR: ${crd_dir} not found"; exit 1; }
files=()
for f in "${crd_dir}"/argoproj.io_*.yaml; do files+=(-f "${f}"); done
log "applying $(( ${#files[@]} / 2 )) Argo ${ARGO_VERSION} CRDs (full schema) from ${crd_dir}"
kubectl apply --server-side --force-conflicts --field-manager=mlscale-testenv "${files[@]}" >&2
[[ "${#files[@]}" == $(( 2 * ${#names[@]} )) ]] || log "WARNING: ${crd_dir} has $(( ${#files[@]} / 2 )) CRDs, expected ${#names[@]}"
kubectl wait --for condition=Established --timeout=120s "${names[@]}" >&2
kubectl annotate --overwrite "${names[@]}" "${stamp}=${ARGO_VERSION}" >/dev/null
printf '%s\n' "${names[@]#crd/}"
log "Argo CRDs ready in $(( ($(date +%s%N) - t0) / 1000000 )) ms"
