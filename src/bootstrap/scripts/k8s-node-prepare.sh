#!/usr/bin/env bash
# Prepares an Ubuntu 24.04 node for kubeadm: swap, modules, sysctls, containerd, kubelet/kubeadm/
# kubectl held at one minor, AWS CLI, VPC CNI images (EKS's ECR needs credentials kubelet lacks).
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

APT=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)
K8S_REPO="https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/"
KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg

install_aws_cli() {
  # On a first boot snapd may still be seeding; installs fail until it is done.
  snap wait system seed.loaded || return 1
  snap install aws-cli --classic
}

pull_cni_images() {
  local password image
  local -a images
  password=$(aws ecr get-login-password --region "$VPC_CNI_ECR_REGION") || return 1
  IFS=, read -ra images <<<"$VPC_CNI_IMAGES"
  for image in "${images[@]}"; do
    crictl pull --creds "AWS:${password}" "$image" >/dev/null || return 1
  done
}

step "disable swap"
swapoff -a
if [[ -f ${ROOT}/etc/fstab ]]; then sed -i -E '/\sswap\s/ s/^([^#])/#\1/' "${ROOT}/etc/fstab"; fi

step "load kernel modules"
modprobe overlay
modprobe br_netfilter

step "apply sysctls"
sysctl --system >/dev/null

step "install containerd"
retry 10 15 "apt-get update" "${APT[@]}" update
retry 10 15 "apt-get install containerd" "${APT[@]}" install ca-certificates curl gpg containerd
install -D -m 0644 "${ROOT}/etc/k8s-bootstrap/containerd.toml" "${ROOT}/etc/containerd/config.toml"
systemctl restart containerd
systemctl enable containerd

step "add the Kubernetes v${K8S_MINOR} apt repository"
mkdir -p "${ROOT}/etc/apt/keyrings"
retry 10 15 "pkgs.k8s.io signing key" curl -fsSL --max-time 60 -o "${WORK}/Release.key" "${K8S_REPO}Release.key"
gpg --batch --yes --dearmor -o "${ROOT}${KEYRING}" "${WORK}/Release.key"
echo "deb [signed-by=${KEYRING}] ${K8S_REPO} /" >"${ROOT}/etc/apt/sources.list.d/kubernetes.list"

step "install kubelet, kubeadm and kubectl ${K8S_MINOR}"
retry 10 15 "apt-get update" "${APT[@]}" update
retry 10 15 "apt-get install kubelet kubeadm kubectl" "${APT[@]}" install kubelet kubeadm kubectl
apt-mark hold kubelet kubeadm kubectl
systemctl enable kubelet

step "install the AWS CLI"
retry 10 15 "snap install aws-cli" install_aws_cli

step "pull the VPC CNI images"
retry 10 15 "VPC CNI images from ECR" pull_cni_images
