#!/usr/bin/env bash
# Applies the add-ons from the first control-plane node, with server-side apply (re-runs are
# harmless), from the cluster bundle k8s-bootstrap fetched and checked (argument: its folder):
#   - the AWS VPC CNI with custom networking: pods get addresses from the pods subnet of their zone
#     (one ENIConfig per zone, named after it) behind the pods security group, and external SNAT,
#     so pod egress follows the pods route table;
#   - the AWS cloud controller manager, whose cloud config names the cluster and the security
#     group for the load balancers of LoadBalancer Services;
#   - the AWS Node Termination Handler in queue mode (on the control-plane nodes), which drains a
#     worker before its instance goes; its queue's URL comes from SSM;
#   - with workload identity, the pod identity webhook, available before the optional add-ons.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

export KUBECONFIG="${ROOT}/etc/kubernetes/admin.conf"
ADDONS=${1:?usage: ${SCRIPT} BUNDLE_DIR}
APPLY=(kubectl apply --server-side --force-conflicts --field-manager=k8s-bootstrap)
[[ -f ${ADDONS}/SHA256SUMS ]] || die "${ADDONS} holds no bundle (k8s-bootstrap fetches and checks it first)"

step "read the pods subnets and the security groups"
retry 30 10 "SSM parameter ${SSM_PODS_SUBNETS}" ssm_get "$SSM_PODS_SUBNETS" PODS_SUBNETS
retry 30 10 "SSM parameter ${SSM_PODS_SECURITY_GROUP}" ssm_get "$SSM_PODS_SECURITY_GROUP" PODS_SECURITY_GROUP
retry 30 10 "SSM parameter ${SSM_LB_SECURITY_GROUP}" ssm_get "$SSM_LB_SECURITY_GROUP" LB_SECURITY_GROUP
retry 30 10 "SSM parameter ${SSM_NODE_TERMINATION_QUEUE_URL}" ssm_get "$SSM_NODE_TERMINATION_QUEUE_URL" QUEUE_URL
[[ $PODS_SECURITY_GROUP =~ ^sg-[0-9a-f]+$ ]] || die "${SSM_PODS_SECURITY_GROUP} does not hold a security group id"
[[ $LB_SECURITY_GROUP =~ ^sg-[0-9a-f]+$ ]] || die "${SSM_LB_SECURITY_GROUP} does not hold a security group id"
[[ $QUEUE_URL =~ ^https://sqs\.[a-z0-9-]+\.amazonaws\.com(\.cn)?/[0-9]{12}/[A-Za-z0-9_-]+$ ]] ||
  die "${SSM_NODE_TERMINATION_QUEUE_URL} does not hold an SQS queue URL"

step "apply the VPC CNI"
retry 10 15 "server-side apply of the VPC CNI" "${APPLY[@]}" -f "${ADDONS}/vpc-cni.yaml"

step "apply one ENIConfig per availability zone"
retry 12 10 "the ENIConfig resource type" \
  kubectl wait --for condition=established --timeout=30s crd/eniconfigs.crd.k8s.amazonaws.com
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
retry 10 15 "server-side apply of the cloud controller manager" \
  "${APPLY[@]}" -f "${ADDONS}/cloud-controller-manager.yaml"

step "apply the node termination handler"
render "${ADDONS}/node-termination-handler.yaml.tmpl" "${WORK}/node-termination-handler.yaml" QUEUE_URL
retry 10 15 "server-side apply of the node termination handler" "${APPLY[@]}" -f "${WORK}/node-termination-handler.yaml"

# Workload identity (workloadIdentity.enabled): the pod identity webhook, with its serving
# certificate and the cluster CA as its caBundle, available before the add-ons whose pods it mutates.
if [[ -f ${ADDONS}/pod-identity-webhook.yaml.tmpl ]]; then
  step "apply the pod identity webhook"
  "${ROOT}/usr/local/sbin/k8s-webhook-cert"
  # shellcheck disable=SC2034 # read by render
  CA_BUNDLE=$(base64 -w0 "${ROOT}/etc/kubernetes/pki/ca.crt")
  render "${ADDONS}/pod-identity-webhook.yaml.tmpl" "${WORK}/pod-identity-webhook.yaml" CA_BUNDLE
  retry 10 15 "server-side apply of the pod identity webhook" "${APPLY[@]}" -f "${WORK}/pod-identity-webhook.yaml"
  step "wait until the pod identity webhook is available"
  retry 30 10 "the pod identity webhook's rollout" \
    kubectl rollout status deployment/pod-identity-webhook -n kube-system --timeout=60s
fi

# The EBS CSI driver with workload identity: its controller's ServiceAccount names the role Terraform
# made for it (SSM), which its manifest also hands its pods directly (AWS_ROLE_ARN, the token).
if [[ -f ${ADDONS}/ebs-csi-driver.yaml.tmpl ]]; then
  step "apply ebs-csi-driver with its controller's role"
  retry 30 10 "SSM parameter ${SSM_EBS_CSI_ROLE_ARN}" ssm_get "$SSM_EBS_CSI_ROLE_ARN" EBS_CSI_ROLE_ARN
  [[ $EBS_CSI_ROLE_ARN =~ ^arn:aws[a-z-]*:iam::[0-9]{12}:role/[A-Za-z0-9+=,.@_/-]+$ ]] ||
    die "${SSM_EBS_CSI_ROLE_ARN} does not hold an IAM role ARN"
  render "${ADDONS}/ebs-csi-driver.yaml.tmpl" "${WORK}/ebs-csi-driver.yaml" EBS_CSI_ROLE_ARN
  retry 10 15 "server-side apply of ebs-csi-driver" "${APPLY[@]}" -f "${WORK}/ebs-csi-driver.yaml"
fi

# The add-ons the configuration can switch off (addons.*): their files are in the bundle only when on.
for f in ebs-csi-driver.yaml metrics-server.yaml cluster-autoscaler.yaml; do
  [[ -f ${ADDONS}/${f} ]] || continue
  step "apply ${f%.yaml}"
  retry 10 15 "server-side apply of ${f%.yaml}" "${APPLY[@]}" -f "${ADDONS}/${f}"
done

# The default StorageClass, after the driver: created only when absent, so a later change by an
# operator (another default, the annotation removed) stays.
create_if_absent() {
  local out
  out=$(kubectl create -f "$1" 2>&1) || [[ $out == *"(AlreadyExists)"* ]] || { echo "$out" >&2; return 1; }
}
if [[ -f ${ADDONS}/default-storage-class.yaml ]]; then
  step "create the default StorageClass unless it exists"
  retry 10 15 "the default StorageClass" create_if_absent "${ADDONS}/default-storage-class.yaml"
fi
log "done: add-ons of ${ADDONS##*/} applied"
