#!/usr/bin/env bash
# Brings this instance into the cluster as NODE_ROLE. Control plane: join this deployment's cluster
# (then remove the etcd members whose instances are gone), or win the init lock and create it:
# kubeadm init, publish the join parameters, apply the add-ons. Workers: wait for them, join.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

SBIN="${ROOT}/usr/local/sbin"
CONF="${ROOT}/etc/k8s-bootstrap"
DONE="${ROOT}/var/lib/k8s-bootstrap/done"
KUBEADM_CONFIG="${WORK}/kubeadm.yaml"
DNS_ATTEMPTS=60
JOIN_ATTEMPTS=90
BUNDLE="${ROOT}/var/lib/k8s-bootstrap/bundle/${BUNDLE_DIGEST:-none}"

resolves() { getent hosts "$1" >/dev/null; }

# bundle_ok DIR: DIR holds the bundle named by BUNDLE_DIGEST, every file as its SHA256SUMS says.
bundle_ok() {
  sha256_is "$BUNDLE_DIGEST" "${1}/SHA256SUMS" || return 1
  (cd "$1" && sha256sum -c --quiet --strict SHA256SUMS)
}

# fetch_bundle: the cluster bundle named by BUNDLE_DIGEST into BUNDLE, complete and unchanged, or
# failure. Downloaded beside it and moved in only once checked: a copy already here stays usable
# (a re-run after a later apply replaced the bundle in S3).
fetch_bundle() {
  local next="${BUNDLE}.download"
  rm -rf "$next"
  mkdir -p "$next"
  aws s3 cp --recursive --only-show-errors "s3://${ASSETS_BUCKET}/addons/${BUNDLE_DIGEST}/" "${next}/" || return 1
  if ! bundle_ok "$next"; then
    log "s3://${ASSETS_BUCKET}/addons/${BUNDLE_DIGEST}/ is missing, incomplete or not the bundle this node was made for"
    return 1
  fi
  rm -rf "$BUNDLE"
  mv "$next" "$BUNDLE"
}

# install_node_files: the control-plane files of the bundle (node/INSTALL: "<mode> <path>").
install_node_files() {
  local mode target
  while read -r mode target; do
    [[ $mode =~ ^0[0-7]{3}$ && $target =~ ^/[A-Za-z0-9._@/-]+$ && $target != *..* ]] || die "node/INSTALL of the bundle has a bad line: ${mode} ${target}"
    install -D -m "$mode" "${BUNDLE}/node${target}" "${ROOT}${target}"
  done <"${BUNDLE}/node/INSTALL"
  systemctl daemon-reload
}
eni_limits() {
  ENI_LIMITS=$(aws ec2 describe-instance-types --instance-types "$INSTANCE_TYPE" --output text \
    --query 'InstanceTypes[0].NetworkInfo.[MaximumNetworkInterfaces,Ipv4AddressesPerInterface]')
}

# own_join_endpoint [quiet]: whether join/api-endpoint (written after the other join parameters)
# names this deployment's endpoint. Status as ssm_get: 0 ours, 1 missing or another deployment's
# (logged unless quiet), 2 SSM error.
own_join_endpoint() {
  ssm_get "$SSM_JOIN_API_ENDPOINT" JOIN_API_ENDPOINT || return
  [[ $JOIN_API_ENDPOINT == "$API_ENDPOINT" ]] && return 0
  if [[ ${1:-} != quiet ]]; then log "stale join parameters (another deployment: ${JOIN_API_ENDPOINT}) under ${SSM_PREFIX}/join"; fi
  return 1
}

# read_join_parameters KIND: one read (certificate key: control-plane only). Endpoint first: written
# last, it must be ours. Status as ssm_get: 0 all there, 1 one missing or stale, 2 SSM error.
read_join_parameters() {
  own_join_endpoint || return
  ssm_get "$SSM_JOIN_TOKEN" JOIN_TOKEN || return
  ssm_get "$SSM_JOIN_CA_CERT_HASH" CA_CERT_HASH || return
  if [[ $1 == control-plane ]]; then ssm_get "$SSM_JOIN_CERTIFICATE_KEY" CERTIFICATE_KEY || return; fi
}

# probe_cluster: CLUSTER_EXISTS=yes when this deployment's join/api-endpoint is in SSM (written
# last, after the other join parameters: a cluster was initialised behind this endpoint, whether
# or not its API answers now), else no. Fails, to be retried, when SSM cannot be read.
probe_cluster() {
  local status=0
  CLUSTER_EXISTS=no
  own_join_endpoint || status=$?
  if ((status == 2)); then return 1; fi
  if ((status == 0)); then CLUSTER_EXISTS=yes; fi
}

# choose_version: K8S_INSTALL is the Kubernetes version to install: the one this deployment's
# cluster publishes (same minor), else the pinned K8S_VERSION. A kubelet newer than the API
# servers is refused (version skew policy), and so is a control-plane node of another minor.
# Fails, to be retried, when SSM cannot be read.
choose_version() {
  local status=0 cluster_minor
  K8S_INSTALL=$K8S_VERSION
  own_join_endpoint quiet || status=$?
  if ((status == 2)); then return 1; fi
  if ((status == 1)); then return 0; fi
  ssm_get "$SSM_CLUSTER_VERSION" CLUSTER_VERSION || status=$?
  if ((status == 2)); then return 1; fi
  if ((status == 1)); then return 0; fi
  [[ $CLUSTER_VERSION =~ ^v?([0-9]+\.[0-9]+)\.[0-9]+$ ]] || die "${SSM_CLUSTER_VERSION} holds '${CLUSTER_VERSION}', not a Kubernetes version"
  cluster_minor=${BASH_REMATCH[1]}
  if [[ $cluster_minor == "$K8S_MINOR" ]]; then
    K8S_INSTALL=${CLUSTER_VERSION#v}
  elif [[ $NODE_ROLE == control-plane ]]; then
    die "the cluster runs ${CLUSTER_VERSION}, this node's Kubernetes is ${K8S_MINOR}: a control-plane node joins only a control plane of its own minor; synthesize with kubernetesVersion ${cluster_minor}"
  elif [[ $(printf '%s\n' "$cluster_minor" "$K8S_MINOR" | sort -V | head -n1) == "$cluster_minor" ]]; then
    die "the cluster runs ${CLUSTER_VERSION}, older than this node's Kubernetes ${K8S_MINOR}: a kubelet may not be newer than the API servers; upgrade the control plane first"
  fi
}

# join_once KIND: kubeadm join with freshly read parameters; reset after a failure.
join_once() {
  local -a names=(API_ENDPOINT NODE_NAME NODE_IP NODE_ZONE MAX_PODS JOIN_TOKEN CA_CERT_HASH)
  read_join_parameters "$1" || return 1
  if [[ $1 == control-plane ]]; then names+=(CERTIFICATE_KEY); fi
  render "${CONF}/kubeadm-join.yaml.tmpl" "$KUBEADM_CONFIG" "${names[@]}"
  if kubeadm join --config "$KUBEADM_CONFIG"; then return 0; fi
  log "kubeadm join failed; resetting before the next attempt"
  kubeadm reset -f >/dev/null 2>&1 || true
  return 1
}

join_cluster() {
  step "kubeadm join as ${1}"
  retry 3 30 "kubeadm join${2:+ $2}" join_once "$1"
}

init_cluster() {
  step "read the kubeadm version"
  KUBERNETES_VERSION=$(kubeadm version -o short)
  log "creating the cluster with Kubernetes ${KUBERNETES_VERSION}"
  step "generate the certificate key"
  CERTIFICATE_KEY=$(kubeadm certs certificate-key)
  step "render the kubeadm configuration"
  render "${CONF}/kubeadm-init.yaml.tmpl" "$KUBEADM_CONFIG" \
    API_ENDPOINT NODE_NAME NODE_IP NODE_ZONE MAX_PODS KUBERNETES_VERSION CERTIFICATE_KEY
  step "kubeadm init"
  kubeadm init --config "$KUBEADM_CONFIG" --upload-certs --skip-token-print --skip-certificate-key-print
  step "publish the join parameters"
  retry 5 10 "write ${SSM_JOIN_CERTIFICATE_KEY}" ssm_put "$SSM_JOIN_CERTIFICATE_KEY" SecureString "$CERTIFICATE_KEY"
  "${SBIN}/k8s-join-refresh" token
  step "apply the add-ons"
  "${SBIN}/k8s-addons" "$BUNDLE"
}

# decide_once: one round of the election of the control-plane node that runs kubeadm init. Status 0
# with DECISION set: join (this deployment's cluster exists) or init (this node holds the init lock);
# status 1: another node holds the lock (wait for its join parameters), or try again.
decide_once() {
  probe_cluster || return 1
  if [[ $CLUSTER_EXISTS == yes ]]; then
    DECISION="join"
    return 0
  fi
  "${SBIN}/k8s-init-lock" "$INSTANCE_ID" "$API_ENDPOINT" || return 1
  DECISION="init"
}

if [[ -f $DONE ]]; then
  log "this node already joined the cluster; nothing to do"
  exit 0
fi
step "check for an earlier attempt"
if [[ -f ${ROOT}/etc/kubernetes/kubelet.conf ]]; then
  die "kubeadm state from an earlier, unfinished run is on this node; run 'kubeadm reset -f' first"
fi

step "prepare the node"
"${SBIN}/k8s-node-prepare" os

if [[ $NODE_ROLE == control-plane ]]; then
  step "fetch the cluster bundle ${BUNDLE_DIGEST:0:12}"
  if bundle_ok "$BUNDLE"; then
    log "the bundle is here already, unchanged: ${BUNDLE}"
  else
    retry 30 10 "SSM parameter ${SSM_ASSETS_BUCKET}" ssm_get "$SSM_ASSETS_BUCKET" ASSETS_BUCKET
    retry 10 15 "cluster bundle s3://${ASSETS_BUCKET}/addons/${BUNDLE_DIGEST}/ (every file as its SHA256SUMS says)" fetch_bundle
  fi
  step "install the control-plane files of the bundle"
  install_node_files
  # From now on a termination by the auto scaling group drains the node first (even a failed boot).
  systemctl enable --now k8s-termination-watch.service
fi

step "read instance metadata"
retry 10 3 "instance metadata (IMDSv2)" node_facts

step "compute max-pods"
retry 5 10 "ENI limits of ${INSTANCE_TYPE} (ec2 describe-instance-types)" eni_limits
read -r ENIS IPS <<<"$ENI_LIMITS"
[[ $ENIS =~ ^[0-9]+$ && $IPS =~ ^[0-9]+$ ]] || die "no ENI limits for ${INSTANCE_TYPE}: ${ENI_LIMITS}"
# Custom networking: no pods on the primary ENI; host-network pods take no address but count.
# At most kubelet's default, never more than the ENIs can address.
MAX_PODS=$(((ENIS - 1) * (IPS - 1) + HOST_NETWORK_PODS))
MAX_PODS=$((MAX_PODS > 110 ? 110 : MAX_PODS))
log "max-pods ${MAX_PODS} for ${INSTANCE_TYPE} (${HOST_NETWORK_PODS} on the host network)"

step "read the API endpoint name"
retry 30 10 "SSM parameter ${SSM_API_ENDPOINT}" ssm_get "$SSM_API_ENDPOINT" API_ENDPOINT

step "wait until the API endpoint name resolves"
retry "$DNS_ATTEMPTS" 10 "DNS name ${API_ENDPOINT} to resolve" resolves "$API_ENDPOINT"

step "choose the Kubernetes version"
retry 10 10 "SSM parameters under ${SSM_PREFIX} to be readable" choose_version
step "install Kubernetes ${K8S_INSTALL}"
"${SBIN}/k8s-node-prepare" kubernetes "$K8S_INSTALL"

case "$NODE_ROLE" in
  control-plane)
    step "join this deployment's cluster, or win the init lock and create it"
    waiting="join parameters under ${SSM_PREFIX}/join (written by the holder of the init lock ${SSM_INIT_LOCK})"
    retry "$JOIN_ATTEMPTS" 20 "$waiting" decide_once
    if [[ $DECISION == init ]]; then
      init_cluster
    else
      # Never a second cluster behind the same endpoint, even while its API does not answer (as
      # during an etcd restore): join it, or stop.
      log "join parameters of this deployment are in SSM: joining the existing cluster, never initialising another"
      join_cluster control-plane "(this deployment's cluster exists, so this node will not run kubeadm init; see docs/troubleshooting.md)"
      step "remove the etcd members whose instances are gone"
      if ! "${SBIN}/k8s-etcd-members" prune; then
        log "etcd members were not checked; run '${SBIN#"$ROOT"}/k8s-etcd-members prune' once the cause is fixed"
      fi
    fi
    ;;
  worker)
    step "wait for the join parameters"
    retry "$JOIN_ATTEMPTS" 20 "join parameters under ${SSM_PREFIX}/join (the first control-plane node writes them)" \
      read_join_parameters worker
    join_cluster worker
    ;;
  *) die "unknown NODE_ROLE '${NODE_ROLE}'" ;;
esac

if [[ $NODE_ROLE == control-plane ]]; then
  step "enable the join parameter refresh timers"
  systemctl enable --now k8s-join-refresh@token.timer k8s-join-refresh@certs.timer
  systemctl enable --now k8s-cert-renew.timer
fi
if [[ $NODE_ROLE == control-plane && -n ${ETCD_BACKUP_BUCKET:-} ]]; then
  step "enable the etcd backup timer"
  systemctl enable --now k8s-etcd-backup.timer
fi

mkdir -p "${DONE%/*}"
touch "$DONE"
log "done: ${NODE_NAME} is a ${NODE_ROLE} node of ${CLUSTER_NAME}"
