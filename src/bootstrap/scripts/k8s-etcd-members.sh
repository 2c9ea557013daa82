#!/usr/bin/env bash
# Keeps the etcd member list to the control-plane nodes that exist. kubeadm names a member after its
# node, and the node after the instance's private DNS name, so EC2 tells which members are gone:
#   prune        (k8s-etcd-members-prune.timer, every 2 minutes on every control-plane member)
#                removes every member whose name no instance that is pending, running, stopping or
#                stopped has, or whose etcd answered on an instance that is gone while a new one has
#                its name (the same private IP) and it does not answer: kubeadm join on that new
#                instance would take the member over with an empty data directory instead of adding
#                its own (cmd/kubeadm/app/util/etcd/etcd.go addMember skips an existing peer URL).
#                Never this node's member, never an unstarted member (empty name:
#                another node is joining), never one EC2 cannot vouch for, never anything when the
#                member list or EC2 cannot be read, and nothing unless the members on instances that
#                exist (this node's among them) are more than half of the list: otherwise etcd has
#                lost quorum, no removal could be committed, and the cluster needs a restore
#   remove-self  (k8s-termination-watch, before the group terminates this node) removes this node's
#                member through the other started members; never the last one
# etcd refuses to add a member while a voting member is unreachable (etcd-io/etcd v3.6.6
# server/etcdserver/server.go mayAddMember: isConnectedFullySince, "etcdserver: unhealthy
# cluster"), so a replacement control-plane node can join only once the members of gone instances
# are removed: that is why every member prunes on a timer, not only nodes that just joined.
# etcdctl runs in the etcd static pod's container, as for k8s-etcd-backup.sh. It prints "member list" as
# "ID, status, name, peer URLs, client URLs, is learner" (etcd-io/etcd etcdctl/ctlv3/command:
# printer.go makeMemberListTable, printer_simple.go MemberList).
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/control-plane.sh"

# Names of EC2 private DNS names (IP-based or resource-based): a member named otherwise is left alone.
# Which instance each member's etcd answered on (load_owners).
RECORD="${ROOT}/var/lib/k8s-bootstrap/etcd-member-instances"
EC2_NAME='^(ip-[0-9-]+|i-[0-9a-f]+)\.([a-z0-9-]+\.compute|ec2)\.internal$'

# read_members: IDS, STATES, NAMES and CLIENTS (the first client URL) of every member, in list order.
read_members() {
  local out line id state name peers clients learner
  IDS=() STATES=() NAMES=() CLIENTS=()
  out=$(etcdctl_local 60 member list --write-out=simple) || return 1
  while IFS= read -r line; do
    [[ -n $line ]] || continue
    IFS='|' read -r id state name peers clients learner <<<"${line//, /|}"
    if ! [[ $id =~ ^[0-9a-f]{1,16}$ && $state =~ ^(un)?started$ && -n $peers && $learner =~ ^(true|false)$ ]]; then
      log "etcdctl member list printed a line this script does not understand: ${line}"
      return 1
    fi
    IDS+=("$id") STATES+=("$state") NAMES+=("$name") CLIENTS+=("${clients%%,*}")
  done <<<"$out"
  ((${#IDS[@]} > 0))
}

# own_member: OWN = the index of this node's member, or fails.
own_member() {
  local i
  for i in "${!NAMES[@]}"; do
    if [[ ${NAMES[i]} == "$NODE_NAME" ]]; then
      OWN=$i
      return 0
    fi
  done
  return 1
}

# answers I: member I's etcd answers at its client URL.
answers() { [[ -n ${CLIENTS[$1]} ]] && etcdctl_at 60 "${CLIENTS[$1]}" endpoint health >/dev/null 2>&1; }

# load_owners / save_owners: OWNERS[member ID] = the instance this node saw the member's etcd answer
# on (RECORD). A replacement instance can get its dead predecessor's private IP, so its name too:
# EC2 then finds an instance of the dead member's name, and only this record tells them apart.
load_owners() {
  local id instance
  declare -gA OWNERS=()
  if [[ -f $RECORD ]]; then
    while read -r id instance; do OWNERS[$id]=$instance; done <"$RECORD"
  fi
}
save_owners() {
  local i
  OWNERS[${IDS[OWN]}]=$INSTANCE_ID
  for i in "${!IDS[@]}"; do
    if [[ -n ${OWNERS[${IDS[i]}]:-} ]]; then echo "${IDS[i]} ${OWNERS[${IDS[i]}]}"; fi
  done >"${RECORD}.new"
  mv "${RECORD}.new" "$RECORD"
}

# gone_members: GONE = the indexes of the members to remove, LIVE = how many members run on
# instances that exist (this node's included). Fails when EC2 cannot be read.
gone_members() {
  local i live owner
  local -a ids
  GONE=() LIVE=1
  for i in "${!IDS[@]}"; do
    if ((i == OWN)); then continue; fi
    if [[ ${STATES[i]} == unstarted ]]; then
      log "member ${IDS[i]} is unstarted (a node is joining with it): left alone"
      continue
    fi
    if ! [[ ${NAMES[i]} =~ $EC2_NAME ]]; then
      log "member ${IDS[i]} (${NAMES[i]}) is not named after an EC2 instance: left alone"
      continue
    fi
    live=$(live_instances "Name=private-dns-name,Values=${NAMES[i]}") || return 1
    read -ra ids <<<"$live"
    owner=${OWNERS[${IDS[i]}]:-}
    if ((${#ids[@]} == 0)); then
      GONE+=("$i")
    elif [[ -n $owner && " ${ids[*]} " != *" ${owner} "* ]] && ! answers "$i"; then
      log "member ${NAMES[i]} (${IDS[i]}): its instance ${owner} is gone; ${ids[*]} has its name but not its etcd"
      GONE+=("$i")
    else
      # Learnt once its etcd answers on the one instance of its name.
      if [[ " ${ids[*]} " != *" ${owner} "* ]] && ((${#ids[@]} == 1)) && answers "$i"; then
        OWNERS[${IDS[i]}]=${ids[0]}
      fi
      log "member ${NAMES[i]}: its instance ${ids[*]} exists, kept"
      LIVE=$((LIVE + 1))
    fi
  done
}

prune() {
  local i live
  step "wait until the local etcd member is healthy"
  retry 30 10 "a running etcd container (static pod kube-system/etcd-${NODE_NAME})" find_etcd
  retry 30 10 "the local etcd member to be healthy" etcdctl_local 60 endpoint health
  step "list the etcd members"
  retry 5 10 "etcdctl member list" read_members
  own_member || die "no member is named ${NODE_NAME}: not removing anything"
  step "check the instance of every member"
  # The same question about this very instance must find it, or EC2's answers are not to be trusted.
  live=$(live_instances "Name=private-dns-name,Values=${NODE_NAME}") || die "EC2 cannot be read: nothing removed"
  [[ " ${live} " == *[[:space:]]"${INSTANCE_ID}"[[:space:]]* ]] ||
    die "EC2 does not find this instance (${INSTANCE_ID}) by its name ${NODE_NAME}: nothing removed"
  load_owners
  gone_members || die "EC2 cannot be read: nothing removed"
  save_owners
  if ((${#GONE[@]} > 0 && LIVE * 2 <= ${#IDS[@]})); then
    die "only ${LIVE} of ${#IDS[@]} members run on instances that exist: etcd has no quorum, nothing removed" \
      "(restore from a snapshot: docs/etcd-restore.md)"
  fi
  for i in "${GONE[@]}"; do
    step "remove member ${NAMES[i]} (${IDS[i]}): the instance it ran on is gone"
    etcdctl_local 60 member remove "${IDS[i]}"
  done
  log "done: ${#GONE[@]} member(s) removed, $((${#IDS[@]} - ${#GONE[@]})) left"
}

# removed_through ENDPOINTS ID: removes member ID through ENDPOINTS (comma-separated); done as well
# when they no longer list it (an earlier attempt removed it, but its answer was lost).
removed_through() {
  local out
  etcdctl_at 60 "$1" member remove "$2" && return 0
  out=$(etcdctl_at 60 "$1" member list --write-out=simple) || return 1
  [[ $'\n'${out} != *$'\n'"${2}, "* ]]
}

remove_self() {
  local i others=""
  step "find the etcd container"
  retry 6 10 "a running etcd container (static pod kube-system/etcd-${NODE_NAME})" find_etcd
  step "list the etcd members"
  retry 5 10 "etcdctl member list" read_members
  if ! own_member; then
    log "no member is named ${NODE_NAME}: nothing to remove"
    return 0
  fi
  # Every other started member: etcdctl's client balances over the endpoints and moves on from one
  # that does not answer (etcd.io/docs/v3.6/learning/design-client), so a dead member listed first
  # does not stop the removal.
  for i in "${!IDS[@]}"; do
    if ((i == OWN)) || [[ ${STATES[i]} != started || -z ${CLIENTS[i]} ]]; then continue; fi
    others+="${others:+,}${CLIENTS[i]}"
  done
  if [[ -z $others ]]; then
    log "${NODE_NAME} is the only started etcd member: not removing it (the cluster's data would go with it)"
    return 0
  fi
  # Through the others: this one stops serving as soon as it is removed.
  step "remove this node's etcd member ${IDS[OWN]} through ${others}"
  retry 5 10 "etcdctl member remove ${IDS[OWN]}" removed_through "$others" "${IDS[OWN]}"
  log "done: ${NODE_NAME} left the etcd cluster"
}

step "read instance metadata"
retry 10 3 "instance metadata (IMDSv2)" node_facts
case "${1:-}" in
  prune) prune ;;
  remove-self) remove_self ;;
  *) die "usage: ${SCRIPT} prune|remove-self" ;;
esac
