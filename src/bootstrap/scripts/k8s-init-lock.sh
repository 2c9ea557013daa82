#!/usr/bin/env bash
# One round of the election of the control-plane node that runs kubeadm init, for a deployment with
# no cluster yet (k8s-bootstrap asks, round after round, until this node wins or the join parameters
# appear). The lock is an SSM parameter created without overwrite, so one create succeeds:
#   ${SSM_INIT_LOCK} = "<instance id> <API endpoint>"
# Exit 0: this node holds the lock. Exit 1: a live instance of this deployment holds it (wait), or a
# stale lock was deleted, or SSM or EC2 could not be read (try again). A lock is stale, and deleted,
# when it names another endpoint (a destroyed deployment's), or an instance that no longer exists
# while no cluster was created behind this endpoint.
# usage: k8s-init-lock INSTANCE_ID API_ENDPOINT
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/control-plane.sh"

MINE="${1:?usage: ${SCRIPT} INSTANCE_ID API_ENDPOINT} ${2:?usage: ${SCRIPT} INSTANCE_ID API_ENDPOINT}"
# A node that deletes a stale lock reads it just before; a node that created the lock reads it back
# this much later, so that a delete based on an older read cannot go unnoticed.
SETTLE=10

# delete_stale WHY ENDPOINT: deletes the lock, unless this deployment's cluster appeared meanwhile or
# the lock changed since it was read (read again just before: the delete follows that read closely).
delete_stale() {
  local status=0 joined="" again=""
  ssm_get "$SSM_JOIN_API_ENDPOINT" joined || status=$?
  if ((status == 2)) || [[ $status == 0 && $joined == "$2" ]]; then return 0; fi
  ssm_get "$SSM_INIT_LOCK" again || return 0
  if [[ $again != "$LOCK" ]]; then return 0; fi
  log "deleting the init lock ${SSM_INIT_LOCK} (${LOCK}): $1"
  ssm_delete "$SSM_INIT_LOCK" || true
}

status=0
ssm_create "$SSM_INIT_LOCK" "$MINE" || status=$?
if ((status == 2)); then exit 1; fi
if ((status == 0)); then
  log "created the init lock ${SSM_INIT_LOCK}; reading it back in ${SETTLE}s"
  sleep "$SETTLE"
fi
status=0
ssm_get "$SSM_INIT_LOCK" LOCK || status=$?
if ((status != 0)); then exit 1; fi
if [[ $LOCK == "$MINE" ]]; then
  log "this instance holds the init lock: it creates the cluster"
  exit 0
fi
read -r holder endpoint <<<"$LOCK"
if [[ ${endpoint:-} != "$2" || ! $holder =~ ^i-[0-9a-f]+$ ]]; then
  delete_stale "it is not this deployment's (${2})" "$2"
  exit 1
fi
alive=$(live_instances "Name=instance-id,Values=${holder}") || exit 1
if [[ -z ${alive//[[:space:]]/} ]]; then
  delete_stale "its holder ${holder} no longer exists and created no cluster" "$2"
  exit 1
fi
log "${holder} holds the init lock: waiting for its cluster's join parameters"
exit 1
