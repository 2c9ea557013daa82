#!/usr/bin/env bash
# The control-plane maintenance lock, sourced after lib.sh by k8s-cert-renew and k8s-upgrade: a
# coordination.k8s.io/v1 Lease, kube-system/k8s-control-plane-maintenance, that one holder at a time
# keeps while it restarts its node's control-plane pods, so the other nodes' API servers and etcd
# members keep serving. It is taken with kubectl and the admin kubeconfig (no AWS permission):
#   - created when absent: the API refuses a second create of the same name (AlreadyExists);
#   - else taken over when it is free, expired, or the same holder's (a run that was interrupted),
#     by a replace that carries the resourceVersion just read: the API refuses it (Conflict) when
#     another node changed the Lease in between.
# A holder that fails keeps the Lease until it expires, so no other node restarts its control plane
# while this one may be broken; a holder that succeeds releases it (an empty holderIdentity).
# Holder identity: "<node name>/<script>".

LEASE_NAME=k8s-control-plane-maintenance
LEASE_NAMESPACE=kube-system
# For messages.
LEASE="Lease ${LEASE_NAMESPACE}/${LEASE_NAME}"
# A holder finishes, or systemd stops it (TimeoutStartSec), well before this.
LEASE_SECONDS=3600
LEASE_KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
# holderIdentity|renewTime|leaseDurationSeconds|resourceVersion ("|": fields may be empty).
LEASE_FIELDS='{.spec.holderIdentity}|{.spec.renewTime}|{.spec.leaseDurationSeconds}|{.metadata.resourceVersion}'

lease_kubectl() { kubectl --kubeconfig "$LEASE_KUBECONFIG" --namespace "$LEASE_NAMESPACE" "$@"; }

# lease_manifest FILE HOLDER [RESOURCE_VERSION]: the Lease held by HOLDER from now (MicroTime:
# RFC 3339 with six fractional digits, as the API requires).
lease_manifest() {
  local now
  now=$(date -u +%Y-%m-%dT%H:%M:%S.%6NZ) || return 1
  {
    printf 'apiVersion: coordination.k8s.io/v1\nkind: Lease\nmetadata:\n'
    printf '  name: %s\n  namespace: %s\n' "$LEASE_NAME" "$LEASE_NAMESPACE"
    if [[ -n ${3:-} ]]; then printf '  resourceVersion: "%s"\n' "$3"; fi
    printf 'spec:\n  holderIdentity: "%s"\n  leaseDurationSeconds: %s\n' "$2" "$LEASE_SECONDS"
    printf '  acquireTime: "%s"\n  renewTime: "%s"\n' "$now" "$now"
  } >"$1"
}

# lease_read: LEASE_HOLDER, LEASE_RENEW, LEASE_DURATION, LEASE_VERSION of the Lease as it is now.
lease_read() {
  local fields
  fields=$(lease_kubectl get lease "$LEASE_NAME" -o "jsonpath=${LEASE_FIELDS}" 2>"${WORK}/lease.err") || return 1
  IFS='|' read -r LEASE_HOLDER LEASE_RENEW LEASE_DURATION LEASE_VERSION <<<"$fields"
}

# lease_take HOLDER: one attempt. Status 0: HOLDER holds the Lease; 1: another holder has it
# (LEASE_HOLDER, LEASE_LEFT seconds); 2: the API refused or did not answer (logged).
lease_take() {
  local who=$1 file="${WORK}/lease.yaml" err="${WORK}/lease.err" renewed now
  lease_manifest "$file" "$who" || return 2
  if lease_kubectl create -f "$file" >/dev/null 2>"$err"; then return 0; fi
  if ! grep -q AlreadyExists "$err"; then
    log "creating ${LEASE}: $(head -c 300 "$err")"
    return 2
  fi
  if ! lease_read; then
    log "reading ${LEASE}: $(head -c 300 "$err")"
    return 2
  fi
  if [[ -n $LEASE_HOLDER && $LEASE_HOLDER != "$who" ]]; then
    now=$(date -u +%s)
    renewed=$(date -u -d "$LEASE_RENEW" +%s 2>/dev/null) || renewed=0
    [[ $LEASE_DURATION =~ ^[0-9]+$ ]] || LEASE_DURATION=0
    LEASE_LEFT=$((renewed + LEASE_DURATION - now))
    if ((LEASE_LEFT > 0)); then return 1; fi
    log "the Lease of ${LEASE_HOLDER} expired (renewed ${LEASE_RENEW:-never}, ${LEASE_DURATION} s): taking it over"
  fi
  lease_manifest "$file" "$who" "$LEASE_VERSION" || return 2
  if lease_kubectl replace -f "$file" >/dev/null 2>"$err"; then return 0; fi
  if grep -q Conflict "$err"; then
    LEASE_HOLDER="another holder (the Lease changed while this node took it)"
    LEASE_LEFT=$LEASE_SECONDS
    return 1
  fi
  log "replacing ${LEASE}: $(head -c 300 "$err")"
  return 2
}

# lease_acquire HOLDER ATTEMPTS DELAY: lease_take until it succeeds, at most ATTEMPTS times, DELAY
# seconds apart. Status as lease_take's last attempt.
lease_acquire() {
  local who=$1 attempts=$2 delay=$3 n=1 status
  while :; do
    status=0
    lease_take "$who" || status=$?
    if ((status == 0)); then
      log "holding ${LEASE} as ${who}"
      return 0
    fi
    ((n < attempts)) || return "$status"
    if ((status == 1)); then
      log "${LEASE} is held by ${LEASE_HOLDER} for up to ${LEASE_LEFT} s more" \
        "(attempt ${n}/${attempts}, next in ${delay}s)"
    fi
    sleep "$delay"
    n=$((n + 1))
  done
}

# lease_release HOLDER: frees the Lease if HOLDER still holds it. Fails when the API refuses; the
# Lease then expires by itself.
lease_release() {
  local who=$1 file="${WORK}/lease.yaml" err="${WORK}/lease.err"
  lease_read || return 1
  if [[ $LEASE_HOLDER != "$who" ]]; then
    log "${LEASE} is no longer held by ${who} (holder: ${LEASE_HOLDER:-none}): left as it is"
    return 0
  fi
  lease_manifest "$file" "" "$LEASE_VERSION" || return 1
  lease_kubectl replace -f "$file" >/dev/null 2>"$err" || return 1
  log "released ${LEASE}"
}
