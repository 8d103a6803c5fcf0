#!/usr/bin/env bash
# Stops the real node (and the cluster's DNS, CoreDNS) and restores the host as up.sh found it: processes, containers, mounts,
# network namespaces, the bridge, iptables rules, cgroups, sysctls and the host paths that
# containerd and the kubelet create. Safe to run when nothing is up.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/realnode/env.sh
source "${here}/env.sh"
[[ "$(id -u)" == 0 ]] || exit 0
[[ -d "${NODE_STATE}" ]] || { ip link del "${NODE_BRIDGE}" 2>/dev/null || true; exit 0; }

stop() {
  local pid_file="${NODE_STATE}/$1.pid" pid
  [[ -s "${pid_file}" ]] || return 0
  pid="$(cat "${pid_file}")"
  if kill -0 "${pid}" 2>/dev/null; then
    kill "${pid}" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    kill -9 "${pid}" 2>/dev/null || true
  fi
  rm -f "${pid_file}"
}

# The Node object goes first, so that nothing is scheduled there while it stops.
if [[ -s "${TESTENV_KUBECONFIG}" ]]; then
  kubectl delete node "${NODE_NAME}" --wait=false --request-timeout=5s >/dev/null 2>&1 || true
fi
stop kubelet
stop kube-proxy
c="${NODE_STATE}/containerd"
if [[ -S "${c}/containerd.sock" ]]; then
  ctr() { timeout 10 "${NODE_BIN}/ctr" --address "${c}/containerd.sock" -n k8s.io "$@"; }
  for t in $(ctr tasks ls -q 2>/dev/null); do ctr tasks kill -s SIGKILL "${t}" >/dev/null 2>&1 || true; done
  sleep 0.5
  for t in $(ctr tasks ls -q 2>/dev/null); do ctr tasks delete -f "${t}" >/dev/null 2>&1 || true; done
fi
stop containerd
stop coredns
# Shims and anything still in a pod (a shim outlives containerd by design).
pkill -9 -f "containerd-shim-runc-v2 .*${c}/containerd.sock" 2>/dev/null || true
pkill -9 -f "${NODE_BIN}/pause" 2>/dev/null || true
for cg in /sys/fs/cgroup/*/kubepods /sys/fs/cgroup/*/k8s.io; do
  [[ -d "${cg}" ]] || continue
  find "${cg}" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -9 2>/dev/null || true
done
sleep 0.3
# kube-proxy's iptables chains.
if [[ -x "${NODE_BIN}/kube-proxy" ]] && command -v iptables >/dev/null 2>&1; then
  "${NODE_BIN}/kube-proxy" --cleanup >/dev/null 2>&1 || true
fi
# ... and the kubelet's (KUBE-FIREWALL, canaries): every table back to what up.sh saved.
for v in "" 6; do
  before="${NODE_STATE}/ip${v}tables.before"
  [[ -f "${before}" ]] && command -v "ip${v}tables" >/dev/null 2>&1 || continue
  for t in filter nat mangle; do
    "ip${v}tables" -t "${t}" -F 2>/dev/null || true
    "ip${v}tables" -t "${t}" -X 2>/dev/null || true
  done
  "ip${v}tables-restore" <"${before}" 2>/dev/null || true
done
# Mounts under the node's state and the host paths containerd and the kubelet use, deepest first.
for _ in 1 2 3; do
  mounts="$(awk '{print $2}' /proc/self/mounts | grep -E "^(${NODE_STATE}|/run/containerd|/run/netns)" | sort -r || true)"
  for m in ${mounts}; do umount -l "${m}" 2>/dev/null || true; done
done
for ns in $(ip netns list 2>/dev/null | awk '/^cni-/{print $1}'); do ip netns delete "${ns}" 2>/dev/null || true; done
ip link del "${NODE_BRIDGE}" 2>/dev/null || true
# cgroups the kubelet and containerd made, in every hierarchy (children first).
for h in /sys/fs/cgroup/*; do
  for top in kubepods k8s.io; do
    [[ -d "${h}/${top}" ]] && find "${h}/${top}" -depth -type d -exec rmdir {} \; 2>/dev/null || true
  done
done
# Host settings the kubelet changed.
if [[ -f "${NODE_STATE}/sysctls" ]]; then
  while IFS='=' read -r key value; do sysctl -qw "${key}=${value}" >/dev/null 2>&1 || true; done <"${NODE_STATE}/sysctls"
fi
if [[ -f "${NODE_STATE}/ip_forward.before" ]]; then
  echo "$(cat "${NODE_STATE}/ip_forward.before")" >/proc/sys/net/ipv4/ip_forward || true
fi
if [[ -f "${NODE_STATE}/host-paths" ]]; then
  while read -r p; do [[ -n "${p}" ]] && rm -rf "${p}"; done <"${NODE_STATE}/host-paths"
fi
rm -rf "${NODE_STATE}"
log "real node ${NODE_NAME} stopped; host restored"
