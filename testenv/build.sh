#!/usr/bin/env bash
# Builds the test cluster's binaries from Go modules (no prebuilt downloads) into
#   ~/.cache/mlscale/testenv/<version-key>/bin
# and does nothing when they are already there. Safe to run repeatedly and concurrently
# (a lock serialises builders). See testenv/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/versions.sh
source "${here}/versions.sh"

all_built() {
  local b
  for b in "${TESTENV_BINARIES[@]}"; do
    [[ -x "${TESTENV_BIN}/${b}" ]] || return 1
  done
  [[ -f "${TESTENV_DIR}/.complete" ]]
}

if all_built; then
  log "testenv binaries cached in ${TESTENV_BIN}"
  exit 0
fi

mkdir -p "${TESTENV_DIR}"
exec 9>"${TESTENV_DIR}/.build.lock"
log "waiting for build lock ${TESTENV_DIR}/.build.lock"
flock 9
if all_built; then
  log "testenv binaries cached in ${TESTENV_BIN} (built by another process)"
  exit 0
fi

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
GO="${TESTENV_GO}"
src="${TESTENV_DIR}/src"
mkdir -p "${TESTENV_BIN}" "${src}"
start_all=$(date +%s)

# Emits `replace` lines that map every module a release's go.mod replaces with a local
# directory (./staging/src/k8s.io/api, ../api) onto its published version $2.
# $1: path of the release's .mod file. (python3 instead of jq: one tool fewer to install.)
derive_replaces() {
  "${GO}" mod edit -json "$1" | python3 -c '
import json, sys
version = sys.argv[1]
for r in json.load(sys.stdin).get("Replace") or []:
    new = r["New"]["Path"]
    if new.startswith(".") and "FORBIDDEN" not in new:
        print("replace {0} => {0} {1}".format(r["Old"]["Path"], version))
' "$2"
}

# Prints the path of the .mod file of module@version, downloading it if needed.
mod_file() {
  "${GO}" mod download -json "$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])'
}

# ---------------------------------------------------------------- kwok / kwokctl
build_kwok() {
  local t0; t0=$(date +%s)
  log "building kwok and kwokctl ${KWOK_VERSION}"
  GOBIN="${TESTENV_BIN}" "${GO}" install -trimpath -ldflags '-s -w' \
    "sigs.k8s.io/kwok/cmd/kwok@${KWOK_VERSION}" "sigs.k8s.io/kwok/cmd/kwokctl@${KWOK_VERSION}"
  log "kwok built in $(( $(date +%s) - t0 ))s"
}

# ---------------------------------------------------------------- etcd
build_etcd() {
  local t0 dir gomod; t0=$(date +%s)
  log "building etcd ${ETCD_VERSION} via wrapper module"
  dir="${src}/etcd"
  rm -rf "${dir}" && mkdir -p "${dir}"
  gomod="$(mod_file "go.etcd.io/etcd/server/v3@${ETCD_VERSION}")"
  {
    echo "module mlscale.dev/testenv/etcd"
    echo
    grep -E '^go [0-9]' "${gomod}"
    echo
    echo "require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
    echo
    derive_replaces "${gomod}" "${ETCD_VERSION}"
  } > "${dir}/go.mod"
  (
    cd "${dir}"
    "${GO}" get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}"
    "${GO}" build -trimpath -ldflags '-s -w' -o "${TESTENV_BIN}/etcd.tmp" go.etcd.io/etcd/server/v3
  )
  mv "${TESTENV_BIN}/etcd.tmp" "${TESTENV_BIN}/etcd"
  log "etcd built in $(( $(date +%s) - t0 ))s"
}

# ---------------------------------------------------------------- kubernetes
build_kubernetes() {
  local t0 dir gomod info minor major staging_version build_date ldflags cmd
  t0=$(date +%s)
  log "building kubernetes ${K8S_VERSION} (apiserver, controller-manager, scheduler, kubectl) via wrapper module"
  dir="${src}/kubernetes"
  rm -rf "${dir}" && mkdir -p "${dir}"
  gomod="$(mod_file "k8s.io/kubernetes@${K8S_VERSION}")"
  info="${gomod%.mod}.info"
  major="${K8S_VERSION#v}"; major="${major%%.*}"
  minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
  staging_version="v0.${K8S_VERSION#v*.}" # v1.36.3 -> v0.36.3
  build_date="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["Time"])' "${info}")"
  {
    echo "module mlscale.dev/testenv/kubernetes"
    echo
    grep -E '^go [0-9]' "${gomod}"
    grep -E '^godebug ' "${gomod}" || true
    echo
    echo "require k8s.io/kubernetes ${K8S_VERSION}"
    echo
    derive_replaces "${gomod}" "${staging_version}"
  } > "${dir}/go.mod"
  log "wrapper go.mod has $(grep -c '^replace ' "${dir}/go.mod") replace directives derived from ${gomod}"
  ldflags="-s -w"
  ldflags+=" -X k8s.io/component-base/version.gitVersion=${K8S_VERSION}"
  ldflags+=" -X k8s.io/component-base/version.gitMajor=${major}"
  ldflags+=" -X k8s.io/component-base/version.gitMinor=${minor}"
  ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/component-base/version.buildDate=${build_date}"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=${major}"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=${minor}"
  ldflags+=" -X k8s.io/client-go/pkg/version.gitTreeState=clean"
  ldflags+=" -X k8s.io/client-go/pkg/version.buildDate=${build_date}"
  (
    cd "${dir}"
    # Every path needs the explicit version: a bare package path means @upgrade.
    "${GO}" get "k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}" \
      "k8s.io/kubernetes/cmd/kube-controller-manager@${K8S_VERSION}" \
      "k8s.io/kubernetes/cmd/kube-scheduler@${K8S_VERSION}" "k8s.io/kubernetes/cmd/kubectl@${K8S_VERSION}"
    for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
      local c0; c0=$(date +%s)
      log "  go build ${cmd}"
      "${GO}" build -trimpath -ldflags "${ldflags}" -o "${TESTENV_BIN}/${cmd}.tmp" "k8s.io/kubernetes/cmd/${cmd}"
      mv "${TESTENV_BIN}/${cmd}.tmp" "${TESTENV_BIN}/${cmd}"
      log "  ${cmd} built in $(( $(date +%s) - c0 ))s"
    done
  )
  log "kubernetes built in $(( $(date +%s) - t0 ))s"
}

[[ -x "${TESTENV_BIN}/kwok" && -x "${TESTENV_BIN}/kwokctl" ]] || build_kwok
[[ -x "${TESTENV_BIN}/etcd" ]] || build_etcd
if [[ ! -x "${TESTENV_BIN}/kube-apiserver" || ! -x "${TESTENV_BIN}/kube-controller-manager" \
   || ! -x "${TESTENV_BIN}/kube-scheduler" || ! -x "${TESTENV_BIN}/kubectl" ]]; then
  build_kubernetes
fi

"${TESTENV_BIN}/kube-apiserver" --version >&2
"${TESTENV_BIN}/kubectl" version --client >&2
"${TESTENV_BIN}/etcd" --version >&2
"${TESTENV_BIN}/kwokctl" --version >&2
touch "${TESTENV_DIR}/.complete"
log "testenv binaries built in $(( $(date +%s) - start_all ))s into ${TESTENV_BIN}"
du -sh "${TESTENV_BIN}" >&2
