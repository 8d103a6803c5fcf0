#!/usr/bin/env bash
# Builds metrics-server from its Go module into
#   ~/.cache/mlscale/testenv/metrics-server-<version>_<go>_r<recipe>/bin/metrics-server
# and does nothing when it is already there. Safe to run repeatedly and concurrently.
# See testenv/metrics/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/metrics/env.sh
source "${here}/env.sh"

built() { [[ -x "${METRICS_BIN}" && -f "${METRICS_DIR}/.complete" ]]; }

if built; then
  log "metrics-server cached in ${METRICS_DIR}"
  exit 0
fi
mkdir -p "${METRICS_DIR}/bin"
exec 9>"${METRICS_DIR}/.build.lock"
flock 9
if built; then
  log "metrics-server cached in ${METRICS_DIR} (built by another process)"
  exit 0
fi

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
t0=$(date +%s)
log "building metrics-server ${METRICS_SERVER_VERSION} (go install ${METRICS_MODULE})"
GOBIN="${METRICS_DIR}/bin" "${TESTENV_GO}" install -trimpath \
  -ldflags "-s -w -X sigs.k8s.io/metrics-server/pkg/version.gitVersion=${METRICS_SERVER_VERSION}" \
  "${METRICS_MODULE}/cmd/metrics-server@${METRICS_SERVER_VERSION}"
touch "${METRICS_DIR}/.complete"
log "metrics-server built in $(( $(date +%s) - t0 ))s: ${METRICS_BIN}"
