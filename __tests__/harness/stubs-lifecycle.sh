#!/usr/bin/env bash
# shellcheck disable=SC2154 # state, root, count and opt are stubs.sh's
# Sourced by stubs.sh: the parts of the stub that play EC2, the instance's auto scaling group, the API
# load balancer's target group, etcd's membership and the API servers' Nodes. State under
# $HARNESS_STATE:
#   ec2/instances      EC2 instances, "id private-dns-name state" per line (this node's among them)
#   elbv2/targets      instance ids registered with the API target group (STUB_TARGET_GROUP_ARN), one
#                      a line; the load balancer forwards to nothing else
#   asg/instance       this instance's auto scaling group and lifecycle state ("group state"); none:
#                      in no group. complete-lifecycle-action and set-instance-health change it
#   asg/since, asg/entered  the uptime of the wait state's last heartbeat (or start), and of its start
#   STUB_HOOK_TIMEOUTS "launch terminate": the hooks' heartbeat timeouts; when set, a wait state
#                      without a heartbeat for that long, or longer than its global timeout (100
#                      heartbeat timeouts, at most 48 h), ends with the hook's default result
#                      (launch: ABANDON, the instance Terminating; terminate: CONTINUE, Terminated)
#   asg/activities     the group's scaling activities, "minutes-ago<tab>cause<tab>status message"
#   STUB_LAUNCH_HOOK, STUB_TERMINATE_HOOK  the group's lifecycle hook names
#   STUB_TERMINATE_AFTER  reads of autoscaling/target-lifecycle-state before the group terminates
#                      the instance (its lifecycle state becomes Terminating:Wait); default never
#   etcd/members       etcd's member list, "id|name|peer URL|client URL|instance" per line (unstarted:
#                      no name, no client URL; instance: the one its etcd runs on, when known, else
#                      one of its name); kubeadm init, join and reset change it as kubeadm does
#   nodes/<name>       the Nodes the API servers have (kubeadm init and join register one);
#                      STUB_NODE_READY_AFTER: reads of the Ready condition that are False first

# The AWS CLI v2 reports a service's error with exit code 254 (AWS CLI user guide,
# cli-usage-returncodes.html: "the service returned an error").
aws_error() {
  echo "An error occurred ($1) when calling the $2 operation: $3" >&2
  exit 254
}

# uptime_now: the node's uptime in whole seconds.
uptime_now() {
  local up
  read -r up _ <"${root}/proc/uptime"
  echo "${up%.*}"
}

# wait_started: the instance enters a lifecycle hook's wait state now.
wait_started() { uptime_now | tee "${state}/asg/entered" >"${state}/asg/since"; }

# asg_state: prints this instance's "group state", nothing when it is in no group. A wait state
# whose hook timed out (STUB_HOOK_TIMEOUTS) has ended with the hook's default result.
asg_state() {
  local group lifecycle launch terminate timeout now
  [[ -f ${state}/asg/instance ]] || return 0
  read -r group lifecycle <"${state}/asg/instance"
  if [[ -n ${STUB_HOOK_TIMEOUTS:-} && $lifecycle == *:Wait ]]; then
    read -r launch terminate <<<"$STUB_HOOK_TIMEOUTS"
    timeout=$launch
    if [[ $lifecycle == Terminating:Wait ]]; then timeout=$terminate; fi
    now=$(uptime_now)
    if ((now - $(<"${state}/asg/since") > timeout ||
      now - $(<"${state}/asg/entered") > (timeout * 100 < 172800 ? timeout * 100 : 172800))); then
      if [[ $lifecycle == Pending:Wait ]]; then lifecycle=Terminating; else lifecycle=Terminated; fi
      echo "$group $lifecycle" >"${state}/asg/instance"
    fi
  fi
  echo "$group $lifecycle"
}

# etcd_member_add NAME IP: the member kubeadm adds for a control-plane node (started once etcd runs
# on this instance).
etcd_member_add() {
  local id
  mkdir -p "${state}/etcd"
  id=$(printf '%s' "$1" | sha256sum | cut -c1-16)
  # etcdctl prints the uint64 ID with %x: no leading zeros.
  while [[ $id == 0* ]]; do id=${id#0}; done
  printf '%s|%s|https://%s:2380|https://%s:2379|%s\n' "$id" "$1" "$2" "$2" "$INSTANCE_ID" >>"${state}/etcd/members"
}

# etcd_member_adopt IP: kubeadm join when a member with this node's peer URL is listed already: it
# skips the member add and starts etcd under that member's ID, with an empty data directory
# (kubernetes/kubernetes cmd/kubeadm/app/util/etcd/etcd.go addMember: "The peer URL ... already
# exists. Skipping etcd member addition"; #92118, #127491). Its etcd now runs on this instance.
etcd_member_adopt() {
  local file="${state}/etcd/members" id name peer client instance out=""
  while IFS='|' read -r id name peer client instance; do
    if [[ $peer == "https://${1}:2380" ]]; then instance=$INSTANCE_ID; fi
    out+="${id}|${name}|${peer}|${client}|${instance}"$'\n'
  done <"$file"
  printf '%s' "$out" >"$file"
}

# etcd_member_del NAME: kubeadm reset removes the node's own member.
etcd_member_del() {
  local file="${state}/etcd/members"
  if [[ -f $file ]]; then grep -v "^[0-9a-f]*|${1}|" "$file" >"${file}.new" || true; mv "${file}.new" "$file"; fi
}

# member_runs NAME INSTANCE: a started member's etcd runs: on INSTANCE when the member line names
# one (the instance that added it), else on an instance of its name.
member_runs() {
  [[ -n $1 ]] || return 1
  if [[ -n ${2:-} ]]; then grep -q "^${2} [^ ]* running\$" "${state}/ec2/instances"; return; fi
  grep -q "^[^ ]* ${1} running\$" "${state}/ec2/instances"
}

# etcd_unreachable: prints the voting members the member serving a "member add" is not connected to:
# unstarted ones (no name) and those whose etcd does not run.
etcd_unreachable() {
  local id name peer client instance
  [[ -f ${state}/etcd/members ]] || return 0
  while IFS='|' read -r id name peer client instance; do
    if ! member_runs "$name" "$instance"; then echo "$id"; fi
  done <"${state}/etcd/members"
}

# registered ID: the instance ID is a target of the API target group.
registered() { grep -qx "$1" "${state}/elbv2/targets" 2>/dev/null; }

# answers ENDPOINT: an etcd member serves at ENDPOINT: this node's own (127.0.0.1) while it is a
# member; another while it is started and its etcd runs.
answers() {
  local id name peer client instance
  if [[ $1 == https://127.0.0.1:2379 ]]; then
    grep -q "^[0-9a-f]*|${NODE_NAME}|" "${state}/etcd/members"
    return
  fi
  while IFS='|' read -r id name peer client instance; do
    if [[ $client == "$1" ]] && member_runs "$name" "$instance"; then return 0; fi
  done <"${state}/etcd/members"
  return 1
}

# etcd_members ENDPOINTS list|remove ID: etcdctl member list and member remove through ENDPOINTS
# (comma-separated: the client moves on from an endpoint that does not answer; etcd.io/docs/v3.6/
# learning/design-client), as etcd-io/etcd v3.6 etcdctl/ctlv3/command prints them (printer.go
# makeMemberListTable, printer_simple.go MemberList and MemberRemove; errors through
# cobrautl.ExitWithError: "Error: ..."). A remove that would leave fewer members that answer than a
# majority is refused (server/etcdserver/server.go mayRemoveMember: "unhealthy cluster").
etcd_members() {
  local file="${state}/etcd/members" endpoint served="" id name peer client instance status voting=0 active=0
  [[ -f $file ]] || { echo "Error: context deadline exceeded" >&2; exit 1; }
  for endpoint in ${1//,/ }; do
    if answers "$endpoint"; then served=$endpoint; break; fi
  done
  [[ -n $served ]] || { echo "Error: context deadline exceeded" >&2; exit 1; }
  case $2 in
    list)
      while IFS='|' read -r id name peer client instance; do
        status=started
        if [[ -z $name ]]; then status=unstarted; fi
        printf '%s, %s, %s, %s, %s, false\n' "$id" "$status" "$name" "$peer" "$client"
      done <"$file"
      ;;
    remove)
      grep -q "^${3}|" "$file" || { echo "Error: etcdserver: member not found" >&2; exit 1; }
      while IFS='|' read -r id name peer client instance; do
        voting=$((voting + 1))
        if member_runs "$name" "$instance"; then active=$((active + 1)); fi
      done <"$file"
      IFS='|' read -r id name peer client instance < <(grep "^${3}|" "$file")
      if member_runs "$name" "$instance" && ((active - 1 < 1 + (voting - 1) / 2)); then
        echo "Error: etcdserver: unhealthy cluster" >&2
        exit 1
      fi
      grep -v "^${3}|" "$file" >"${file}.new" || true
      mv "${file}.new" "$file"
      printf 'Member %16s removed from cluster %16s\n' "$3" "c9be114fc2da2776"
      ;;
  esac
}

# imds_target_state: what IMDS's autoscaling/target-lifecycle-state returns.
imds_target_state() {
  local group lifecycle
  # The state the group moves the instance to: Terminated once it terminates it (after
  # STUB_TERMINATE_AFTER reads), else InService; not found outside a group.
  read -r group lifecycle <<<"$(asg_state)"
  [[ -n ${group:-} ]] || exit 22
  if [[ -n ${STUB_TERMINATE_AFTER:-} ]] && (($(count target-state) > STUB_TERMINATE_AFTER)); then
    if [[ $lifecycle != Terminat* ]]; then
      lifecycle=Terminating:Wait
      echo "$group $lifecycle" >"${state}/asg/instance"
      wait_started
    fi
  fi
  case $lifecycle in
    Terminat*) printf 'Terminated' ;;
    *) printf 'InService' ;;
  esac
}

# aws_lifecycle ARG...: the aws commands of the node's auto scaling lifecycle and etcd membership.
aws_lifecycle() {
  local param file want_id want_name want_states arg id dns ec2_state group lifecycle hook result next
  local minutes cause message at
  local -a ids
  case "$1 $2" in
    "ssm delete-parameter")
      param=$(opt --name "$@")
      file=$(ssm_file "$param")
      [[ -f $file ]] || aws_error ParameterNotFound DeleteParameter "Parameter ${param} not found."
      rm -f "$file" "${file}.type"
      ;;
    "ec2 describe-instances")
      # Filters by instance-id or private-dns-name, and instance-state-name; prints the ids (text output).
      [[ $(opt --query "$@") == 'Reservations[].Instances[].InstanceId' && $(opt --output "$@") == text ]] ||
        { echo "aws stub: unexpected describe-instances query '$*'" >&2; exit 2; }
      want_id="" want_name="" want_states=""
      for arg in "$@"; do
        case $arg in
          Name=instance-id,Values=*) want_id=${arg#*Values=} ;;
          Name=private-dns-name,Values=*) want_name=${arg#*Values=} ;;
          Name=instance-state-name,Values=*) want_states=",${arg#*Values=}," ;;
          Name=*) echo "aws stub: unexpected filter ${arg}" >&2; exit 2 ;;
        esac
      done
      ids=()
      while read -r id dns ec2_state; do
        [[ -z $want_id || $id == "$want_id" ]] || continue
        [[ -z $want_name || $dns == "$want_name" ]] || continue
        [[ -z $want_states || $want_states == *",${ec2_state},"* ]] || continue
        ids+=("$id")
      done <"${state}/ec2/instances"
      if ((${#ids[@]})); then (IFS=$'\t'; echo "${ids[*]}"); fi
      ;;
    "autoscaling describe-auto-scaling-instances")
      [[ $(opt --instance-ids "$@") == "$INSTANCE_ID" && $(opt --output "$@") == text &&
        $(opt --query "$@") == 'AutoScalingInstances[0].[AutoScalingGroupName,LifecycleState]' ]] ||
        { echo "aws stub: unexpected describe-auto-scaling-instances '$*'" >&2; exit 2; }
      read -r group lifecycle <<<"$(asg_state)"
      # The CLI's text output of a null result (no group) is "None".
      if [[ -n ${group:-} ]]; then printf '%s\t%s\n' "$group" "$lifecycle"; else echo None; fi
      ;;
    "autoscaling complete-lifecycle-action")
      read -r group lifecycle <<<"$(asg_state)"
      hook=$(opt --lifecycle-hook-name "$@")
      result=$(opt --lifecycle-action-result "$@")
      [[ $(opt --instance-id "$@") == "$INSTANCE_ID" && $(opt --auto-scaling-group-name "$@") == "${group:-}" ]] ||
        aws_error ValidationError CompleteLifecycleAction \
          "No active Lifecycle Action found with instance ID $(opt --instance-id "$@")"
      case "${hook} ${lifecycle} ${result}" in
        "${STUB_LAUNCH_HOOK} Pending:Wait CONTINUE") next=InService ;;
        "${STUB_LAUNCH_HOOK} Pending:Wait ABANDON") next=Terminating ;;
        "${STUB_TERMINATE_HOOK} Terminating:Wait "*) next=Terminated ;;
        *)
          aws_error ValidationError CompleteLifecycleAction \
            "No active Lifecycle Action found with instance ID ${INSTANCE_ID}"
          ;;
      esac
      echo "$group $next" >"${state}/asg/instance"
      ;;
    "autoscaling record-lifecycle-action-heartbeat")
      # RecordLifecycleActionHeartbeat: restarts the timeout of the instance's wait state; an error
      # when no lifecycle action of that hook waits. The CLI prints nothing for its empty response.
      read -r group lifecycle <<<"$(asg_state)"
      hook=$(opt --lifecycle-hook-name "$@")
      case "$(opt --instance-id "$@") $(opt --auto-scaling-group-name "$@") ${hook} ${lifecycle:-}" in
        "${INSTANCE_ID} ${group:-} ${STUB_LAUNCH_HOOK} Pending:Wait") ;;
        "${INSTANCE_ID} ${group:-} ${STUB_TERMINATE_HOOK} Terminating:Wait") ;;
        *)
          aws_error ValidationError RecordLifecycleActionHeartbeat \
            "No active Lifecycle Action found with instance ID $(opt --instance-id "$@")"
          ;;
      esac
      uptime_now >"${state}/asg/since"
      ;;
    "autoscaling set-instance-health")
      [[ -n $(asg_state) && $(opt --instance-id "$@") == "$INSTANCE_ID" ]] ||
        aws_error ValidationError SetInstanceHealth \
          "Instance Id not found - No managed instance found for instance ID: $(opt --instance-id "$@")"
      opt --health-status "$@" >"${state}/asg/health"
      ;;
    "autoscaling describe-scaling-activities")
      [[ $(opt --output "$@") == text && $(opt --query "$@") == 'Activities[].[StartTime,Cause,StatusMessage]' ]] ||
        { echo "aws stub: unexpected describe-scaling-activities query '$*'" >&2; exit 2; }
      read -r group lifecycle <<<"$(asg_state)"
      [[ $(opt --auto-scaling-group-name "$@") == "${group:-}" ]] ||
        { echo "aws stub: activities of a group that is not this instance's: '$*'" >&2; exit 2; }
      # Newest first, StartTime as the CLI prints timestamps (ISO 8601 with offset).
      if [[ -f ${state}/asg/activities ]]; then
        while IFS=$'\t' read -r minutes cause message; do
          at=$(date -u -d "@$(($(date +%s) - minutes * 60))" +%Y-%m-%dT%H:%M:%S.000000+00:00)
          printf '%s\t%s\t%s\n' "$at" "$cause" "$message"
        done < <(sort -n "${state}/asg/activities")
      fi
      ;;
    "cloudwatch put-metric-data")
      echo "$*" >>"${state}/metrics"
      ;;
    "elbv2 register-targets")
      # Elastic Load Balancing API reference, RegisterTargets: errors TargetGroupNotFound and
      # InvalidTarget; an instance must be running. The CLI prints nothing for its empty response;
      # registering a registered target again changes nothing.
      [[ $(opt --target-group-arn "$@") == "$STUB_TARGET_GROUP_ARN" ]] ||
        aws_error TargetGroupNotFound RegisterTargets "Target groups '$(opt --target-group-arn "$@")' not found"
      arg=$(opt --targets "$@")
      id=${arg#Id=}
      [[ $arg == Id=* && $id != *[,=]* ]] || { echo "aws stub: unexpected targets '${arg}'" >&2; exit 2; }
      grep -q "^${id} [^ ]* running\$" "${state}/ec2/instances" ||
        aws_error InvalidTarget RegisterTargets \
          "The following targets are not in a running state and can't be registered: '${id}'"
      mkdir -p "${state}/elbv2"
      registered "$id" || echo "$id" >>"${state}/elbv2/targets"
      ;;
  esac
}

# kubectl_node get|cordon|drain NODE ARG...: kubectl on a Node (the kubeconfig already checked).
kubectl_node() {
  case $1 in
    get)
      # k8s.io/api core/v1 types.go: NodeCondition type "Ready", status "True" | "False" | "Unknown".
      [[ $4 == -o && $5 == 'jsonpath={.status.conditions[?(@.type=="Ready")].status}' ]] ||
        { echo "kubectl stub: unexpected '$*'" >&2; exit 2; }
      [[ -f ${state}/nodes/$3 ]] || { echo "Error from server (NotFound): nodes \"$3\" not found" >&2; exit 1; }
      if (($(count "ready-$3") > ${STUB_NODE_READY_AFTER:-0})); then printf 'True'; else printf 'False'; fi
      ;;
    cordon | drain)
      [[ -f ${state}/nodes/$2 ]] || { echo "Error from server (NotFound): nodes \"$2\" not found" >&2; exit 1; }
      touch "${state}/nodes/$2.cordoned"
      if [[ $1 == drain ]]; then echo "node/$2 drained"; else echo "node/$2 cordoned"; fi
      ;;
  esac
}
