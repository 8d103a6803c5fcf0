#!/usr/bin/env bash
# The real node's parts, pinned; sourced by build.sh, up.sh and down.sh in this folder.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file
here_env="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/versions.sh
source "${here_env}/../versions.sh"
# shellcheck source=testenv/argo/env.sh
source "${here_env}/../argo/env.sh"

RUNC_VERSION="${MLSCALE_RUNC_VERSION:-v1.3.7}"
CONTAINERD_VERSION="${MLSCALE_CONTAINERD_VERSION:-v2.2.9}"
CNI_VERSION="${MLSCALE_CNI_VERSION:-v1.7.1}"
NODE_RECIPE=1
NODE_KEY="node-k8s-${K8S_VERSION}_runc-${RUNC_VERSION}_containerd-${CONTAINERD_VERSION}_cni-${CNI_VERSION}_argo-${ARGO_VERSION}_${TESTENV_GO_VERSION}_r${NODE_RECIPE}"
NODE_DIR="${TESTENV_ROOT}/${NODE_KEY}"
NODE_BIN="${NODE_DIR}/bin"
NODE_CNI_BIN="${NODE_DIR}/cni"
NODE_IMAGES="${NODE_DIR}/images"
NODE_BINARIES=(runc containerd containerd-shim-runc-v2 ctr kubelet kube-proxy pause argoexec)
NODE_IMAGE_TARS=(pause python argoexec aws-cli)

# The test cluster's DNS (CoreDNS with the kubernetes plugin, serving cluster.local to the real
# node's pods): built from its Go module into a cache of its own, keyed by version.
COREDNS_VERSION="${MLSCALE_COREDNS_VERSION:-v1.15.0}"
COREDNS_RECIPE=1
COREDNS_DIR="${TESTENV_ROOT}/coredns-${COREDNS_VERSION}_${TESTENV_GO_VERSION}_r${COREDNS_RECIPE}"
COREDNS_BIN="${COREDNS_DIR}/bin/coredns"
CLUSTER_DOMAIN=cluster.local

# Where the running node keeps its state (removed by down.sh).
NODE_NAME="${MLSCALE_REAL_NODE:-real-0}"
NODE_STATE="${TESTENV_ROOT}/realnode"
NODE_BRIDGE=mlscale0
NODE_CIDR=10.244.0.0/16
NODE_IP=10.244.0.1
SERVICE_CIDR=10.96.0.0/12
# The Python image the examples name, built here from Debian packages.
PYTHON_IMAGE_REF="docker.io/library/python:3.11-slim"
PAUSE_IMAGE_REF="registry.k8s.io/pause:3.10"
# The AWS CLI (from PyPI) for S3 tasks, under a name of its own: pipelines name it as a task image.
AWSCLI_VERSION="${MLSCALE_AWSCLI_VERSION:-1.46.3}"
AWSCLI_IMAGE_REF="mlscale.test/aws-cli:${AWSCLI_VERSION}"
# Argo's executor image, under the name the test controller is told to use (testenv/argo/up.sh).
ARGOEXEC_IMAGE_REF="quay.io/argoproj/argoexec:${ARGO_VERSION}"
