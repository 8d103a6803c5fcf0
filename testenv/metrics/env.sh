#!/usr/bin/env bash
# Pinned metrics-server version, cache paths and defaults for the test cluster's metrics API;
# sourced by build.sh, up.sh and down.sh. Changing METRICS_SERVER_VERSION (or METRICS_RECIPE
# when the build recipe changes) selects a new version-keyed cache directory.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

metrics_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Go, TESTENV_ROOT, TESTENV_BIN (kubectl), TESTENV_KUBECONFIG, log() and kubectl() come from the
# cluster's versions.sh (read-only for us).
# shellcheck source=testenv/versions.sh
source "${metrics_here}/../versions.sh"

# Newest release the Go module proxy serves here; its go.mod has no replace directives, so
# `go install module@version` builds it as released.
METRICS_SERVER_VERSION="${MLSCALE_METRICS_SERVER_VERSION:-v0.9.0}"
METRICS_MODULE=sigs.k8s.io/metrics-server
METRICS_RECIPE=1

METRICS_KEY="metrics-server-${METRICS_SERVER_VERSION}_${TESTENV_GO_VERSION}_r${METRICS_RECIPE}"
METRICS_DIR="${TESTENV_ROOT}/${METRICS_KEY}"
METRICS_BIN="${METRICS_DIR}/bin/metrics-server"

# Runtime: one metrics-server process per TESTENV_ROOT, serving the aggregated API
# v1beta1.metrics.k8s.io on the pod bridge's address (the API server reaches it through a
# selector-less Service whose EndpointSlice names that address).
METRICS_STATE="${MLSCALE_METRICS_STATE:-${TESTENV_ROOT}/metrics-run}"   # pid, log, certs
METRICS_PORT="${MLSCALE_METRICS_PORT:-14443}"
METRICS_NAMESPACE=kube-system
