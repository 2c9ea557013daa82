#!/usr/bin/env bash
# Applies the add-ons from the first control-plane node, with server-side apply (re-runs are
# harmless). They come as one bundle from the assets bucket over the S3 gateway endpoint, named by
# the SHA-256 of its SHA256SUMS, which user data carries (ADDONS_DIGEST): every file is checked
# before anything is applied.
#   - the AWS VPC CNI with custom networking: pods get addresses from the pods subnet of their zone
#     (one ENIConfig per zone, named after it) behind the pods security group, and external SNAT,
#     so pod egress follows the pods route table;
#   - the AWS cloud controller manager, whose cloud config names the cluster and the security
#     group for the load balancers of LoadBalancer Services.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
ADDONS="${ROOT}/var/lib/k8s-bootstrap/addons/${ADDONS_DIGEST}"
APPLY=(kubectl apply --server-side --force-conflicts --field-manager=k8s-bootstrap)

# fetch_bundle: the bundle's files into ADDONS, complete and unchanged, or failure.
fetch_bundle() {
  rm -rf "$ADDONS"
  mkdir -p "$ADDONS"
  aws s3 cp --recursive --only-show-errors "s3://${ASSETS_BUCKET}/addons/${ADDONS_DIGEST}/" "${ADDONS}/" || return 1
  if ! printf '%s  %s\n' "$ADDONS_DIGEST" "${ADDONS}/SHA256SUMS" | sha256sum -c --quiet --status; then
    log "s3://${ASSETS_BUCKET}/addons/${ADDONS_DIGEST}/SHA256SUMS is missing or not the bundle this node was made for"
    return 1
  fi
  (cd "$ADDONS" && sha256sum -c --quiet --strict SHA256SUMS) || return 1
}

step "read the pods subnets, the security groups and the assets bucket"
retry 30 10 "SSM parameter ${SSM_PODS_SUBNETS}" ssm_get "$SSM_PODS_SUBNETS" PODS_SUBNETS
retry 30 10 "SSM parameter ${SSM_PODS_SECURITY_GROUP}" ssm_get "$SSM_PODS_SECURITY_GROUP" PODS_SECURITY_GROUP
retry 30 10 "SSM parameter ${SSM_LB_SECURITY_GROUP}" ssm_get "$SSM_LB_SECURITY_GROUP" LB_SECURITY_GROUP
retry 30 10 "SSM parameter ${SSM_ASSETS_BUCKET}" ssm_get "$SSM_ASSETS_BUCKET" ASSETS_BUCKET
[[ $PODS_SECURITY_GROUP =~ ^sg-[0-9a-f]+$ ]] || die "${SSM_PODS_SECURITY_GROUP} does not hold a security group id"
[[ $LB_SECURITY_GROUP =~ ^sg-[0-9a-f]+$ ]] || die "${SSM_LB_SECURITY_GROUP} does not hold a security group id"

step "download the add-on bundle ${ADDONS_DIGEST:0:12}"
retry 10 15 "add-on bundle s3://${ASSETS_BUCKET}/addons/${ADDONS_DIGEST}/ (every file as its SHA256SUMS says)" fetch_bundle

step "apply the VPC CNI"
retry 10 15 "server-side apply of the VPC CNI" "${APPLY[@]}" -f "${ADDONS}/vpc-cni.yaml"

step "apply one ENIConfig per availability zone"
retry 12 10 "the ENIConfig resource type" kubectl wait --for condition=established --timeout=30s crd/eniconfigs.crd.k8s.amazonaws.com
mkdir -p "${WORK}/eniconfigs"
IFS=, read -ra PAIRS <<<"$PODS_SUBNETS"
((${#PAIRS[@]} > 0)) || die "${SSM_PODS_SUBNETS} is empty"
for PAIR in "${PAIRS[@]}"; do
  ZONE=${PAIR%%=*}
  SUBNET=${PAIR#*=}
  [[ $ZONE =~ ^[a-z0-9-]+$ && $SUBNET =~ ^subnet-[0-9a-f]+$ ]] ||
    die "${SSM_PODS_SUBNETS}: '${PAIR}' is not zone=subnet-id"
  render "${ADDONS}/eniconfig.yaml.tmpl" "${WORK}/eniconfigs/${ZONE}.yaml" ZONE SUBNET PODS_SECURITY_GROUP
done
retry 10 15 "server-side apply of the ENIConfigs" "${APPLY[@]}" -f "${WORK}/eniconfigs"

step "apply the cloud controller manager"
render "${ADDONS}/cloud.conf.tmpl" "${WORK}/cloud.conf" LB_SECURITY_GROUP
kubectl create configmap aws-cloud-config --namespace kube-system --from-file=cloud.conf="${WORK}/cloud.conf" \
  --dry-run=client -o yaml >"${WORK}/cloud-config.yaml"
retry 10 15 "server-side apply of the cloud config" "${APPLY[@]}" -f "${WORK}/cloud-config.yaml"
retry 10 15 "server-side apply of the cloud controller manager" "${APPLY[@]}" -f "${ADDONS}/cloud-controller-manager.yaml"
log "done: add-ons of bundle ${ADDONS_DIGEST:0:12} applied"
