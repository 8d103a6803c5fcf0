#!/usr/bin/env bash
# Builds Kueue's controller manager (cmd/kueue) from the Go module proxy into
#   ~/.cache/mlscale/testenv/kueue-<version>_<go>_r<recipe>/bin/kueue
# and does nothing when it is already there. Safe to run repeatedly and concurrently.
# See testenv/kueue/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/kueue/env.sh
source "${here}/env.sh"

built() { [[ -x "${KUEUE_CONTROLLER}" && -f "${KUEUE_DIR}/.complete" ]]; }

if built; then
  log "kueue cached in ${KUEUE_BIN}"
  exit 0
fi
mkdir -p "${KUEUE_DIR}" "${KUEUE_BIN}"
exec 9>"${KUEUE_DIR}/.build.lock"
flock 9
if built; then
  log "kueue cached in ${KUEUE_BIN} (built by another process)"
  exit 0
fi

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
GO="${TESTENV_GO}"
t0=$(date +%s)
log "building kueue ${KUEUE_VERSION} (cmd/kueue)"
json="$("${GO}" mod download -json "${KUEUE_MODULE}@${KUEUE_VERSION}")"
info="$(python3 -c 'import json, sys; print(json.load(sys.stdin)["Info"])' <<<"${json}")"
read -r commit build_date < <(python3 -c '
import json, sys
i = json.load(open(sys.argv[1]))
print(i.get("Origin", {}).get("Hash", "unknown"), i["Time"])' "${info}")
# Kueue's go.mod has no replace directives, so `go install module/cmd@version` builds it as
# released (its k8s.io libraries at the versions it pins).
ldflags="-s -w"
ldflags+=" -X ${KUEUE_MODULE}/pkg/version.GitVersion=${KUEUE_VERSION}"
ldflags+=" -X ${KUEUE_MODULE}/pkg/version.GitCommit=${commit}"
ldflags+=" -X ${KUEUE_MODULE}/pkg/version.BuildDate=${build_date}"
tmp="${KUEUE_DIR}/gobin.tmp"
rm -rf "${tmp}" && mkdir -p "${tmp}"
GOBIN="${tmp}" "${GO}" install -trimpath -ldflags "${ldflags}" "${KUEUE_MODULE}/cmd/kueue@${KUEUE_VERSION}"
mv "${tmp}/kueue" "${KUEUE_CONTROLLER}"
rm -rf "${tmp}"
touch "${KUEUE_DIR}/.complete"
log "kueue built in $(( $(date +%s) - t0 ))s into ${KUEUE_BIN} ($(du -sh "${KUEUE_CONTROLLER}" | cut -f1))"
