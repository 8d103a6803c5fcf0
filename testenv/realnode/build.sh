#!/usr/bin/env bash
# Builds the real test node's parts from source (no prebuilt downloads) into
#   ~/.cache/mlscale/testenv/node-<versions>/{bin,cni,images}
# runc (CGO + seccomp), containerd and its runc shim, the CNI plugins, kubelet and kube-proxy
# (from the control plane's wrapper module), a static C pause binary, and the images the tests
# use: pause and python:3.11-slim, written as OCI image layouts from Debian's packages; and CoreDNS
# (the test cluster's DNS) into a cache of its own.
# Does nothing when everything is there. See testenv/realnode/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/realnode/env.sh
source "${here}/env.sh"

GO="${TESTENV_GO}"
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

# CoreDNS with only the plugins the test cluster's DNS uses (kubernetes for cluster.local, and
# bind, ready, health, errors, log, loadbalance, cache), the way CoreDNS documents building with
# a chosen plugin set: a small main package that imports coremain and those plugins and sets the
# directive order (CoreDNS's own order, zdirectives.go). The whole default build pulls in every
# cloud DNS SDK; this one does not. It has a cache of its own, keyed by CoreDNS's version, so the
# node's parts are not rebuilt for it.
build_coredns() {
  [[ -x "${COREDNS_BIN}" && -f "${COREDNS_DIR}/.complete" ]] && return 0
  mkdir -p "${COREDNS_DIR}/bin"
  exec 8>"${COREDNS_DIR}/.build.lock"
  flock 8
  if [[ -x "${COREDNS_BIN}" && -f "${COREDNS_DIR}/.complete" ]]; then exec 8>&-; return 0; fi
  local t0 dir; t0=$(date +%s)
  log "building CoreDNS ${COREDNS_VERSION} (kubernetes plugin) from its Go module"
  dir="${COREDNS_DIR}/src"
  rm -rf "${dir}" && mkdir -p "${dir}"
  cat >"${dir}/go.mod" <<MOD
module mlscale.test/coredns

go 1.26.0
MOD
  cat >"${dir}/main.go" <<'GO'
// CoreDNS for the mlscale test cluster: the kubernetes plugin and a few basic ones.
package main

import (
	"github.com/coredns/coredns/core/dnsserver"
	"github.com/coredns/coredns/coremain"

	_ "github.com/coredns/coredns/plugin/bind"
	_ "github.com/coredns/coredns/plugin/cache"
	_ "github.com/coredns/coredns/plugin/errors"
	_ "github.com/coredns/coredns/plugin/health"
	_ "github.com/coredns/coredns/plugin/kubernetes"
	_ "github.com/coredns/coredns/plugin/loadbalance"
	_ "github.com/coredns/coredns/plugin/log"
	_ "github.com/coredns/coredns/plugin/ready"
)

// The plugins in CoreDNS's own order (core/dnsserver/zdirectives.go), limited to those above.
func init() {
	dnsserver.Directives = []string{"bind", "ready", "health", "errors", "log", "loadbalance", "cache", "kubernetes"}
}

func main() { coremain.Run() }
GO
  (
    cd "${dir}"
    CGO_ENABLED=0 "${GO}" get "github.com/coredns/coredns@${COREDNS_VERSION}"
    CGO_ENABLED=0 "${GO}" mod tidy
    CGO_ENABLED=0 "${GO}" build -trimpath -ldflags "-s -w" -o "${COREDNS_BIN}.tmp" .
  )
  mv "${COREDNS_BIN}.tmp" "${COREDNS_BIN}"
  touch "${COREDNS_DIR}/.complete"
  exec 8>&-
  log "CoreDNS built in $(( $(date +%s) - t0 ))s: ${COREDNS_BIN}"
}

build_coredns

all_built() {
  local b
  for b in "${NODE_BINARIES[@]}"; do [[ -x "${NODE_BIN}/${b}" ]] || return 1; done
  images_built || return 1
  [[ -f "${NODE_DIR}/.complete" ]]
}
# The images are rebuilt when python-image.packages changes (a copy is kept next to them).
images_built() {
  local i
  for i in "${NODE_IMAGE_TARS[@]}"; do [[ -f "${NODE_IMAGES}/${i}.tar" ]] || return 1; done
  cmp -s "${here}/python-image.packages" "${NODE_IMAGES}/python-image.packages"
}
if all_built; then
  log "real node parts cached in ${NODE_DIR}"
  exit 0
fi
mkdir -p "${NODE_DIR}" "${NODE_BIN}" "${NODE_CNI_BIN}" "${NODE_IMAGES}"
exec 9>"${NODE_DIR}/.build.lock"
flock 9
all_built && exit 0

work="${NODE_DIR}/work"
mkdir -p "${work}"
start_all=$(date +%s)

# Debian packages, unpacked (never installed): libseccomp for runc's static link, and the
# Python image's root file system.
debs() {
  local dest="$1"; shift
  mkdir -p "${dest}/debs" "${dest}/root"
  if ! (cd "${dest}/debs" && apt-get download "$@" >/dev/null 2>&1); then
    apt-get update >/dev/null
    (cd "${dest}/debs" && apt-get download "$@" >/dev/null)
  fi
  local d
  for d in "${dest}"/debs/*.deb; do dpkg -x "${d}" "${dest}/root"; done
}

build_runc() {
  local t0; t0=$(date +%s)
  log "building runc ${RUNC_VERSION} (CGO, seccomp, static)"
  rm -rf "${work}/seccomp"
  debs "${work}/seccomp" libseccomp-dev libseccomp2
  local pc; pc="$(dirname "$(find "${work}/seccomp/root" -name libseccomp.pc | head -1)")"
  local libdir; libdir="$(dirname "$(find "${work}/seccomp/root" -name libseccomp.a | head -1)")"
  sed -i "s|^prefix=.*|prefix=${work}/seccomp/root/usr|" "${pc}/libseccomp.pc"
  # Link libseccomp statically: the .so is hidden so the linker takes the .a.
  rm -f "${libdir}"/libseccomp.so*
  PKG_CONFIG_PATH="${pc}" CGO_ENABLED=1 GOBIN="${work}/gobin" \
    CGO_CFLAGS="-I${work}/seccomp/root/usr/include" CGO_LDFLAGS="-L${libdir}" \
    "${GO}" install -trimpath -tags "seccomp urfave_cli_no_docs" \
    -ldflags "-s -w -X main.version=${RUNC_VERSION#v} -extldflags -static" \
    "github.com/opencontainers/runc@${RUNC_VERSION}"
  mv "${work}/gobin/runc" "${NODE_BIN}/runc"
  log "runc built in $(( $(date +%s) - t0 ))s"
}

build_containerd() {
  local t0; t0=$(date +%s)
  log "building containerd ${CONTAINERD_VERSION} (containerd, ctr, containerd-shim-runc-v2)"
  local m="github.com/containerd/containerd/v2"
  CGO_ENABLED=1 GOBIN="${work}/gobin" "${GO}" install -trimpath \
    -tags "no_btrfs no_devmapper no_zfs urfave_cli_no_docs" \
    -ldflags "-s -w -X ${m}/version.Version=${CONTAINERD_VERSION}" \
    "${m}/cmd/containerd@${CONTAINERD_VERSION}" "${m}/cmd/ctr@${CONTAINERD_VERSION}" \
    "${m}/cmd/containerd-shim-runc-v2@${CONTAINERD_VERSION}"
  mv "${work}/gobin/containerd" "${work}/gobin/ctr" "${work}/gobin/containerd-shim-runc-v2" "${NODE_BIN}/"
  log "containerd built in $(( $(date +%s) - t0 ))s"
}

build_cni() {
  local t0; t0=$(date +%s)
  log "building CNI plugins ${CNI_VERSION} (bridge, host-local, loopback, portmap)"
  local m="github.com/containernetworking/plugins"
  CGO_ENABLED=0 GOBIN="${NODE_CNI_BIN}" "${GO}" install -trimpath -ldflags "-s -w" \
    "${m}/plugins/main/bridge@${CNI_VERSION}" "${m}/plugins/ipam/host-local@${CNI_VERSION}" \
    "${m}/plugins/main/loopback@${CNI_VERSION}" "${m}/plugins/meta/portmap@${CNI_VERSION}"
  log "CNI plugins built in $(( $(date +%s) - t0 ))s"
}

build_node_kubernetes() {
  local t0 dir; t0=$(date +%s)
  # kubelet and kube-proxy come from the control plane's wrapper module (and share its Go cache).
  "${here}/../build.sh"
  log "building kubelet and kube-proxy ${K8S_VERSION} in the control plane's wrapper module"
  # The control plane's wrapper module is copied, so the cached control plane stays as it was.
  dir="${work}/kubernetes"
  rm -rf "${dir}" && mkdir -p "${dir}"
  cp "${TESTENV_DIR}/src/kubernetes/go.mod" "${dir}/go.mod"
  cp "${TESTENV_DIR}/src/kubernetes/go.sum" "${dir}/go.sum" 2>/dev/null || true
  local major minor ldflags
  major="${K8S_VERSION#v}"; major="${major%%.*}"
  minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
  ldflags="-s -w -X k8s.io/component-base/version.gitVersion=${K8S_VERSION}"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=${major}"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=${minor}"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  (
    cd "${dir}"
    CGO_ENABLED=0 "${GO}" get "k8s.io/kubernetes/cmd/kubelet@${K8S_VERSION}" \
      "k8s.io/kubernetes/cmd/kube-proxy@${K8S_VERSION}"
    local cmd
    for cmd in kubelet kube-proxy; do
      local c0; c0=$(date +%s)
      CGO_ENABLED=0 "${GO}" build -trimpath -ldflags "${ldflags}" -o "${NODE_BIN}/${cmd}.tmp" \
        "k8s.io/kubernetes/cmd/${cmd}"
      mv "${NODE_BIN}/${cmd}.tmp" "${NODE_BIN}/${cmd}"
      log "  ${cmd} built in $(( $(date +%s) - c0 ))s"
    done
  )
  log "kubelet and kube-proxy built in $(( $(date +%s) - t0 ))s"
}

build_argoexec() {
  # Argo's executor, from the same module (and wrapper go.mod) as the test controller.
  "${here}/../argo/build.sh"
  local t0 dir; t0=$(date +%s)
  log "building argoexec ${ARGO_VERSION} from the controller's wrapper module"
  dir="${work}/argo"
  rm -rf "${dir}" && mkdir -p "${dir}"
  cp "${ARGO_DIR}/src/go.mod" "${dir}/go.mod"
  cp "${ARGO_DIR}/src/go.sum" "${dir}/go.sum" 2>/dev/null || true
  # Argo's repository has workflow/executor/osspecific/signal_linux.go as a symlink to
  # signal_darwin.go; module zips drop symlinks, so the published module does not build for
  # Linux. A local copy of the module with that one file restored replaces it.
  local moddir
  moddir="$("${GO}" mod download -json "${ARGO_MODULE}@${ARGO_VERSION}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])')"
  cp -r "${moddir}" "${dir}/argo-module"
  chmod -R u+w "${dir}/argo-module"
  cp "${dir}/argo-module/workflow/executor/osspecific/signal_darwin.go" \
    "${dir}/argo-module/workflow/executor/osspecific/signal_linux.go"
  echo "replace ${ARGO_MODULE} => ./argo-module" >>"${dir}/go.mod"
  (
    cd "${dir}"
    CGO_ENABLED=0 "${GO}" get "${ARGO_MODULE}/cmd/argoexec@${ARGO_VERSION}"
    CGO_ENABLED=0 "${GO}" build -trimpath \
      -ldflags "-s -w -X ${ARGO_MODULE}.version=${ARGO_VERSION}" \
      -o "${NODE_BIN}/argoexec.tmp" "${ARGO_MODULE}/cmd/argoexec"
  )
  mv "${NODE_BIN}/argoexec.tmp" "${NODE_BIN}/argoexec"
  log "argoexec built in $(( $(date +%s) - t0 ))s"
}

build_pause() {
  log "building pause (static C)"
  gcc -Os -static -o "${NODE_BIN}/pause" "${here}/pause.c"
  strip "${NODE_BIN}/pause"
}

build_images() {
  local t0; t0=$(date +%s)
  log "building images: ${PAUSE_IMAGE_REF}, ${PYTHON_IMAGE_REF} (from Debian's python3.11)"
  local p="${work}/pause-root"
  rm -rf "${p}" && mkdir -p "${p}"
  cp "${NODE_BIN}/pause" "${p}/pause"
  python3 "${here}/oci_image.py" --root "${p}" --ref "${PAUSE_IMAGE_REF}" \
    --entrypoint /pause --out "${NODE_IMAGES}/pause.tar"
  local r="${work}/python"
  rm -rf "${r}"
  # python3.11 with venv and pip (ensurepip's wheels), CA certificates for HTTPS indexes.
  debs "${r}" $(cat "${here}/python-image.packages")
  python3 "${here}/oci_image.py" --root "${r}/root" --ref "${PYTHON_IMAGE_REF}" \
    --debian-python --entrypoint python3 --out "${NODE_IMAGES}/python.tar"
  # The AWS CLI for pipelines' S3 tasks on the cluster (their `image`): Debian's Python with
  # awscli from PyPI (the AWS CLI v2 is not published there; the commands the tasks run, `aws s3
  # cp`, are the same).
  local a="${work}/aws-cli"
  rm -rf "${a}" && cp -a "${r}/root" "${a}"
  python3 -m pip install --quiet --disable-pip-version-check --no-compile \
    --only-binary=:all: --python-version 3.11 --platform manylinux2014_x86_64 \
    --implementation cp --target "${a}/usr/local/lib/python3.11/dist-packages" \
    "awscli==${AWSCLI_VERSION}"
  mkdir -p "${a}/usr/local/bin"
  printf '#!/usr/bin/python3\nimport sys\nfrom awscli.clidriver import main\nsys.exit(main())\n' \
    >"${a}/usr/local/bin/aws"
  chmod 755 "${a}/usr/local/bin/aws"
  python3 "${here}/oci_image.py" --root "${a}" --ref "${AWSCLI_IMAGE_REF}" \
    --entrypoint aws --out "${NODE_IMAGES}/aws-cli.tar"
  local x="${work}/argoexec-root"
  rm -rf "${x}" && mkdir -p "${x}/bin" "${x}/tmp" "${x}/etc"
  cp "${NODE_BIN}/argoexec" "${x}/bin/argoexec"
  chmod 1777 "${x}/tmp"
  printf 'root:x:0:0:root:/root:/bin/argoexec\n' >"${x}/etc/passwd"
  python3 "${here}/oci_image.py" --root "${x}" --ref "${ARGOEXEC_IMAGE_REF}" \
    --entrypoint argoexec --out "${NODE_IMAGES}/argoexec.tar"
  cp "${here}/python-image.packages" "${NODE_IMAGES}/python-image.packages"
  log "images built in $(( $(date +%s) - t0 ))s"
}

[[ -x "${NODE_BIN}/runc" ]] || build_runc
[[ -x "${NODE_BIN}/containerd" && -x "${NODE_BIN}/containerd-shim-runc-v2" && -x "${NODE_BIN}/ctr" ]] || build_containerd
[[ -x "${NODE_CNI_BIN}/bridge" && -x "${NODE_CNI_BIN}/host-local" ]] || build_cni
[[ -x "${NODE_BIN}/pause" ]] || build_pause
[[ -x "${NODE_BIN}/kubelet" && -x "${NODE_BIN}/kube-proxy" ]] || build_node_kubernetes
[[ -x "${NODE_BIN}/argoexec" ]] || build_argoexec
images_built || build_images
"${NODE_BIN}/runc" --version >&2
"${NODE_BIN}/containerd" --version >&2
"${NODE_BIN}/kubelet" --version >&2
rm -rf "${work}/gobin" "${work}/seccomp"
touch "${NODE_DIR}/.complete"
log "real node parts built in $(( $(date +%s) - start_all ))s into ${NODE_DIR}"
