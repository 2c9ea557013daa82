#!/usr/bin/env bash
# Run by k8s-termination-watch.service on control-plane nodes: waits until the auto scaling group
# terminates this instance, then leaves the cluster before it goes, within the termination lifecycle
# hook's timeout (LIFECYCLE_TERMINATE_TIMEOUT, restarted by a heartbeat before each step):
#   1. its own etcd member first (k8s-etcd-members remove-self, at most REMOVE_TIMEOUT seconds): a
#      member that outlives its instance costs the cluster a vote, and with controlPlane.count 1 during
#      a refresh ({old, new}: both needed) its quorum for good;
#   2. cordon and drain (at most DRAIN_TIMEOUT seconds) with admin.conf, through the load balancer,
#      which deregistered this instance before the hook: the other API servers. This node's kubelet
#      uses its own API server (kubeadm's ControlPlaneKubeletLocalMode, on by default since 1.33), whose
#      etcd member went in step 1, so it cannot confirm its pods' deletion: the drain stops waiting
#      for a pod 10 s after its grace period (--skip-wait-for-delete-timeout);
#   3. the hook completed with CONTINUE.
# Without any heartbeat the steps still end within the hook's timeout: 5 s poll, about 60 s for
# metadata and the group, REMOVE_TIMEOUT + 10, 30 s cordon, DRAIN_TIMEOUT + 30, about 60 s to complete.
# The group says it terminates the instance through the instance metadata item
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
REMOVE_TIMEOUT=150
DRAIN_TIMEOUT=180

terminating() {
  imds_get autoscaling/target-lifecycle-state TARGET_STATE && [[ $TARGET_STATE == Terminated ]]
}

# keep_alive: restarts the termination hook's timeout (best effort: the steps fit in it anyway).
keep_alive() {
  if [[ -n ${ASG_GROUP:-} ]]; then heartbeat "$LIFECYCLE_TERMINATE_HOOK" || log "no heartbeat recorded"; fi
}

step "wait for the auto scaling group to terminate this instance"
until terminating; do sleep "$POLL"; done
retry 10 3 "instance metadata (IMDSv2)" node_facts
log "${INSTANCE_ID} (${NODE_NAME}) is being terminated by its auto scaling group"
step "find the auto scaling group of ${INSTANCE_ID}"
# Not fatal: the etcd member goes first, whatever the auto scaling API answers.
for attempt in 1 2 3 4 5; do
  if asg_instance; then break; fi
  log "cannot read the auto scaling group of ${INSTANCE_ID} (attempt ${attempt}/5)"
  sleep 6
done

if [[ -f $ADMIN_CONF ]]; then
  keep_alive
  step "remove this node's etcd member"
  if ! timeout --kill-after=10 "$REMOVE_TIMEOUT" "${SBIN}/k8s-etcd-members" remove-self; then
    log "this node's etcd member was not removed within ${REMOVE_TIMEOUT}s;" \
      "the other members' k8s-etcd-members-prune.timer removes it once this instance is gone"
  fi
  keep_alive
  step "cordon and drain ${NODE_NAME}"
  kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=30s cordon "$NODE_NAME" || log "cordon failed; draining anyway"
  # --force: pods without a controller go with the instance anyway. PodDisruptionBudgets are respected.
  if ! timeout --kill-after=10 $((DRAIN_TIMEOUT + 20)) kubectl --kubeconfig "$ADMIN_CONF" --request-timeout=30s drain \
    "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --force --timeout="${DRAIN_TIMEOUT}s" \
    --skip-wait-for-delete-timeout=10; then
    log "the drain did not finish within ${DRAIN_TIMEOUT}s; leaving the cluster anyway"
  fi
else
  log "no ${ADMIN_CONF#"$ROOT"}: this node never joined the cluster, nothing to remove or drain"
fi

step "complete the termination lifecycle hook"
[[ -n ${ASG_GROUP:-} ]] || die "${INSTANCE_ID} is in no auto scaling group: no termination hook to complete"
retry 5 10 "complete-lifecycle-action ${LIFECYCLE_TERMINATE_HOOK} CONTINUE" \
  complete_hook "$LIFECYCLE_TERMINATE_HOOK" CONTINUE
log "done: ${NODE_NAME} left the cluster; ${ASG_GROUP} may terminate ${INSTANCE_ID}"
