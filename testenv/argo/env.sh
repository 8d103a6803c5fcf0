#!/usr/bin/env bash
# Pinned Argo Workflows version, cache paths and defaults for the test cluster's Argo parts;
# sourced by crds.sh, build.sh, up.sh and down.sh. Changing ARGO_VERSION (or ARGO_RECIPE when
# the build recipe changes) selects a new version-keyed cache directory.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

argo_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Go, TESTENV_ROOT, TESTENV_BIN (kubectl), TESTENV_KUBECONFIG, log() and kubectl() come from the
# cluster's versions.sh (read-only for us).
# shellcheck source=testenv/versions.sh
source "${argo_here}/../versions.sh"

# Newest v3 release the Go module proxy serves here (v3.7.18, 2026-08-14). v4 is avoided on
# purpose (security flaws reported for v4.0.5).
ARGO_VERSION="${MLSCALE_ARGO_VERSION:-v3.7.18}"
ARGO_MODULE=github.com/argoproj/argo-workflows/v3
ARGO_RECIPE=1

ARGO_KEY="argo-${ARGO_VERSION}_${TESTENV_GO_VERSION}_r${ARGO_RECIPE}"
ARGO_DIR="${TESTENV_ROOT}/${ARGO_KEY}"
ARGO_BIN="${ARGO_DIR}/bin"
ARGO_CONTROLLER="${ARGO_BIN}/workflow-controller"

# Runtime: the controller runs as a local process (namespaced mode) against the test cluster.
ARGO_NAMESPACE="${MLSCALE_ARGO_NAMESPACE:-argo}"
ARGO_STATE="${MLSCALE_ARGO_STATE:-${TESTENV_ROOT}/argo-run}"   # pid, log
ARGO_ENV_FILE="${MLSCALE_ARGO_ENV_FILE:-${TESTENV_ROOT}/argo.env}"
ARGO_METRICS_PORT="${MLSCALE_ARGO_METRICS_PORT:-19090}"

# Prints the module's directory in the module cache, downloading it if needed.
argo_module_dir() {
  "${TESTENV_GO}" mod download -json "${ARGO_MODULE}@${ARGO_VERSION}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'
}
