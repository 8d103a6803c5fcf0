#!/usr/bin/env bash
# Starts (or reuses) the test S3 server: SeaweedFS `weed server` (master + volume + filer + S3
# gateway) on 127.0.0.1 only, with static keys from an S3 identities file. Builds `weed` first
# when it is not cached. Prints the endpoint URL on stdout and writes
#   ~/.cache/mlscale/testenv/s3.env
# (MLSCALE_TEST_S3_ENDPOINT, MLSCALE_TEST_S3_ACCESS_KEY, MLSCALE_TEST_S3_SECRET_KEY,
# MLSCALE_TEST_S3_REGION). Idempotent: a server that answers is reused. See testenv/s3/README.md.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=testenv/s3/env.sh
source "${here}/env.sh"

t0=$(date +%s%N)
ms() { echo $(( ($(date +%s%N) - t0) / 1000000 )); }

"${here}/build.sh"

mkdir -p "${S3_STATE}"
exec 8>"${S3_STATE}/.up.lock"
flock 8

pidfile="${S3_STATE}/weed.pid"
logfile="${S3_STATE}/weed.log"
config="${S3_STATE}/s3-config.json"

# A signed S3 ListBuckets (AWS SigV4 via curl) that succeeds: the gateway, the filer and the
# keys all work.
s3_answers() {
  curl -sf -o /dev/null --max-time 3 --aws-sigv4 "aws:amz:${S3_REGION}:s3" \
    --user "${S3_ACCESS_KEY}:${S3_SECRET_KEY}" "${S3_ENDPOINT}/"
}
# The master sees at least one volume server (so object writes can be assigned).
volume_ready() {
  curl -sf --max-time 3 "http://${S3_HOST}:${S3_MASTER_PORT}/dir/status" |
    python3 -c 'import json, sys
t = json.load(sys.stdin).get("Topology", {})
n = sum(len(r.get("DataNodes") or []) for dc in t.get("DataCenters") or [] for r in dc.get("Racks") or [])
sys.exit(0 if n > 0 else 1)' 2>/dev/null
}
running() {
  [[ -s "${pidfile}" ]] && kill -0 "$(cat "${pidfile}")" 2>/dev/null
}
write_env() {
  local tmp="${S3_ENV_FILE}.tmp.$$"
  cat > "${tmp}" <<EOT
MLSCALE_TEST_S3_ENDPOINT=${S3_ENDPOINT}
MLSCALE_TEST_S3_ACCESS_KEY=${S3_ACCESS_KEY}
MLSCALE_TEST_S3_SECRET_KEY=${S3_SECRET_KEY}
MLSCALE_TEST_S3_REGION=${S3_REGION}
EOT
  mv "${tmp}" "${S3_ENV_FILE}"
}

if running && s3_answers && volume_ready; then
  write_env
  log "reusing S3 server pid $(cat "${pidfile}") at ${S3_ENDPOINT} ($(ms) ms)"
  echo "${S3_ENDPOINT}"
  exit 0
fi
if running; then
  log "S3 server pid $(cat "${pidfile}") does not answer: stopping it"
  "${here}/down.sh" --keep-data
fi

# Refuse to start when another process holds one of our ports (e.g. someone else's weed).
for port in "${S3_PORT}" "${S3_MASTER_PORT}" "${S3_VOLUME_PORT}" "${S3_FILER_PORT}" \
  $((S3_PORT + 10000)) $((S3_MASTER_PORT + 10000)) $((S3_VOLUME_PORT + 10000)) $((S3_FILER_PORT + 10000)); do
  if (exec 3<>"/dev/tcp/${S3_HOST}/${port}") 2>/dev/null; then
    log "ERROR: ${S3_HOST}:${port} is already in use; set MLSCALE_S3_PORT / MLSCALE_S3_*_PORT"
    exit 1
  fi
done

mkdir -p "${S3_STATE}/data" "${S3_STATE}/meta" "${S3_STATE}/logs"
umask 077
cat > "${config}" <<EOT
{
  "identities": [
    {
      "name": "mlscale-test",
      "credentials": [ { "accessKey": "${S3_ACCESS_KEY}", "secretKey": "${S3_SECRET_KEY}" } ],
      "actions": [ "Admin", "Read", "List", "Tagging", "Write" ]
    }
  ]
}
EOT
umask 022

log "starting weed server (S3 on ${S3_ENDPOINT}, data in ${S3_STATE})"
# - the parts talk to each other on 127.0.0.1 (-ip; gRPC ports are the HTTP ports + 10000);
#   they listen on every IPv4 address (-ip.bind 0.0.0.0) so that pods on the real node
#   (testenv/realnode) reach S3 at the pod bridge's address 10.244.0.1, as they would reach an
#   on-prem MinIO; the sandbox accepts no connection from outside this machine;
# - no telemetry (it would call out to seaweedfs.com), no Iceberg/Lance catalog ports;
# - one volume per new collection (each bucket is a collection; the default grows 7 per
#   bucket and runs out of volume slots after a few buckets), small sparse volumes;
# - a single master re-elects itself after a restart on old data in ~1 s instead of ~15 s
#   (-master.electionTimeout; the default is 10 s);
# - unix sockets and glog files in the state dir instead of /tmp (weed still creates its gRPC
#   unix sockets as /tmp/seaweedfs-*-grpc-<port>.sock);
# - fd 8 (our lock) closed for the server, or it would hold the lock for its whole life.
# cd into the state dir: weed looks for master.toml etc. in the working directory.
(
  cd "${S3_STATE}"
  WEED_MASTER_VOLUME_GROWTH_COPY_1=1 \
  nohup setsid "${S3_WEED}" -logdir="${S3_STATE}/logs" server \
    -ip="${S3_HOST}" -ip.bind=0.0.0.0 \
    -dir="${S3_STATE}/data" -master.dir="${S3_STATE}/meta" \
    -master.port="${S3_MASTER_PORT}" -volume.port="${S3_VOLUME_PORT}" \
    -filer -filer.port="${S3_FILER_PORT}" -filer.localSocket="${S3_STATE}/filer.sock" \
    -s3 -s3.port="${S3_PORT}" -s3.config="${config}" -s3.localSocket="${S3_STATE}/s3.sock" \
    -s3.port.iceberg=0 -s3.port.lance=0 -s3.allowDeleteBucketNotEmpty=true \
    -master.telemetry=false -master.volumeSizeLimitMB=64 -volume.max=256 \
    -master.electionTimeout=1s \
    -volume.preStopSeconds=0 \
    > "${logfile}" 2>&1 < /dev/null 8>&- &
  echo $! > "${pidfile}"
)

deadline=$(( $(date +%s) + ${MLSCALE_S3_START_TIMEOUT:-60} ))
until s3_answers && volume_ready; do
  if ! running; then
    log "ERROR: weed exited; last lines of ${logfile}:"
    tail -n 30 "${logfile}" >&2
    exit 1
  fi
  if (( $(date +%s) > deadline )); then
    log "ERROR: S3 server did not answer within ${MLSCALE_S3_START_TIMEOUT:-60}s; see ${logfile}"
    tail -n 30 "${logfile}" >&2
    exit 1
  fi
  sleep 0.2
done
write_env
log "S3 server pid $(cat "${pidfile}") ready at ${S3_ENDPOINT} in $(ms) ms; env in ${S3_ENV_FILE}"
echo "${S3_ENDPOINT}"
