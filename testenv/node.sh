#!/usr/bin/env bash
# Node-loss helpers for the test cluster.
#
#   testenv/node.sh delete NODE      delete the Node object (its pods are orphaned; the pod GC
#                                    controller removes them after ~40s)
#   testenv/node.sh not-ready NODE   the simulated kubelet reports Ready=False
#   testenv/node.sh ready NODE       back to Ready
#   testenv/node.sh restore          recreate deleted nodes and make every node Ready
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/versions.sh
source "${here}/versions.sh"

usage() {
  sed -n '2,9p' "${BASH_SOURCE[0]}" >&2
  exit 2
}

[[ $# -ge 1 ]] || usage
case "$1" in
  delete)
    [[ $# -eq 2 ]] || usage
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
