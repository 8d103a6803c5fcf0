#!/usr/bin/env bash
# Builds SeaweedFS's `weed` (the test S3 server) from the Go module proxy into
#   ~/.cache/mlscale/testenv/s3-seaweedfs-<version>_<go>_r<recipe>/bin/weed
# and does nothing when it is already there. Safe to run repeatedly and concurrently.
# See testenv/s3/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/s3/env.sh
source "${here}/env.sh"

built() { [[ -x "${S3_WEED}" && -f "${S3_DIR}/.complete" ]]; }

if built; then
  log "weed cached in ${S3_BIN}"
  exit 0
fi
mkdir -p "${S3_DIR}"
exec 9>"${S3_DIR}/.build.lock"
flock 9
if built; then
  log "weed cached in ${S3_BIN} (built by another process)"
  exit 0
fi

export CGO_ENABLED=0
export GOFLAGS="${GOFLAGS:--buildvcs=false}"
GO="${TESTENV_GO}"
t0=$(date +%s)
log "building weed (SeaweedFS ${SEAWEEDFS_VERSION}) via wrapper module"

# seaweedfs's go.mod has a `replace` directive (github.com/tyler-smith/go-bip39 =>
# github.com/cosmos/go-bip39), so `go install ...@version` refuses it: build it from a wrapper
# module that copies the release's go line and its module-to-module replaces.
gomod="$("${GO}" mod download -json "github.com/seaweedfs/seaweedfs@${SEAWEEDFS_VERSION}" |
  python3 -c 'import json, sys; print(json.load(sys.stdin)["GoMod"])')"
dir="${S3_DIR}/src"
rm -rf "${dir}" && mkdir -p "${dir}" "${S3_BIN}"
{
  echo "module mlscale.dev/testenv/seaweedfs"
  echo
  grep -E '^go [0-9]' "${gomod}"
  grep -E '^godebug ' "${gomod}" || true
  echo
  echo "require github.com/seaweedfs/seaweedfs ${SEAWEEDFS_VERSION}"
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
commit="${SEAWEEDFS_VERSION##*-}"
(
  cd "${dir}"
  "${GO}" get "github.com/seaweedfs/seaweedfs/weed@${SEAWEEDFS_VERSION}"
  "${GO}" build -trimpath \
    -ldflags "-s -w -X github.com/seaweedfs/seaweedfs/weed/util/version.COMMIT=${commit:0:8}" \
    -o "${S3_WEED}.tmp" github.com/seaweedfs/seaweedfs/weed
)
mv "${S3_WEED}.tmp" "${S3_WEED}"
"${S3_WEED}" version >&2
touch "${S3_DIR}/.complete"
log "weed built in $(( $(date +%s) - t0 ))s into ${S3_BIN} ($(du -sh "${S3_WEED}" | cut -f1))"
