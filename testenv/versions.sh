#!/usr/bin/env bash
# Pinned versions of the test cluster's parts; sourced by build.sh, up.sh and down.sh.
# Changing any value here (or TESTENV_RECIPE when the build recipe changes) selects a new
# version-keyed cache directory, so the binaries are rebuilt exactly when versions change.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
K8S_VERSION="${MLSCALE_K8S_VERSION:-v1.36.3}"
ETCD_VERSION="${MLSCALE_ETCD_VERSION:-v3.6.16}"
KWOK_VERSION="${MLSCALE_KWOK_VERSION:-v0.8.0}"
TESTENV_RECIPE=1

TESTENV_GO="${MLSCALE_GO:-}"
if [[ -z "${TESTENV_GO}" ]]; then
  if command -v go >/dev/null 2>&1; then
    TESTENV_GO="$(command -v go)"
  else
    TESTENV_GO=/usr/local/go/bin/go
  fi
fi
TESTENV_GO_VERSION="$("${TESTENV_GO}" env GOVERSION)"

TESTENV_ROOT="${MLSCALE_TESTENV_HOME:-${HOME}/.cache/mlscale/testenv}"
TESTENV_KEY="k8s-${K8S_VERSION}_etcd-${ETCD_VERSION}_kwok-${KWOK_VERSION}_${TESTENV_GO_VERSION}_r${TESTENV_RECIPE}"
TESTENV_DIR="${TESTENV_ROOT}/${TESTENV_KEY}"
TESTENV_BIN="${TESTENV_DIR}/bin"
TESTENV_CLUSTER="${MLSCALE_CLUSTER_NAME:-mlscale-test}"
TESTENV_KUBECONFIG="${MLSCALE_KUBECONFIG:-${TESTENV_ROOT}/kubeconfig}"
TESTENV_BINARIES=(kube-apiserver kube-controller-manager kube-scheduler kubectl etcd kwok kwokctl)

log() {
  printf '[%s] %s\n' "$(date -u +%H:%M:%S)" "$*" >&2
}

# kwokctl keeps cluster state (pki, etcd data, logs, pids) here instead of ~/.kwok.
export KWOK_WORKDIR="${TESTENV_ROOT}/kwok"
export KWOK_KUBECTL_BINARY="${TESTENV_BIN}/kubectl"

kwokctl() {
  "${TESTENV_BIN}/kwokctl" "$@"
}

kubectl() {
  "${TESTENV_BIN}/kubectl" --kubeconfig "${TESTENV_KUBECONFIG}" "$@"
}

# Waits for a daemon just started in the background until READY (a command) succeeds. Fails at
# once, with the last lines of its log, when ALIVE (a command) says it has exited, and after
# TIMEOUT seconds. Usage: await_ready NAME TIMEOUT READY ALIVE LOGFILE [INTERVAL]
await_ready() {
  local what="$1" timeout="$2" ready="$3" alive="$4" logfile="$5" interval="${6:-0.2}"
  local deadline=$(( $(date +%s) + timeout ))
  until "${ready}"; do
    if ! "${alive}"; then
      log "ERROR: ${what} exited; last lines of ${logfile}:"
      tail -n 30 "${logfile}" >&2
      return 1
    fi
    if (( $(date +%s) > deadline )); then
      log "ERROR: ${what} not ready within ${timeout}s; see ${logfile}"
      return 1
    fi
    sleep "${interval}"
  done
}

# True when the cluster's API server answers /readyz with the kubeconfig we wrote.
cluster_ready() {
  [[ -s "${TESTENV_KUBECONFIG}" && -x "${TESTENV_BIN}/kubectl" ]] &&
    kubectl get --raw /readyz --request-timeout=5s >/dev/null 2>&1
}

# True when kwokctl knows the cluster (running or not). The list is captured first: with
# pipefail, `kwokctl ... | grep -q` fails when grep exits early and kwokctl gets SIGPIPE.
cluster_exists() {
  local clusters
  clusters="$(kwokctl get clusters 2>/dev/null || true)"
  grep -qx "${TESTENV_CLUSTER}" <<<"${clusters}"
}
