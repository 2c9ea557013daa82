#!/usr/bin/env bash
# Keeps the join parameters in SSM usable for nodes that start days after the cluster:
#   token  creates a bootstrap token (24 h; its timer runs every 12 h) and publishes it with the
#          CA certificate hash, and the cluster's Kubernetes version (control-plane.sh
#          publish_cluster_version: kubeadm's ClusterConfiguration);
#   certs  re-uploads the control-plane certificates under the published certificate key (kubeadm
#          deletes the upload after 2 h; its timer runs every hour).
# Both publish, last, the API endpoint of this cluster (from admin.conf): joiners use the join
# parameters only when it is theirs, never those a destroyed cluster of the same name left.
# Runs on every control-plane node, so the refresh survives the loss of any one of them.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/control-plane.sh"

ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"

# Written after the other parameters: a joiner that sees its endpoint here sees them fresh.
publish_api_endpoint() {
  step "publish the API endpoint"
  [[ $(<"$ADMIN_CONF") =~ server:[[:space:]]+https://([A-Za-z0-9.-]+):${API_SERVER_PORT} ]] ||
    die "no server https://<endpoint>:${API_SERVER_PORT} in ${ADMIN_CONF}"
  retry 5 10 "write ${SSM_JOIN_API_ENDPOINT}" ssm_put "$SSM_JOIN_API_ENDPOINT" String "${BASH_REMATCH[1]}"
}

case "${1:-}" in
  token)
    step "create a bootstrap token"
    JOIN_COMMAND=$(kubeadm token create --ttl 24h --print-join-command --kubeconfig "$ADMIN_CONF")
    [[ $JOIN_COMMAND =~ --token[[:space:]]+([a-z0-9.]+) ]] || die "kubeadm token create printed no token"
    TOKEN=${BASH_REMATCH[1]}
    [[ $JOIN_COMMAND =~ --discovery-token-ca-cert-hash[[:space:]]+(sha256:[[:xdigit:]]+) ]] ||
      die "kubeadm token create printed no CA certificate hash"
    CA_CERT_HASH=${BASH_REMATCH[1]}
    step "publish the token and the CA certificate hash"
    retry 5 10 "write ${SSM_JOIN_TOKEN}" ssm_put "$SSM_JOIN_TOKEN" SecureString "$TOKEN"
    retry 5 10 "write ${SSM_JOIN_CA_CERT_HASH}" ssm_put "$SSM_JOIN_CA_CERT_HASH" String "$CA_CERT_HASH"
    publish_cluster_version
    publish_api_endpoint
    ;;
  certs)
    step "read the certificate key"
    status=0
    ssm_get "$SSM_JOIN_CERTIFICATE_KEY" CERTIFICATE_KEY || status=$?
    if ((status == 2)); then die "cannot read ${SSM_JOIN_CERTIFICATE_KEY}"; fi
    if ((status == 1)); then CERTIFICATE_KEY=$(kubeadm certs certificate-key); fi
    step "upload the control-plane certificates"
    kubeadm init phase upload-certs --upload-certs --skip-certificate-key-print \
      --certificate-key "$CERTIFICATE_KEY" --kubeconfig "$ADMIN_CONF" >/dev/null
    step "publish the certificate key"
    retry 5 10 "write ${SSM_JOIN_CERTIFICATE_KEY}" ssm_put "$SSM_JOIN_CERTIFICATE_KEY" SecureString "$CERTIFICATE_KEY"
    publish_api_endpoint
    ;;
  *) die "usage: ${SCRIPT} token|certs" ;;
esac
log "done: join ${1} refreshed under ${SSM_PREFIX}/join"
