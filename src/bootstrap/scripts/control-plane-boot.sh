#!/usr/bin/env bash
# The control-plane part of k8s-bootstrap, from the cluster bundle: sourced by k8s-bootstrap after
# lib.sh, bundle.sh and control-plane.sh, it uses their helpers and k8s-bootstrap's own
# (own_join_endpoint, join_cluster) and variables. A control-plane node joins this deployment's
# cluster, or wins the init lock and creates it.

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

# register_api_target: this instance becomes a target of the API load balancer's target group
# (instance target, the group's port). kubeadm init reaches its own API server through the load
# balancer (controlPlaneEndpoint), but the auto scaling group registers an instance with its target
# groups only after the launch lifecycle hook completes ("How lifecycle hooks work", step 3:
# https://docs.aws.amazon.com/autoscaling/ec2/userguide/lifecycle-hooks-overview.html), which this
# node does only once Ready. Registering a registered target again changes nothing, so the group's
# own registration later is harmless. Joining nodes need none of this: they reach the members that
# serve already.
register_api_target() {
  local arn='^arn:aws[a-z-]*:elasticloadbalancing:[a-z0-9-]+:[0-9]{12}:targetgroup/[A-Za-z0-9-]+/[0-9a-f]+$'
  step "register ${INSTANCE_ID} with the API load balancer's target group"
  retry 30 10 "SSM parameter ${SSM_API_TARGET_GROUP}" ssm_get "$SSM_API_TARGET_GROUP" API_TARGET_GROUP
  [[ $API_TARGET_GROUP =~ $arn ]] ||
    die "${SSM_API_TARGET_GROUP} holds '${API_TARGET_GROUP}', not a target group ARN"
  retry 10 10 "register-targets ${INSTANCE_ID} with ${API_TARGET_GROUP}" aws elbv2 register-targets \
    --target-group-arn "$API_TARGET_GROUP" --targets "Id=${INSTANCE_ID}"
}

init_cluster() {
  step "read the kubeadm version"
  KUBERNETES_VERSION=$(kubeadm version -o short)
  log "creating the cluster with Kubernetes ${KUBERNETES_VERSION}"
  step "generate the certificate key"
  CERTIFICATE_KEY=$(kubeadm certs certificate-key)
  # The encryption keys and the service-account signing key, made once (or kept, when SSM holds them)
  # and on disk before kubeadm init: kubeadm keeps the sa.key it finds.
  step "the cluster secrets"
  "${SBIN}/k8s-cluster-secrets" create
  step "render the kubeadm configuration"
  render "${CONF}/kubeadm-init.yaml.tmpl" "$KUBEADM_CONFIG" \
    API_ENDPOINT NODE_NAME NODE_IP NODE_ZONE NODE_LIFECYCLE MAX_PODS KUBERNETES_VERSION CERTIFICATE_KEY
  register_api_target
  step "kubeadm init"
  kubeadm init --config "$KUBEADM_CONFIG" --upload-certs --skip-token-print --skip-certificate-key-print
  step "publish the join parameters"
  retry 5 10 "write ${SSM_JOIN_CERTIFICATE_KEY}" ssm_put "$SSM_JOIN_CERTIFICATE_KEY" SecureString "$CERTIFICATE_KEY"
  "${SBIN}/k8s-join-refresh" token
  step "apply the add-ons"
  "${SBIN}/k8s-addons" "$BUNDLE"
}

# join_or_init_control_plane: this node becomes a control-plane member of this deployment's cluster.
join_or_init_control_plane() {
  local waiting
  step "join this deployment's cluster, or win the init lock and create it"
  waiting="join parameters under ${SSM_PREFIX}/join (written by the holder of the init lock ${SSM_INIT_LOCK})"
  retry "$JOIN_ATTEMPTS" 20 "$waiting" decide_once
  if [[ $DECISION == init ]]; then
    init_cluster
  else
    # Never a second cluster behind the same endpoint, even while its API does not answer (as during
    # an etcd restore): join it, or stop.
    log "join parameters of this deployment are in SSM: joining the existing cluster, never initialising another"
    join_cluster control-plane \
      "(this deployment's cluster exists, so this node will not run kubeadm init; see docs/troubleshooting.md)"
  fi
  # Workload identity: the service-account issuer's documents, as this node's API server serves them,
  # and the pod identity webhook's serving certificate, issued again when it nears its end.
  if [[ -n ${OIDC_BUCKET:-} ]]; then
    "${SBIN}/k8s-oidc-publish"
    "${SBIN}/k8s-webhook-cert"
  fi
}

# enable_control_plane_timers: what a control-plane member keeps running once it is one.
enable_control_plane_timers() {
  # Members whose instances are gone block every new member (etcd refuses to add one while a voting
  # member is unreachable): each member removes them within minutes.
  step "enable the etcd membership timer"
  systemctl enable --now k8s-etcd-members-prune.timer
  step "enable the join parameter refresh timers"
  systemctl enable --now k8s-join-refresh@token.timer k8s-join-refresh@certs.timer
  systemctl enable --now k8s-cert-renew.timer
  if [[ -n ${ETCD_BACKUP_BUCKET:-} ]]; then
    step "enable the etcd backup timer"
    systemctl enable --now k8s-etcd-backup.timer
  fi
}
