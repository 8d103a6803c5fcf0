#!/usr/bin/env bash
# Node-loss helpers for the test cluster.
#
#   testenv/node.sh delete NODE      freeze the node's running pods, then delete the Node (its
#                                    pods are orphaned; pod GC removes them after 40-60s)
#   testenv/node.sh not-ready NODE   the simulated kubelet reports Ready=False
#   testenv/node.sh ready NODE       back to Ready
#   testenv/node.sh restore          recreate deleted nodes and make every node Ready
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/versions.sh
source "${here}/versions.sh"

usage() {
  sed -n '2,8p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
case "$1" in
  delete)
    [[ $# -eq 2 ]] || usage
    # A lost machine's kubelet stops: freeze its running pods first (see kwok.yaml pod-freeze),
    # so that none of them finishes after the node is gone.
    pods="$(kubectl get pods -A --field-selector "spec.nodeName=$2,status.phase=Running" \
      -o jsonpath='{range .items[*]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}')"
    while read -r ns pod; do
      [[ -n "${pod}" ]] || continue
      kubectl annotate pod -n "${ns}" "${pod}" sim.mlscale.dev/frozen=requested --overwrite >/dev/null
      kubectl wait pod -n "${ns}" "${pod}" --timeout=60s \
        --for=jsonpath='{.metadata.annotations.sim\.mlscale\.dev/frozen}'=true >/dev/null
    done <<<"${pods}"
    kubectl delete node "$2" --wait=true
    ;;
  not-ready)
    [[ $# -eq 2 ]] || usage
    kubectl label node "$2" sim.mlscale.dev/not-ready=true --overwrite
    kubectl wait --for=condition=Ready=false node "$2" --timeout=60s
    ;;
  ready)
    [[ $# -eq 2 ]] || usage
    kubectl label node "$2" sim.mlscale.dev/not-ready-
    kubectl wait --for=condition=Ready node "$2" --timeout=60s
    ;;
  restore)
    kubectl apply -f "${here}/manifests/nodes.yaml"
    kubectl label nodes -l sim.mlscale.dev/not-ready sim.mlscale.dev/not-ready-
    kubectl wait --for=condition=Ready node -l type=kwok --timeout=120s
    ;;
  *)
    usage
    ;;
esac
