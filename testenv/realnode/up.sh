#!/usr/bin/env bash
# Joins one real node, real-0, to the test cluster: containerd + runc + CNI bridge + kubelet +
# kube-proxy, and CoreDNS as the cluster's DNS, all built from source by build.sh. Pods on it are real containers (real cgroups,
# real OOM kills, real Python). Idempotent: does nothing when the node is up and Ready.
#
#   testenv/realnode/up.sh        # needs root; starts testenv/up.sh first
#   testenv/realnode/down.sh      # stops it and restores the host as it was
#
# The node is labelled role=real and mlscale.dev/real-node=true, and tainted
# mlscale.dev/real-node=true:NoSchedule so that only pods that ask for it land there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/realnode/env.sh
source "${here}/env.sh"

if [[ "$(id -u)" != 0 ]]; then
  log "the real node needs root (network namespaces, cgroups, mounts); skipping"
  exit 1
fi
"${here}/build.sh"
kubeconfig="$("${here}/../up.sh")"

mkdir -p "${NODE_STATE}"
exec 7>"${TESTENV_ROOT}/.realnode.lock"
flock 7

node_ready() {
  [[ "$(kubectl get node "${NODE_NAME}" \
      -o jsonpath='{.status.conditions[?(@.type=="Ready")].status}' 2>/dev/null)" == True ]]
}
running() { [[ -s "${NODE_STATE}/$1.pid" ]] && kill -0 "$(cat "${NODE_STATE}/$1.pid")" 2>/dev/null; }

# The node's identity: its parts and the images it was given.
node_id="${NODE_KEY} $(cd "${NODE_IMAGES}" && ls -l --time-style=+%s ./*.tar | awk '{print $5 $6 $7}' | tr '\n' ' ')"
if running coredns && running containerd && running kubelet && running kube-proxy && node_ready \
   && [[ "$(cat "${NODE_STATE}/key" 2>/dev/null)" == "${node_id}" ]]; then
  log "real node ${NODE_NAME} is already up"
  exit 0
fi
# A half-started or stale node: clean up first (restores the host).
"${here}/down.sh" >&2 7>&- || true
mkdir -p "${NODE_STATE}"
t0=$(date +%s)

# Host tools the node needs (Debian's packages): iptables for kube-proxy's Service rules.
if ! command -v iptables-restore >/dev/null 2>&1; then
  log "installing iptables (apt-get) for kube-proxy"
  apt-get install -y -qq iptables >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq iptables >/dev/null; }
fi

# Firewall rules as they are now: the kubelet and kube-proxy add chains; down.sh puts these back.
iptables-save >"${NODE_STATE}/iptables.before"
ip6tables-save >"${NODE_STATE}/ip6tables.before" 2>/dev/null || true
# Host settings the kubelet changes, recorded so that down.sh restores them.
: >"${NODE_STATE}/sysctls"
for s in vm.overcommit_memory vm.panic_on_oom kernel.panic kernel.panic_on_oops kernel.keys.root_maxkeys kernel.keys.root_maxbytes; do
  v="$(sysctl -n "${s}" 2>/dev/null)" && printf '%s=%s\n' "${s}" "${v}" >>"${NODE_STATE}/sysctls"
done
printf '%s\n' "$(cat /proc/sys/net/ipv4/ip_forward)" >"${NODE_STATE}/ip_forward.before"
# Host paths that containerd and the kubelet create whatever they are told: removed by down.sh
# only when they were not there before.
: >"${NODE_STATE}/host-paths"
for p in /run/containerd /run/netns /var/log/containers /var/log/pods /var/lib/kubelet; do
  [[ -e "${p}" ]] || printf '%s\n' "${p}" >>"${NODE_STATE}/host-paths"
done

# ---------------------------------------------------------------- network
# A bridge with a private /16 that never leaves this machine: no gateway for pods beyond the
# bridge, no masquerading, ip_forward untouched; pods get one route, to the Service range.
ip link add "${NODE_BRIDGE}" type bridge
ip addr add "${NODE_IP}/16" dev "${NODE_BRIDGE}"
ip link set "${NODE_BRIDGE}" up
mkdir -p "${NODE_STATE}/cni/net.d" "${NODE_STATE}/cni/ipam"
cat >"${NODE_STATE}/cni/net.d/10-mlscale.conflist" <<JSON
{
  "cniVersion": "1.0.0",
  "name": "mlscale",
  "plugins": [
    {
      "type": "bridge",
      "bridge": "${NODE_BRIDGE}",
      "isGateway": false,
      "ipMasq": false,
      "hairpinMode": true,
      "ipam": {
        "type": "host-local",
        "dataDir": "${NODE_STATE}/cni/ipam",
        "ranges": [[{"subnet": "${NODE_CIDR}", "rangeStart": "10.244.1.1", "rangeEnd": "10.244.255.254", "gateway": "${NODE_IP}"}]],
        "routes": [{"dst": "${SERVICE_CIDR}", "gw": "${NODE_IP}"}]
      }
    }
  ]
}
JSON

# ---------------------------------------------------------------- DNS
# The cluster's DNS, CoreDNS with the kubernetes plugin (built by build.sh), on the bridge's
# address: pods resolve Services and the hostname.subdomain names of Indexed Jobs' pods
# (JOB-0.JOB) in ${CLUSTER_DOMAIN}. Other names are refused (pods have no internet).
d="${NODE_STATE}/coredns"
mkdir -p "${d}"
cat >"${d}/Corefile" <<COREFILE
${CLUSTER_DOMAIN}:53 in-addr.arpa:53 ip6.arpa:53 {
    bind ${NODE_IP}
    errors
    ready 127.0.0.1:18181
    kubernetes ${CLUSTER_DOMAIN} in-addr.arpa ip6.arpa {
        kubeconfig ${kubeconfig}
        pods insecure
        ttl 5
    }
}
COREFILE
setsid "${COREDNS_BIN}" -conf "${d}/Corefile" \
  >"${NODE_STATE}/coredns.log" 2>&1 < /dev/null 7>&- &
echo $! >"${NODE_STATE}/coredns.pid"
dns_ready=false
for _ in $(seq 1 100); do
  if curl -fsS --max-time 1 http://127.0.0.1:18181/ready >/dev/null 2>&1; then dns_ready=true; break; fi
  sleep 0.2
done
if [[ "${dns_ready}" != true ]]; then
  log "CoreDNS did not become ready on ${NODE_IP}:53 within 20s; last lines:"
  tail -n 20 "${NODE_STATE}/coredns.log" >&2
  exit 1
fi
log "CoreDNS ${COREDNS_VERSION} serving ${CLUSTER_DOMAIN} on ${NODE_IP}:53"

# ---------------------------------------------------------------- containerd
c="${NODE_STATE}/containerd"
mkdir -p "${c}/root" "${c}/state"
cat >"${c}/config.toml" <<TOML
version = 3
root = "${c}/root"
state = "${c}/state"
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.blockfile", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "${c}/containerd.sock"

[ttrpc]
  address = "${c}/containerd.sock.ttrpc"

[debug]
  address = "${c}/debug.sock"

[metrics]
  address = ""

[plugins]
  [plugins.'io.containerd.cri.v1.images']
    snapshotter = "overlayfs"
    [plugins.'io.containerd.cri.v1.images'.pinned_images]
      sandbox = "${PAUSE_IMAGE_REF}"
  [plugins.'io.containerd.cri.v1.runtime']
    enable_selinux = false
    disable_apparmor = true
    # This sandbox lacks CAP_SYS_RESOURCE: lowering oom_score_adj fails without it.
    restrict_oom_score_adj = true
    [plugins.'io.containerd.cri.v1.runtime'.containerd]
      default_runtime_name = "runc"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
          BinaryName = "${NODE_BIN}/runc"
          SystemdCgroup = false
    [plugins.'io.containerd.cri.v1.runtime'.cni]
      bin_dirs = ["${NODE_CNI_BIN}"]
      conf_dir = "${NODE_STATE}/cni/net.d"
  [plugins.'io.containerd.grpc.v1.cri']
    disable_tcp_service = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
TOML
PATH="${NODE_BIN}:${PATH}" setsid "${NODE_BIN}/containerd" --config "${c}/config.toml" \
  >"${NODE_STATE}/containerd.log" 2>&1 < /dev/null 7>&- &
echo $! >"${NODE_STATE}/containerd.pid"
for _ in $(seq 1 100); do [[ -S "${c}/containerd.sock" ]] && break; sleep 0.1; done
ctr() { "${NODE_BIN}/ctr" --address "${c}/containerd.sock" -n k8s.io "$@"; }
for _ in $(seq 1 50); do ctr version >/dev/null 2>&1 && break; sleep 0.2; done
for img in "${NODE_IMAGE_TARS[@]}"; do
  ctr images import --no-unpack=false "${NODE_IMAGES}/${img}.tar" >/dev/null
done
log "containerd up; images: $(ctr images ls -q | grep -v '^sha256:' | tr '\n' ' ')"

# ---------------------------------------------------------------- kubelet
k="${NODE_STATE}/kubelet"
mkdir -p "${k}/root" "${k}/pod-logs"
cat >"${k}/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: ${NODE_IP}
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: ${KWOK_WORKDIR}/clusters/${TESTENV_CLUSTER}/pki/ca.crt}
authorization: {mode: Webhook}
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
containerRuntimeEndpoint: unix://${c}/containerd.sock
podLogsDir: ${k}/pod-logs
clusterDomain: ${CLUSTER_DOMAIN}
clusterDNS: [${NODE_IP}]
resolvConf: ""
maxPods: 30
serializeImagePulls: false
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {nodefs.available: "1%", imagefs.available: "1%", memory.available: "100Mi"}
nodeStatusReportFrequency: 10s
registerWithTaints:
- {key: mlscale.dev/real-node, value: "true", effect: NoSchedule}
YAML
setsid "${NODE_BIN}/kubelet" --config "${k}/config.yaml" --kubeconfig "${kubeconfig}" \
  --root-dir "${k}/root" --hostname-override "${NODE_NAME}" --node-ip "${NODE_IP}" \
  --node-labels "role=real,mlscale.dev/real-node=true,type=real" \
  >"${NODE_STATE}/kubelet.log" 2>&1 < /dev/null 7>&- &
echo $! >"${NODE_STATE}/kubelet.pid"

# The test cluster's volumes are hostPath directories: a real kubelet needs them to exist.
for d in $(kubectl get pv -o jsonpath='{range .items[*]}{.spec.hostPath.path}{"\n"}{end}'); do
  mkdir -p "${d}"
done

# ---------------------------------------------------------------- kube-proxy
setsid "${NODE_BIN}/kube-proxy" --kubeconfig "${kubeconfig}" --hostname-override "${NODE_NAME}" \
  --proxy-mode iptables --cluster-cidr "${NODE_CIDR}" --iptables-localhost-nodeports=false \
  --conntrack-max-per-core 0 --metrics-bind-address 127.0.0.1:10249 \
  --healthz-bind-address 127.0.0.1:10256 \
  >"${NODE_STATE}/kube-proxy.log" 2>&1 < /dev/null 7>&- &
echo $! >"${NODE_STATE}/kube-proxy.pid"

if ! kubectl wait --for=create "node/${NODE_NAME}" --timeout=120s >/dev/null 2>&1 \
   || ! kubectl wait --for=condition=Ready "node/${NODE_NAME}" --timeout=120s >/dev/null; then
  log "real node ${NODE_NAME} did not become Ready; last kubelet lines:"
  tail -n 30 "${NODE_STATE}/kubelet.log" >&2
  exit 1
fi
printf '%s\n' "${node_id}" >"${NODE_STATE}/key"
log "real node ${NODE_NAME} Ready in $(( $(date +%s) - t0 ))s (kubelet ${K8S_VERSION}, containerd ${CONTAINERD_VERSION}, runc ${RUNC_VERSION})"
