#!/usr/bin/env bash
# Pinned SeaweedFS version, cache paths and defaults for the test S3 server; sourced by
# build.sh, up.sh and down.sh. Changing SEAWEEDFS_VERSION (or S3_RECIPE when the build recipe
# changes) selects a new version-keyed cache directory, so `weed` is rebuilt exactly then.
# shellcheck disable=SC2034  # variables are used by the scripts that source this file

s3_here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# Go, TESTENV_ROOT and log() come from the cluster's versions.sh (read-only for us).
# shellcheck source=testenv/versions.sh
source "${s3_here}/../versions.sh"

# github.com/seaweedfs/seaweedfs has no semver tags (its releases are tagged "4.53"), so the Go
# module proxy only serves pseudo-versions. This one is weed 4.53 (commit 7506e5f91cd6).
SEAWEEDFS_VERSION="${MLSCALE_SEAWEEDFS_VERSION:-v0.0.0-20261109003541-7506e5f91cd6}"
S3_RECIPE=1

S3_KEY="s3-seaweedfs-${SEAWEEDFS_VERSION}_${TESTENV_GO_VERSION}_r${S3_RECIPE}"
S3_DIR="${TESTENV_ROOT}/${S3_KEY}"
S3_BIN="${S3_DIR}/bin"
S3_WEED="${S3_BIN}/weed"

# Runtime state: one server per TESTENV_ROOT, on loopback only.
S3_STATE="${MLSCALE_S3_STATE:-${TESTENV_ROOT}/s3-data}"   # data, config, pid, log
S3_ENV_FILE="${MLSCALE_S3_ENV_FILE:-${TESTENV_ROOT}/s3.env}"
S3_HOST=127.0.0.1
# Fixed high ports (override with MLSCALE_S3_PORT); weed also opens master/volume/filer ports
# (and their gRPC ports = port + 10000), all bound to 127.0.0.1. Chosen away from the
# ephemeral range start and from kwokctl's ports.
S3_PORT="${MLSCALE_S3_PORT:-18333}"
S3_MASTER_PORT="${MLSCALE_S3_MASTER_PORT:-19333}"
S3_VOLUME_PORT="${MLSCALE_S3_VOLUME_PORT:-18080}"
S3_FILER_PORT="${MLSCALE_S3_FILER_PORT:-18888}"
S3_REGION=us-east-1
S3_ACCESS_KEY="${MLSCALE_S3_ACCESS_KEY:-mlscale-test-access}"
S3_SECRET_KEY="${MLSCALE_S3_SECRET_KEY:-mlscale-test-secret-0123456789}"
S3_ENDPOINT="http://${S3_HOST}:${S3_PORT}"
