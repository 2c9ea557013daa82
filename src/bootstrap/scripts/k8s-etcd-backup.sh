#!/usr/bin/env bash
# Snapshots this node's etcd member and uploads it to
#   s3://${ETCD_BACKUP_BUCKET}/${ETCD_BACKUP_PREFIX}/<node name>/<UTC time>.db   (SSE-KMS)
# Run by k8s-etcd-backup.timer on every control-plane node: each node backs up its own member, and
# one good snapshot per period is enough to restore (docs/etcd-restore.md in the repository).
# Ubuntu has no etcdctl, so it runs inside the etcd static pod's container, which mounts the etcd
# certificates and /var/lib/etcd from the host: the snapshot written there is visible here. The
# local copy is removed however the script ends.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/control-plane.sh"

# The data directory inside the etcd container (kubeadm's manifest): a hostPath, the same on the node.
CTR_DATA=/var/lib/etcd
SNAPSHOT_TIMEOUT=900
UPLOAD_ATTEMPTS=5
UPLOAD_DELAY=30

# verify_checksum FILE: etcd ends a streamed snapshot with the SHA-256 of the database before it;
# the same check `etcdutl snapshot restore` makes. Sets SIZE.
verify_checksum() {
  local want have
  SIZE=$(stat -c %s "$1") || return 1
  ((SIZE > 32 && SIZE % 512 == 32)) || return 1
  want=$(tail -c 32 "$1" | od -An -v -tx1 | tr -d ' \n') || return 1
  have=$(head -c $((SIZE - 32)) "$1" | sha256sum) || return 1
  [[ ${have%% *} == "$want" ]]
}

# snapshot_status: the snapshot's own consistency check (bbolt pages, revision, key count). It
# needs etcdutl, or etcdctl up to 3.5: etcd 3.6 removed `etcdctl snapshot status` (it prints help
# and exits 0), and kubeadm's etcd image ships no etcdutl. With neither, the checksum is the check.
snapshot_status() {
  local tool="" version="" out
  if in_etcd 30 etcdutl version >/dev/null 2>&1; then
    tool=etcdutl
  else
    version=$(in_etcd 30 etcdctl version) || die "cannot run etcdctl in the etcd container"
    if [[ $version =~ etcdctl\ version:\ 3\.([0-9]+)\. ]] && ((BASH_REMATCH[1] <= 5)); then tool=etcdctl; fi
  fi
  if [[ -z $tool ]]; then
    log "the etcd image has no etcdutl and its etcdctl no 'snapshot status': the checksum is the only check"
    return 0
  fi
  out=$(in_etcd 300 "$tool" snapshot status "${CTR_DATA}/${NAME}" --write-out=json) ||
    die "${tool} snapshot status rejects ${NAME}"
  [[ $out =~ \"revision\":([0-9]+) ]] || die "${tool} snapshot status printed no revision for ${NAME}"
  REVISION=${BASH_REMATCH[1]}
  if ! [[ $out =~ \"totalKey\":([1-9][0-9]*) ]]; then die "${tool} snapshot status finds no keys in ${NAME}"; fi
  log "${tool} snapshot status: revision ${REVISION}, ${BASH_REMATCH[1]} keys"
}

[[ -n ${ETCD_BACKUP_BUCKET:-} && -n ${ETCD_BACKUP_PREFIX:-} ]] ||
  die "ETCD_BACKUP_BUCKET and ETCD_BACKUP_PREFIX are not set in ${ROOT}/etc/k8s-bootstrap/env"

step "remove snapshots an interrupted run left behind"
rm -f "${ROOT}${CTR_DATA}"/k8s-etcd-backup-*.db "${ROOT}${CTR_DATA}"/k8s-etcd-backup-*.db.part

step "read instance metadata"
retry 5 3 "instance metadata (IMDSv2)" imds_get local-hostname NODE_NAME

step "find the etcd container"
retry 3 10 "a running etcd container (static pod kube-system/etcd-${NODE_NAME})" find_etcd

step "check the local etcd member"
# A member cut off from the quorum would hand out a stale snapshot; this read needs the quorum.
retry 3 10 "the local etcd member to be healthy" etcdctl_local 60 endpoint health

STAMP=$(date -u +%Y%m%dT%H%M%SZ)
NAME="k8s-etcd-backup-${STAMP}.db"
SNAPSHOT="${ROOT}${CTR_DATA}/${NAME}"
URL="s3://${ETCD_BACKUP_BUCKET}/${ETCD_BACKUP_PREFIX}/${NODE_NAME}/${STAMP}.db"
CLEANUP+=("$SNAPSHOT" "${SNAPSHOT}.part")

step "take the snapshot"
etcdctl_local "$SNAPSHOT_TIMEOUT" snapshot save "${CTR_DATA}/${NAME}" >/dev/null ||
  die "etcdctl snapshot save failed in container ${CONTAINER} (its error is above)"
[[ -s $SNAPSHOT ]] || die "etcdctl reported success, but ${SNAPSHOT} is missing or empty"

step "verify the snapshot"
verify_checksum "$SNAPSHOT" || die "${NAME} does not end with the SHA-256 of its contents (truncated or corrupt)"
snapshot_status

step "upload the snapshot"
retry "$UPLOAD_ATTEMPTS" "$UPLOAD_DELAY" "upload to ${URL}" \
  aws s3 cp --sse aws:kms --only-show-errors "$SNAPSHOT" "$URL"
rm -f "$SNAPSHOT"
log "done: ${URL} (${SIZE} bytes)"
