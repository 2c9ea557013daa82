#!/usr/bin/env bash
# The launch lifecycle hook holds a new instance in Pending:Wait; without a heartbeat for
# LIFECYCLE_LAUNCH_TIMEOUT seconds its group abandons it.
#   after-boot  (runcmd, after k8s-bootstrap): once this Node is Ready (control plane: and its etcd
#               member healthy), CONTINUE; after a failed boot, or never Ready, the report (below)
#   watch       (k8s-boot-watch.service, from the boot's start): a heartbeat every HEARTBEAT seconds
#               while the hook waits; the report when the hook is not completed BOOT_DEADLINE seconds
#               after boot; for an instance kept for inspection, heartbeats up to the hook's limit
# The report, once: the boot log on the console, the boot-failure metric, then ABANDON (the hook
# waits) or Unhealthy (InService), so that the group replaces the instance; kept instead when the
# group replaced REPLACEMENT_BOUND instances for failed boots in the last hour.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
if [[ $NODE_ROLE == control-plane && -f ${ROOT}/usr/local/lib/k8s-bootstrap/control-plane.sh ]]; then
  # shellcheck source=/dev/null
  . "${ROOT}/usr/local/lib/k8s-bootstrap/control-plane.sh"
fi

STATE="${ROOT}/var/lib/k8s-bootstrap"
DONE="${STATE}/done"
LAUNCHED="${STATE}/launch-hook-completed"
# What the report did: replaced, kept or alone (in no group).
REPORTED="${STATE}/boot-failed"
BOOT_LOG="${ROOT}/var/log/cloud-init-output.log"
READY_ATTEMPTS=90
REPLACEMENT_BOUND=3
HEARTBEAT=300
# The hook's GlobalTimeout: 100 heartbeat timeouts, at most 48 h (EC2 Auto Scaling API, LifecycleHook).
HOOK_LIMIT=$((LIFECYCLE_LAUNCH_TIMEOUT * 100 < 172800 ? LIFECYCLE_LAUNCH_TIMEOUT * 100 : 172800))
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

# boot_failed WHY: reports the failed boot and, within the bound, lets the instance go. Sets OUTCOME.
boot_failed() {
  step "put the boot log on the serial console"
  { echo "${SCRIPT}: boot failed ($1); the end of ${BOOT_LOG#"$ROOT"}:" && tail -n 200 "$BOOT_LOG"; } \
    >>"${ROOT}/dev/console" || log "cannot put the boot log on the console"
  retry 10 3 "instance metadata (IMDSv2)" node_facts
  retry 10 6 "the auto scaling group of ${INSTANCE_ID}" asg_instance
  OUTCOME=alone
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
    OUTCOME=kept
    log "boot failed ($1); ${ASG_GROUP} replaced ${REPLACEMENTS} instances for failed boots in the last hour:" \
      "${INSTANCE_ID} is kept for inspection (see docs/troubleshooting.md)"
    return
  fi
  OUTCOME=replaced
  case $ASG_STATE in
    Pending:Wait)
      # The group checks the health of InService instances only: ABANDON lets go of one the hook holds.
      step "let go of ${INSTANCE_ID}: ABANDON its launch lifecycle hook"
      retry 5 10 "complete-lifecycle-action ABANDON" complete_hook "$LIFECYCLE_LAUNCH_HOOK" ABANDON
      log "boot failed ($1); ${INSTANCE_ID} is abandoned: ${ASG_GROUP} terminates it and launches another"
      ;;
    InService)
      step "mark ${INSTANCE_ID} Unhealthy"
      retry 5 10 "set-instance-health Unhealthy" aws autoscaling set-instance-health --instance-id "$INSTANCE_ID" \
        --health-status Unhealthy --no-should-respect-grace-period
      log "boot failed ($1); ${INSTANCE_ID} is marked Unhealthy: ${ASG_GROUP} replaces it"
      ;;
    *) log "boot failed ($1); ${INSTANCE_ID} is ${ASG_STATE}: ${ASG_GROUP} is letting it go already" ;;
  esac
}

# report WHY: boot_failed once; after-boot and the watch take turns.
report() {
  mkdir -p "$STATE"
  exec 9>"${STATE}/lifecycle.lock"
  flock 9
  if [[ -f $REPORTED || -f $LAUNCHED ]]; then
    log "boot failed ($1); reported already, or in service meanwhile"
  else
    boot_failed "$1"
    echo "$OUTCOME" >"$REPORTED"
  fi
  flock -u 9
}

# let_go: the failed boot is reported and the instance not kept.
let_go() { [[ -f $REPORTED && $(<"$REPORTED") != kept ]]; }

after_boot() {
  local n=0
  if [[ ! -f $DONE ]]; then
    report "k8s-bootstrap did not finish"
    exit 1
  fi
  retry 10 3 "instance metadata (IMDSv2)" node_facts
  step "wait until ${NODE_NAME} is Ready"
  until serving; do
    n=$((n + 1))
    if ((n == READY_ATTEMPTS)); then
      report "${NODE_NAME} not Ready after $((n * 10))s"
      exit 1
    fi
    log "waiting for ${NODE_NAME} to be Ready (attempt ${n}/${READY_ATTEMPTS}, next in 10s)"
    sleep 10
  done
  step "complete the launch lifecycle hook"
  exec 9>"${STATE}/lifecycle.lock"
  flock 9
  ! let_go || die "the failed boot was reported meanwhile ($(<"$REPORTED"))"
  retry 10 6 "the auto scaling group of ${INSTANCE_ID}" asg_instance
  if [[ $ASG_STATE == Pending:Wait ]]; then
    retry 5 10 "complete-lifecycle-action CONTINUE" complete_hook "$LIFECYCLE_LAUNCH_HOOK" CONTINUE
    log "${LIFECYCLE_LAUNCH_HOOK} of ${ASG_GROUP} completed"
  else
    log "${INSTANCE_ID} is ${ASG_STATE:-in no auto scaling group}: no launch lifecycle hook waits"
  fi
  touch "$LAUNCHED"
  log "done: ${NODE_NAME} is Ready"
}

watch() {
  local last
  retry 10 3 "instance metadata (IMDSv2)" node_facts
  step "keep the launch lifecycle hook alive until ${INSTANCE_ID} is in service"
  until [[ -f $LAUNCHED ]] || let_go; do
    if [[ ! -f $REPORTED ]] && (($(uptime_seconds) >= BOOT_DEADLINE)); then
      last=$(grep -a "^k8s-bootstrap: step: " "$BOOT_LOG" 2>/dev/null | tail -n 1) || true
      report "not in service ${BOOT_DEADLINE}s after boot; last ${last:-k8s-bootstrap: no step logged}"
      continue
    fi
    (($(uptime_seconds) < HOOK_LIMIT)) || break
    if asg_instance && [[ $ASG_STATE == Pending:Wait ]]; then
      heartbeat "$LIFECYCLE_LAUNCH_HOOK" || log "no heartbeat recorded; next in ${HEARTBEAT}s"
    elif [[ -f $REPORTED ]]; then
      break
    fi
    sleep "$HEARTBEAT"
  done
  log "done: $(cat "$REPORTED" 2>/dev/null || echo "in service"); no launch lifecycle hook to keep alive"
}

case "${1:-}" in
  after-boot)
    if [[ -f $LAUNCHED ]]; then
      log "the launch lifecycle hook was completed already; nothing to do"
      exit 0
    fi
    after_boot
    ;;
  watch) watch ;;
  *) die "usage: ${SCRIPT} after-boot|watch" ;;
esac
