#!/usr/bin/env bash
# Renews this control-plane node's kubeadm certificates before they expire (kubeadm issues them for
# one year) and restarts the control-plane pods that read them, one at a time, each healthy before
# the next:
#   k8s-cert-renew            when a certificate expires within RENEW_WINDOW_DAYS (k8s-cert-renew.timer)
#   k8s-cert-renew --force    now, whatever the expiry
#   k8s-cert-renew --no-lock  without the maintenance Lease: only when no API server answers (all
#                             certificates expired); then run it on one control-plane node at a time
# `kubeadm certs renew all` renews admin.conf too, the kubeconfig the other timers use. One node of
# the cluster at a time: it holds the control-plane maintenance Lease (lease.sh) while it restarts;
# a node that finds it held waits, then leaves the renewal to its next run. Kubelet certificates are
# not kubeadm's to renew (docs/certificates.md in the repository).
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
# shellcheck source=/dev/null
. "${ROOT}/usr/local/lib/k8s-bootstrap/control-plane.sh"
# shellcheck source=/dev/null
. "${ROOT}/usr/local/lib/k8s-bootstrap/lease.sh"

RENEW_WINDOW_DAYS=90
ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"
# In the order they restart.
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler etcd)
# kubeadm's structured output (CertificateExpirationInfo, output.kubeadm.k8s.io/v1alpha3) through
# a jsonpath template: one line per certificate and CA. Dates, not residualTime: jsonpath prints a
# number decoded from JSON as a float (3.1e+07).
EXPIRY_FIELDS='{.name} {.expirationDate} {.externallyManaged} {.missing}{"\n"}'
EXPIRY_TEMPLATE="{range .certificates[*]}certificate ${EXPIRY_FIELDS}{end}"
EXPIRY_TEMPLATE+="{range .certificateAuthorities[*]}authority ${EXPIRY_FIELDS}{end}"

# read_expiry: DUE (certificates kubeadm renews that expire within the window), AUTHORITIES_DUE
# (CAs within the window: kubeadm cannot renew them), ADMIN_EXPIRED (yes when admin.conf has
# expired), SOONEST ("<name> in <days> days").
read_expiry() {
  local out kind name expires external missing epoch days now soonest_days=""
  out=$(kubeadm certs check-expiration -o "jsonpath=${EXPIRY_TEMPLATE}") || return 1
  now=$(date -u +%s)
  DUE=() AUTHORITIES_DUE=() ADMIN_EXPIRED=no SOONEST=""
  while read -r kind name expires external missing; do
    [[ -n $kind ]] || continue
    # super-admin.conf exists only on the node that ran kubeadm init.
    if [[ $missing == true ]]; then continue; fi
    if [[ $external == true ]]; then
      log "${name} is externally managed: kubeadm does not renew it"
      continue
    fi
    epoch=$(date -u -d "$expires" +%s 2>/dev/null) || {
      log "kubeadm gives no expiry date for ${name}: '${expires}'"
      return 1
    }
    days=$(((epoch - now) / 86400))
    if [[ $kind == certificate && $name == admin.conf ]] && ((epoch <= now)); then ADMIN_EXPIRED=yes; fi
    if ((days < RENEW_WINDOW_DAYS)); then
      if [[ $kind == certificate ]]; then
        DUE+=("${name} (${days} days)")
      else
        AUTHORITIES_DUE+=("${name} (${days} days)")
      fi
    fi
    if [[ $kind == certificate ]] && { [[ -z $soonest_days ]] || ((days < soonest_days)); }; then
      soonest_days=$days
      SOONEST="${name} in ${days} days"
    fi
  done <<<"$out"
  [[ -n $SOONEST ]] || {
    log "kubeadm certs check-expiration lists no certificate of this node"
    return 1
  }
}

# restarted NAME OLD: the kubelet runs NAME again, in a container other than OLD.
restarted() {
  find_container "$1" && [[ $CONTAINER != "$2" ]]
}

# healthy NAME: the checks kubeadm makes (cmd/kubeadm/app/util/apiclient/wait.go: the components'
# own health endpoints, without verifying the serving certificate), and etcd's own health check.
healthy() {
  case $1 in
    kube-apiserver) curl -fsSk --max-time 5 "https://127.0.0.1:${API_SERVER_PORT}/readyz" >/dev/null ;;
    kube-controller-manager) curl -fsSk --max-time 5 https://127.0.0.1:10257/healthz >/dev/null ;;
    kube-scheduler) curl -fsSk --max-time 5 https://127.0.0.1:10259/livez >/dev/null ;;
    etcd) etcdctl_local 30 endpoint health >/dev/null ;;
    *) return 1 ;;
  esac
}

# restart NAME: stops the static pod's container; the kubelet starts a new one, which reads the
# renewed certificates. Nothing is left to put back if this run is interrupted.
restart() {
  local old
  step "restart ${1}"
  retry 3 10 "a running ${1} container (static pod kube-system/${1}-${NODE_NAME})" find_container "$1"
  old=$CONTAINER
  crictl stop --timeout 30 "$old" >/dev/null
  retry 18 10 "the kubelet to start ${1} again" restarted "$1" "$old"
  retry 18 10 "${1} to be healthy" healthy "$1"
  log "${1} restarted (container ${CONTAINER:0:13}) and healthy"
}

FORCE=no
LOCK=yes
for arg in "$@"; do
  case $arg in
    --force) FORCE=yes ;;
    --no-lock) LOCK=no ;;
    *) die "usage: ${SCRIPT} [--force] [--no-lock]" ;;
  esac
done

step "read the certificates' expiry"
retry 3 10 "kubeadm certs check-expiration" read_expiry
if ((${#AUTHORITIES_DUE[@]})); then
  log "WARNING: certificate authorities expire within ${RENEW_WINDOW_DAYS} days: ${AUTHORITIES_DUE[*]};" \
    "kubeadm cannot renew them (docs/certificates.md)"
fi
if ((${#DUE[@]} == 0)) && [[ $FORCE == no ]]; then
  log "done: nothing expires within ${RENEW_WINDOW_DAYS} days (the soonest: ${SOONEST})"
  exit 0
fi
if ((${#DUE[@]})); then log "expiring within ${RENEW_WINDOW_DAYS} days: ${DUE[*]}"; fi

step "read instance metadata"
retry 5 3 "instance metadata (IMDSv2)" imds_get local-hostname NODE_NAME
HOLDER="${NODE_NAME}/${SCRIPT}"

if [[ $ADMIN_EXPIRED == yes ]]; then
  step "renew admin.conf"
  # Without it kubectl cannot take the Lease; a client credential only, so nothing restarts for it.
  kubeadm certs renew admin.conf >&2
fi

if [[ $LOCK == yes ]]; then
  step "take the control-plane maintenance Lease"
  status=0
  lease_acquire "$HOLDER" 10 60 || status=$?
  if ((status == 1)); then
    log "done: ${LEASE_HOLDER} holds ${LEASE}; this node renews at its next run"
    exit 0
  fi
  ((status == 0)) ||
    die "cannot take ${LEASE} through ${ADMIN_CONF}; if no API server answers," \
      "run '${SCRIPT} --force --no-lock' on one control-plane node at a time"
fi

step "renew the certificates"
kubeadm certs renew all >&2

for component in "${COMPONENTS[@]}"; do restart "$component"; done

step "check the renewed certificates"
retry 3 10 "kubeadm certs check-expiration" read_expiry
((${#DUE[@]} == 0)) || die "still expiring within ${RENEW_WINDOW_DAYS} days after the renewal: ${DUE[*]}"

if [[ $LOCK == yes ]]; then
  step "release the control-plane maintenance Lease"
  lease_release "$HOLDER" || log "could not release ${LEASE}; it expires by itself"
fi
log "done: certificates renewed (the soonest now: ${SOONEST}); ${COMPONENTS[*]} restarted one at a time"
