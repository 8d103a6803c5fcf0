#!/usr/bin/env bash
# Builds Argo Workflows' workflow-controller from the Go module proxy into
#   ~/.cache/mlscale/testenv/argo-<version>_<go>_r<recipe>/bin/workflow-controller
# and does nothing when it is already there. Safe to run repeatedly and concurrently.
# See testenv/argo/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/argo/env.sh
source "${here}/env.sh"

built() { [[ -x "${ARGO_CONTROLLER}" && -f "${ARGO_DIR}/.complete" ]]; }

if built; then
  log "workflow-controller cached in ${ARGO_BIN}"
  exit 0
fi
mkdir -p "${ARGO_DIR}"
exec 9>"${ARGO_DIR}/.build.lock"
flock 9
if built; then
  log "workflow-controller cached in ${ARGO_BIN} (built by another process)"
  exit 0
fi

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
GO="${TESTENV_GO}"
t0=$(date +%s)
log "building workflow-controller (Argo Workflows ${ARGO_VERSION}) via wrapper module"

# Argo's go.mod has a `replace` directive (github.com/olekukonko/tablewriter => v0.0.5), so
# `go install ...@version` refuses it: build from a wrapper module that copies the release's
# go line and its module-to-module replaces.
json="$("${GO}" mod download -json "${ARGO_MODULE}@${ARGO_VERSION}")"
gomod="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])' <<<"${json}")"
info="${gomod%.mod}.info"
read -r commit build_date < <(python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))
print(i.get("Origin", {}).get("Hash", ""), i["Time"])' "${info}")
dir="${ARGO_DIR}/src"
rm -rf "${dir}" && mkdir -p "${dir}" "${ARGO_BIN}"
{
  echo "module mlscale.dev/testenv/argo"
  echo
  grep -E '^go [0-9]' "${gomod}"
  grep -E '^godebug ' "${gomod}" || true
  echo
  echo "require ${ARGO_MODULE} ${ARGO_VERSION}"
  echo
  "${GO}" mod edit -json "${gomod}" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    old, new = r["Old"], r["New"]
    if new["Path"].startswith(".") or new["Path"].startswith("/"):
        continue  # a local path means nothing outside the repository
    lhs = old["Path"] + (" " + old["Version"] if old.get("Version") else "")
    print("replace {} => {} {}".format(lhs, new["Path"], new.get("Version", "")).rstrip())
'
} > "${dir}/go.mod"
log "wrapper go.mod: $(grep -c '^replace ' "${dir}/go.mod" || true) replace directive(s)"
ldflags="-s -w"
ldflags+=" -X ${ARGO_MODULE}.version=${ARGO_VERSION}"
ldflags+=" -X ${ARGO_MODULE}.buildDate=${build_date}"
ldflags+=" -X ${ARGO_MODULE}.gitCommit=${commit}"
ldflags+=" -X ${ARGO_MODULE}.gitTag=${ARGO_VERSION}"
ldflags+=" -X ${ARGO_MODULE}.gitTreeState=clean"
# The controller's health endpoint is hard-wired to ":6060" (every interface) in
# cmd/workflow-controller/main.go, with no flag to change it. The test environment binds
# loopback only, so the wrapper module's main package is that file with exactly this one change:
# ":6060" -> "127.0.0.1:6060". (The Prometheus server, also ":<port>", is switched off in the
# ConfigMap by up.sh: metricsConfig.enabled=false.)
moddir="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])' <<<"${json}")"
main_src="${moddir}/cmd/workflow-controller/main.go"
if [[ "$(grep -c '":6060"' "${main_src}")" != 1 ]]; then
  log "ERROR: expected exactly one \":6060\" in ${main_src}; the loopback patch needs updating"
  exit 1
fi
sed 's/":6060"/"127.0.0.1:6060"/' "${main_src}" > "${dir}/main.go"
(
  cd "${dir}"
  "${GO}" get "${ARGO_MODULE}/cmd/workflow-controller@${ARGO_VERSION}"
  "${GO}" mod tidy
  "${GO}" build -trimpath -ldflags "${ldflags}" -o "${ARGO_CONTROLLER}.tmp" .
)
mv "${ARGO_CONTROLLER}.tmp" "${ARGO_CONTROLLER}"
"${ARGO_CONTROLLER}" version >&2 || true
touch "${ARGO_DIR}/.complete"
log "workflow-controller built in $(( $(date +%s) - t0 ))s into ${ARGO_BIN} ($(du -sh "${ARGO_CONTROLLER}" | cut -f1))"
