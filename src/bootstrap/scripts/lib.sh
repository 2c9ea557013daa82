#!/usr/bin/env bash
# Helpers the k8s-* scripts source. Node paths are "${ROOT}/etc/...": ROOT is empty on a node,
# a scratch directory in the tests.
ROOT="${K8S_ROOT:-}"
IMDS=http://169.254.169.254/latest
# The AWS CLI is a snap (Ubuntu 24.04 has no awscli package); snaps want a HOME.
PATH="${PATH}:/snap/bin"
HOME="${HOME:-/root}"
export PATH HOME DEBIAN_FRONTEND=noninteractive
STEP="start"
SCRIPT="${0##*/}"
WORK=$(mktemp -d)

log() { printf '%s: %s\n' "$SCRIPT" "$*" >&2; }
step() {
  STEP="$1"
  log "step: $1"
}
# Stops the script with one line naming the step. Never call it inside $(...).
die() {
  log "FAILED at step '${STEP}': $*"
  exit 1
}
on_error() {
  local rc=$?
  # A failing $(...) or pipeline is reported once, by the shell that ran it.
  ((BASH_SUBSHELL == 0)) || exit "$rc"
  trap - ERR
  log "FAILED at step '${STEP}' (exit ${rc}): ${BASH_COMMAND}"
  exit "$rc"
}
trap on_error ERR
# Removed however the script exits (add paths with CLEANUP+=(path)).
CLEANUP=()
trap 'rm -rf "$WORK" "${CLEANUP[@]}"' EXIT

# shellcheck source=/dev/null
. "${ROOT}/etc/k8s-bootstrap/env"
export AWS_DEFAULT_REGION="$AWS_REGION"

# retry ATTEMPTS DELAY WHAT COMMAND...: runs COMMAND until it succeeds, at most ATTEMPTS times,
# DELAY seconds apart; then dies naming WHAT.
retry() {
  local attempts=$1 delay=$2 what=$3 n=1
  shift 3
  until "$@"; do
    ((n < attempts)) || die "gave up after ${attempts} attempts ($((attempts * delay))s): ${what}"
    log "waiting for ${what} (attempt ${n}/${attempts}, next in ${delay}s)"
    sleep "$delay"
    n=$((n + 1))
  done
}

# imds_get PATH VAR: one read of instance metadata with an IMDSv2 session token (never IMDSv1).
imds_get() {
  local token value
  token=$(curl -fsS --max-time 5 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 300" "${IMDS}/api/token") || return 1
  value=$(curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: ${token}" "${IMDS}/meta-data/$1") || return 1
  [[ -n $value ]] || return 1
  printf -v "$2" '%s' "$value"
}

# Sets INSTANCE_ID, NODE_NAME (the private DNS name the cloud controller expects), NODE_IP, NODE_ZONE,
# INSTANCE_TYPE, NODE_LIFECYCLE (spot or on-demand).
node_facts() {
  imds_get instance-id INSTANCE_ID || return 1
  imds_get local-hostname NODE_NAME || return 1
  imds_get local-ipv4 NODE_IP || return 1
  imds_get placement/availability-zone NODE_ZONE || return 1
  imds_get instance-type INSTANCE_TYPE || return 1
  imds_get instance-life-cycle NODE_LIFECYCLE
}

# ssm_get NAME VAR: one decrypted read. Status 1: no such parameter (yet), 2: other error (printed).
ssm_get() {
  local value
  if value=$(aws ssm get-parameter --name "$1" --with-decryption \
    --query Parameter.Value --output text 2>"${WORK}/ssm.err"); then
    [[ -n $value && $value != None ]] || return 1
    printf -v "$2" '%s' "$value"
    return 0
  fi
  if grep -q ParameterNotFound "${WORK}/ssm.err"; then return 1; fi
  log "reading $1: $(head -c 300 "${WORK}/ssm.err")"
  return 2
}

# asg_instance: ASG_GROUP and ASG_STATE (its lifecycle state, e.g. Pending:Wait) of INSTANCE_ID's
# auto scaling group; both empty when the instance is in none. Fails when the API cannot be read.
asg_instance() {
  local out
  ASG_GROUP="" ASG_STATE=""
  out=$(aws autoscaling describe-auto-scaling-instances --instance-ids "$INSTANCE_ID" --output text \
    --query 'AutoScalingInstances[0].[AutoScalingGroupName,LifecycleState]') || return 1
  if [[ $out == None ]]; then return 0; fi
  read -r ASG_GROUP ASG_STATE <<<"$out"
  [[ -n $ASG_GROUP && -n $ASG_STATE ]]
}

# complete_hook HOOK RESULT: completes INSTANCE_ID's lifecycle action of HOOK in ASG_GROUP with RESULT
# (CONTINUE or ABANDON).
complete_hook() {
  aws autoscaling complete-lifecycle-action --lifecycle-hook-name "$1" --auto-scaling-group-name "$ASG_GROUP" \
    --instance-id "$INSTANCE_ID" --lifecycle-action-result "$2"
}

# heartbeat HOOK: restarts the timeout of INSTANCE_ID's lifecycle action of HOOK in ASG_GROUP.
heartbeat() {
  aws autoscaling record-lifecycle-action-heartbeat --lifecycle-hook-name "$1" --auto-scaling-group-name "$ASG_GROUP" \
    --instance-id "$INSTANCE_ID"
}

# uptime_seconds: whole seconds since this machine booted.
uptime_seconds() {
  local up
  read -r up _ <"${ROOT}/proc/uptime"
  echo "${up%.*}"
}

# sha256_is SUM FILE: FILE exists and its SHA-256 is SUM.
sha256_is() {
  printf '%s  %s\n' "$1" "$2" | sha256sum -c --quiet --status 2>/dev/null
}

# render TEMPLATE OUT NAME...: TEMPLATE to OUT (mode 600), each __NAME__ replaced by $NAME; only
# the names given, only values that cannot break the YAML or INI.
render() {
  local template=$1 out=$2 text name value
  shift 2
  text=$(<"$template")
  for name in "$@"; do
    value=${!name}
    [[ $value =~ ^[A-Za-z0-9._:/=,@+-]+$ ]] || die "refusing to put ${name} into ${template##*/}: unexpected characters"
    text=${text//"__${name}__"/"$value"}
  done
  if [[ $text =~ __[A-Z][A-Z_]*__ ]]; then die "${template##*/} has a placeholder nobody filled: ${BASH_REMATCH[0]}"; fi
  (umask 077 && printf '%s\n' "$text" >"$out")
}
