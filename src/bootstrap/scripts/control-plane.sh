#!/usr/bin/env bash
# Helpers of the control-plane scripts (from the cluster bundle), sourced after lib.sh: SSM writes
# (the join parameters, the init lock), which instances still exist, the cluster's version (read and
# published), and etcdctl in the etcd static pod's container (Ubuntu has no etcdctl; the container
# mounts kubeadm's etcd certificates from the host at CTR_PKI).
CTR_PKI=/etc/kubernetes/pki/etcd

# ssm_put NAME TYPE VALUE: overwrites a parameter; the value goes via a private file, not argv.
ssm_put() {
  local file="${WORK}/ssm.value"
  (umask 077 && printf '%s' "$3" >"$file") || return 1
  aws ssm put-parameter --name "$1" --type "$2" --overwrite --value "file://${file}" >/dev/null || return 1
  rm -f "$file"
}

# ssm_create NAME VALUE [TYPE [KMS-KEY]]: creates a parameter (String unless TYPE; a SecureString
# with KMS-KEY is encrypted with that key, else with aws/ssm), never overwriting one (an atomic
# create); the value goes via a private file, not argv. Status 0 created, 1 it exists already
# (ParameterAlreadyExists), 2 other error (printed).
ssm_create() {
  local file="${WORK}/ssm.value" status=0
  local -a key=()
  if [[ -n ${4:-} ]]; then key=(--key-id "$4"); fi
  (umask 077 && printf '%s' "$2" >"$file") || return 2
  aws ssm put-parameter --name "$1" --type "${3:-String}" "${key[@]}" --value "file://${file}" >/dev/null \
    2>"${WORK}/ssm.err" || status=$?
  rm -f "$file"
  if ((status == 0)); then return 0; fi
  if grep -q ParameterAlreadyExists "${WORK}/ssm.err"; then return 1; fi
  log "creating $1: $(head -c 300 "${WORK}/ssm.err")"
  return 2
}

# ssm_delete NAME: the parameter is gone afterwards (deleted now, or already).
ssm_delete() {
  aws ssm delete-parameter --name "$1" 2>"${WORK}/ssm.err" && return 0
  grep -q ParameterNotFound "${WORK}/ssm.err" && return 0
  log "deleting $1: $(head -c 300 "${WORK}/ssm.err")"
  return 1
}

# live_instances FILTER: prints the ids of the instances that match FILTER (Name=...,Values=...) and
# can still run: pending, running, stopping or stopped, never shutting-down or terminated. Prints
# nothing when there are none; fails when EC2 cannot be read.
live_instances() {
  aws ec2 describe-instances --filters "$1" Name=instance-state-name,Values=pending,running,stopping,stopped \
    --query 'Reservations[].Instances[].InstanceId' --output text
}

# find_container NAME: sets CONTAINER to the running container of this node's static pod NAME.
find_container() {
  local ids
  ids=$(crictl ps --name "^${1}\$" --label io.kubernetes.pod.namespace=kube-system --state running --quiet) || return 1
  CONTAINER=${ids%%$'\n'*}
  [[ -n $CONTAINER ]]
}

# find_etcd: sets CONTAINER to the running etcd container of this node's static pod.
find_etcd() {
  find_container etcd
}

# in_etcd SECONDS COMMAND...: runs COMMAND in the etcd container; the runtime kills it after SECONDS.
in_etcd() {
  local seconds=$1
  shift
  crictl exec --sync --timeout "$seconds" "$CONTAINER" "$@"
}

# etcdctl_at SECONDS ENDPOINT ARG...: etcdctl in the etcd container (find_etcd first) against ENDPOINT,
# with kubeadm's healthcheck client certificate, which etcd accepts for any request.
etcdctl_at() {
  local seconds=$1 endpoint=$2
  shift 2
  in_etcd "$seconds" etcdctl --endpoints="$endpoint" --cacert="${CTR_PKI}/ca.crt" \
    --cert="${CTR_PKI}/healthcheck-client.crt" --key="${CTR_PKI}/healthcheck-client.key" "$@"
}

# etcdctl_local SECONDS ARG...: etcdctl_at this node's own member.
etcdctl_local() {
  local seconds=$1
  shift
  etcdctl_at "$seconds" "https://127.0.0.1:${ETCD_CLIENT_PORT}" "$@"
}

# read_cluster_version: CLUSTER_VERSION (X.Y.Z) is kubernetesVersion of kubeadm's ClusterConfiguration
# (ConfigMap kube-system/kubeadm-config): what kubeadm init wrote, and kubeadm upgrade apply rewrites
# once it has upgraded its node's control plane. Never an API server's /version: during an upgrade,
# the one behind the load balancer that answers may still be an old one.
read_cluster_version() {
  local config
  config=$(kubectl --kubeconfig "${ROOT}/etc/kubernetes/admin.conf" --namespace kube-system get configmap \
    kubeadm-config -o 'jsonpath={.data.ClusterConfiguration}') || return 1
  [[ $config =~ (^|$'\n')kubernetesVersion:[[:space:]]*v?([0-9]+\.[0-9]+\.[0-9]+) ]] || return 1
  CLUSTER_VERSION=${BASH_REMATCH[2]}
}

# publish_cluster_version: the cluster's version (read_cluster_version) to SSM, as vX.Y.Z: what
# joining nodes install, and what Terraform's precondition compares kubernetesVersion with.
publish_cluster_version() {
  step "publish the cluster's Kubernetes version"
  retry 5 10 "the kubeadm-config ConfigMap (kubeadm's ClusterConfiguration)" read_cluster_version
  retry 5 10 "write ${SSM_CLUSTER_VERSION}" ssm_put "$SSM_CLUSTER_VERSION" String "v${CLUSTER_VERSION}"
}
