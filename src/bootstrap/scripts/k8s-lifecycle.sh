#!/usr/bin/env bash
# Runs once after k8s-bootstrap (cloud-init's runcmd), whatever its outcome. Success: once this Node
# is Ready (control plane: and its etcd member healthy), completes the launch lifecycle hook with
# CONTINUE. Failure, or never Ready: boot log to the serial console, the boot-failure metric, the
# instance marked Unhealthy (held by the launch hook: ABANDON too) so its group replaces it; kept for
# inspection instead when the group replaced REPLACEMENT_BOUND such instances in the last hour.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
if [[ $NODE_ROLE == control-plane && -f ${ROOT}/usr/local/lib/k8s-bootstrap/control-plane.sh ]]; then
  # shellcheck source=/dev/null
  . "${ROOT}/usr/local/lib/k8s-bootstrap/control-plane.sh"
fi

DONE="${ROOT}/var/lib/k8s-bootstrap/done"
LAUNCHED="${ROOT}/var/lib/k8s-bootstrap/launch-hook-completed"
BOOT_LOG="${ROOT}/var/log/cloud-init-output.log"
READY_ATTEMPTS=90
REPLACEMENT_BOUND=3
# A replacement for a failed boot in describe-scaling-activities (EC2 Auto Scaling user guide): the
# Cause of set-instance-health's (replace-unhealthy-instance.html), the StatusMessage of a launch
# completed with ABANDON (CHAP_Troubleshooting.html).
UNHEALTHY_CAUSE="in response to a user health-check"
ABANDONED_LAUNCH="Lifecycle Action Completed with ABANDON Result"

# serving: this Node's Ready condition is True (the kubelet may read its own Node) and, on a
# control-plane node, the local etcd member is healthy.
serving() {
  local ready
  ready=$(kubectl --kubeconfig "${ROOT}/etc/kubernetes/kubelet.conf" get node "$NODE_NAME" \
    -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status}') || return 1
  [[ $ready == True ]] || return 1
  [[ $NODE_ROLE == worker ]] || { find_etcd && etcdctl_local 60 endpoint health >/dev/null; }
}

# count_replacements: REPLACEMENTS = instances ASG_GROUP replaced for failed boots in the last hour.
count_replacements() {
  local out since start cause message at
  out=$(aws autoscaling describe-scaling-activities --auto-scaling-group-name "$ASG_GROUP" --max-items 50 \
    --output text --query 'Activities[].[StartTime,Cause,StatusMessage]') || return 1
  since=$(($(date +%s) - 3600))
  REPLACEMENTS=0
  while IFS=$'\t' read -r start cause message; do
    at=$(date -d "$start" +%s 2>/dev/null) || continue
    if ((at >= since)) && [[ $cause == *"$UNHEALTHY_CAUSE"* || $message == *"$ABANDONED_LAUNCH"* ]]; then
      REPLACEMENTS=$((REPLACEMENTS + 1))
    fi
  done <<<"$out"
}

# boot_failed WHY: report the failed boot and, within the bound, have the group replace the instance.
boot_failed() {
  step "put the boot log on the serial console"
  { echo "${SCRIPT}: boot failed ($1); the end of ${BOOT_LOG#"$ROOT"}:" && tail -n 200 "$BOOT_LOG"; } \
    >>"${ROOT}/dev/console" || log "cannot put the boot log on the console"
  retry 10 3 "instance metadata (IMDSv2)" node_facts
  retry 10 6 "the auto scaling group of ${INSTANCE_ID}" asg_instance
  if [[ -z $ASG_GROUP ]]; then
    log "boot failed ($1); ${INSTANCE_ID} is in no auto scaling group: nothing to report or replace"
    return
  fi
  step "publish the boot-failure metric"
  retry 5 10 "put-metric-data ${BOOT_FAILURE_NAMESPACE} ${BOOT_FAILURE_METRIC}" aws cloudwatch put-metric-data \
    --namespace "$BOOT_FAILURE_NAMESPACE" --metric-name "$BOOT_FAILURE_METRIC" --unit Count --value 1 \
    --dimensions "Name=ClusterName,Value=${CLUSTER_NAME}" "Name=AutoScalingGroupName,Value=${ASG_GROUP}"
  step "count the instances ${ASG_GROUP} replaced for failed boots in the last hour"
  retry 5 10 "describe-scaling-activities of ${ASG_GROUP}" count_replacements
  if ((REPLACEMENTS >= REPLACEMENT_BOUND)); then
    log "boot failed ($1); ${ASG_GROUP} replaced ${REPLACEMENTS} instances for failed boots in the last hour:" \
      "${INSTANCE_ID} is kept for inspection (see docs/troubleshooting.md)"
    return
  fi
  step "mark ${INSTANCE_ID} Unhealthy"
  retry 5 10 "set-instance-health Unhealthy" aws autoscaling set-instance-health --instance-id "$INSTANCE_ID" \
    --health-status Unhealthy --no-should-respect-grace-period
  # The group checks the health of InService instances only: let go of one the launch hook holds.
  if [[ $ASG_STATE == Pending:Wait ]]; then
    retry 5 10 "complete-lifecycle-action ABANDON" complete_hook "$LIFECYCLE_LAUNCH_HOOK" ABANDON
  fi
  log "boot failed ($1); ${INSTANCE_ID} is marked Unhealthy: ${ASG_GROUP} replaces it"
}

[[ ${1:-} == after-boot ]] || die "usage: ${SCRIPT} after-boot"
if [[ -f $LAUNCHED ]]; then
  log "the launch lifecycle hook was completed already; nothing to do"
  exit 0
fi
if [[ ! -f $DONE ]]; then
  boot_failed "k8s-bootstrap did not finish"
  exit 1
fi
retry 10 3 "instance metadata (IMDSv2)" node_facts
step "wait until ${NODE_NAME} is Ready"
n=1
until serving; do
  if ((n == READY_ATTEMPTS)); then
    boot_failed "${NODE_NAME} not Ready after $((READY_ATTEMPTS * 10))s"
    exit 1
  fi
  log "waiting for ${NODE_NAME} to be Ready (attempt ${n}/${READY_ATTEMPTS}, next in 10s)"
  sleep 10
  n=$((n + 1))
done
step "complete the launch lifecycle hook"
retry 10 6 "the auto scaling group of ${INSTANCE_ID}" asg_instance
if [[ $ASG_STATE == Pending:Wait ]]; then
  retry 5 10 "complete-lifecycle-action CONTINUE" complete_hook "$LIFECYCLE_LAUNCH_HOOK" CONTINUE
  log "${LIFECYCLE_LAUNCH_HOOK} of ${ASG_GROUP} completed"
else
  log "${INSTANCE_ID} is ${ASG_STATE:-in no auto scaling group}: no launch lifecycle hook waits"
fi
touch "$LAUNCHED"
log "done: ${NODE_NAME} is Ready"
