#!/usr/bin/env bash
# Stops the test S3 server started by up.sh and deletes its data (buckets, objects), the
# config and the env file. `--keep-data` keeps the data directory. Idempotent.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/s3/env.sh
source "${here}/env.sh"

keep_data=false
[[ "${1:-}" == "--keep-data" ]] && keep_data=true

pidfile="${S3_STATE}/weed.pid"
if [[ -s "${pidfile}" ]]; then
  pid="$(cat "${pidfile}")"
  # Only signal it if it is our weed (the pid file may be stale after a reboot).
  if kill -0 "${pid}" 2>/dev/null && grep -q weed "/proc/${pid}/cmdline" 2>/dev/null; then
    log "stopping S3 server pid ${pid}"
    kill -TERM "${pid}" 2>/dev/null || true
    for _ in $(seq 1 100); do kill -0 "${pid}" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "${pid}" 2>/dev/null; then
      log "pid ${pid} still running after 10s: SIGKILL"
      kill -KILL "${pid}" 2>/dev/null || true
    fi
  fi
  rm -f "${pidfile}"
fi
rm -f "${S3_ENV_FILE}"
if [[ "${keep_data}" == false ]]; then
  rm -rf "${S3_STATE}"
  log "S3 server stopped, ${S3_STATE} removed"
else
  log "S3 server stopped (data kept in ${S3_STATE})"
fi
