#!/usr/bin/env bash
# Brings this instance into the cluster as NODE_ROLE. Control plane: install the cluster bundle
# (bundle.sh), then join this deployment's cluster, or win the init lock and create it: kubeadm
# init, publish the join parameters, apply the add-ons (the bundle's control-plane-boot.sh).
# Workers: wait for the join parameters, join.
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

resolves() { getent hosts "$1" >/dev/null; }

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
  if [[ ${1:-} != quiet ]]; then
    log "stale join parameters (another deployment: ${JOIN_API_ENDPOINT}) under ${SSM_PREFIX}/join"
  fi
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
  [[ $CLUSTER_VERSION =~ ^v?([0-9]+\.[0-9]+)\.[0-9]+$ ]] ||
    die "${SSM_CLUSTER_VERSION} holds '${CLUSTER_VERSION}', not a Kubernetes version"
  cluster_minor=${BASH_REMATCH[1]}
  if [[ $cluster_minor == "$K8S_MINOR" ]]; then
    K8S_INSTALL=${CLUSTER_VERSION#v}
  elif [[ $NODE_ROLE == control-plane ]]; then
    die "the cluster runs ${CLUSTER_VERSION}, this node's Kubernetes is ${K8S_MINOR}:" \
      "a control-plane node joins only a control plane of its own minor;" \
      "synthesize with kubernetesVersion ${cluster_minor}"
  elif [[ $(printf '%s\n' "$cluster_minor" "$K8S_MINOR" | sort -V | head -n1) == "$cluster_minor" ]]; then
    die "the cluster runs ${CLUSTER_VERSION}, older than this node's Kubernetes ${K8S_MINOR}:" \
      "a kubelet may not be newer than the API servers; upgrade the control plane first"
  fi
}

# join_once KIND: kubeadm join with freshly read parameters; reset after a failure.
join_once() {
  local -a names=(API_ENDPOINT NODE_NAME NODE_IP NODE_ZONE NODE_LIFECYCLE MAX_PODS JOIN_TOKEN CA_CERT_HASH)
  read_join_parameters "$1" || return 1
  # Before every attempt: kubeadm reset removes sa.key.
  if [[ $1 == control-plane ]]; then
    names+=(CERTIFICATE_KEY)
    "${SBIN}/k8s-cluster-secrets" fetch || return 1
  fi
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

if [[ -f $DONE ]]; then
  log "this node already joined the cluster; nothing to do"
  exit 0
fi
# From now until this node is in service: heartbeats for the launch lifecycle hook, and the boot's
# deadline (k8s-lifecycle watch).
step "start k8s-boot-watch.service"
systemctl start --no-block k8s-boot-watch.service
step "check for an earlier attempt"
if [[ -f ${ROOT}/etc/kubernetes/kubelet.conf ]]; then
  die "kubeadm state from an earlier, unfinished run is on this node; run 'kubeadm reset -f' first"
fi

step "prepare the node"
"${SBIN}/k8s-node-prepare" os

if [[ $NODE_ROLE == control-plane ]]; then
  # shellcheck source=/dev/null
  . "${ROOT}/usr/local/lib/k8s-bootstrap/bundle.sh"
  install_bundle
  # shellcheck source=/dev/null
  . "${ROOT}/usr/local/lib/k8s-bootstrap/control-plane.sh"
  # shellcheck source=/dev/null
  . "${ROOT}/usr/local/lib/k8s-bootstrap/control-plane-boot.sh"
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
  control-plane) join_or_init_control_plane ;;
  worker)
    step "wait for the join parameters"
    retry "$JOIN_ATTEMPTS" 20 "join parameters under ${SSM_PREFIX}/join (the first control-plane node writes them)" \
      read_join_parameters worker
    join_cluster worker
    ;;
  *) die "unknown NODE_ROLE '${NODE_ROLE}'" ;;
esac
if [[ $NODE_ROLE == control-plane ]]; then enable_control_plane_timers; fi

mkdir -p "${DONE%/*}"
touch "$DONE"
log "done: ${NODE_NAME} is a ${NODE_ROLE} node of ${CLUSTER_NAME}"
