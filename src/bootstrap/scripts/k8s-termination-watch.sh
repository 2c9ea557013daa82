#!/usr/bin/env bash
# Run by k8s-termination-watch.service on control-plane nodes: waits until the auto scaling group
# terminates this instance, then leaves the cluster cleanly before it goes: cordons and drains the
# node (bounded), removes its etcd member (k8s-etcd-members remove-self), and completes the
# termination lifecycle hook with CONTINUE. The group says so through the instance metadata item
# autoscaling/target-lifecycle-state, which becomes "Terminated" while the hook holds the instance in
# Terminating:Wait. Amazon EC2 Auto Scaling user guide, "Retrieve the target lifecycle state through
# instance metadata":
# https://docs.aws.amazon.com/autoscaling/ec2/userguide/retrieving-target-lifecycle-state-through-imds.html
# Workers have no watcher: the termination handler drains them and completes their hook.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

SBIN="${ROOT}/usr/local/sbin"
ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"
POLL=5
DRAIN_TIMEOUT=300

terminating() {
  imds_get autoscaling/target-lifecycle-state TARGET_STATE && [[ $TARGET_STATE == Terminated ]]
}

step "wait for the auto scaling group to terminate this instance"
until terminating; do sleep "$POLL"; done
retry 10 3 "instance metadata (IMDSv2)" node_facts
log "${INSTANCE_ID} (${NODE_NAME}) is being terminated by its auto scaling group"

if [[ -f $ADMIN_CONF ]]; then
  step "cordon and drain ${NODE_NAME}"
  kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=30s cordon "$NODE_NAME" || log "cordon failed; draining anyway"
  # --force: pods without a controller go with the instance anyway. PodDisruptionBudgets are respected.
  if ! kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=30s drain "$NODE_NAME" --ignore-daemonsets \
    --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT}s"; then
    log "the drain did not finish within ${DRAIN_TIMEOUT}s; leaving the cluster anyway"
  fi
  step "remove this node's etcd member"
  if ! "${SBIN}/k8s-etcd-members" remove-self; then
    log "this node's etcd member was not removed; the next control-plane node that joins removes it"
  fi
else
  log "no ${ADMIN_CONF#"$ROOT"}: this node never joined the cluster, nothing to drain or remove"
fi

step "complete the termination lifecycle hook"
retry 10 6 "the auto scaling group of ${INSTANCE_ID}" asg_instance
[[ -n $ASG_GROUP ]] || die "${INSTANCE_ID} is in no auto scaling group any more: no termination hook to complete"
retry 5 10 "complete-lifecycle-action ${LIFECYCLE_TERMINATE_HOOK} CONTINUE" \
  complete_hook "$LIFECYCLE_TERMINATE_HOOK" CONTINUE
log "done: ${NODE_NAME} left the cluster; ${ASG_GROUP} may terminate ${INSTANCE_ID}"
