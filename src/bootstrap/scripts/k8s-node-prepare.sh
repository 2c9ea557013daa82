#!/usr/bin/env bash
# Prepares an Ubuntu 24.04 node for kubeadm, in two phases:
#   os                 swap off, modules, sysctls, networkd that leaves the CNI's routes alone,
#                      containerd (held at CONTAINERD_SERIES) with runc, the AWS CLI, and the ECR
#                      credential provider (pinned, checked against its SHA-256);
#   kubernetes VERSION kubelet, kubeadm, kubectl and cri-tools of VERSION from pkgs.k8s.io, held;
#                      containerd configured with the sandbox image that kubeadm expects.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"

APT=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)

# apt_install PACKAGE...: fresh package lists, then the install; one attempt of a retry. apt-get
# update exits 0 when a source cannot be fetched (--error-on=any makes that a failure), and a
# package Ubuntu replaced since the last update would 404. The packages are held after the first
# boot: a re-run of the bootstrap may move them to the build the archive has now.
apt_install() {
  "${APT[@]}" --error-on=any update || return 1
  "${APT[@]}" --allow-change-held-packages install "$@"
}
K8S_REPO="https://pkgs.k8s.io/core:/stable:/v${K8S_MINOR}/deb/"
KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg

install_aws_cli() {
  # On a first boot snapd may still be seeding; installs fail until it is done.
  snap wait system seed.loaded || return 1
  snap install aws-cli --classic
}

# download URL FILE SHA256: FILE holds URL's content only when its SHA-256 is the pinned one.
download() {
  curl -fsSL --max-time 120 -o "$2" "$1" || return 1
  if ! sha256_is "$3" "$2"; then
    log "$1 does not have the pinned SHA-256 $3"
    rm -f "$2"
    return 1
  fi
}

phase_os() {
  step "disable swap"
  swapoff -a
  if [[ -f ${ROOT}/etc/fstab ]]; then sed -i -E '/\sswap\s/ s/^([^#])/#\1/' "${ROOT}/etc/fstab"; fi

  step "load kernel modules"
  modprobe overlay
  modprobe br_netfilter

  step "apply sysctls"
  sysctl --system >/dev/null

  step "restart systemd-networkd without foreign route management"
  # Before any CNI route exists: from now on networkd leaves them alone.
  systemctl restart systemd-networkd

  step "install containerd ${CONTAINERD_SERIES}.x and runc"
  # The network comes back from the restart above within seconds; a failed attempt is retried.
  retry 10 15 "apt-get install containerd" apt_install ca-certificates curl gpg containerd runc
  apt-mark hold containerd runc
  CONTAINERD_VERSION=$(dpkg-query -W -f='${Version}' containerd)
  # Configuration version 3 with bin_dirs: containerd 2.1 or later (1.7 refuses or ignores it).
  if ! [[ $CONTAINERD_VERSION =~ ^${CONTAINERD_SERIES}\.([0-9]+)\. ]] || ((BASH_REMATCH[1] < 1)); then
    die "containerd ${CONTAINERD_VERSION} is installed, not ${CONTAINERD_SERIES}.1 or later:" \
      "its configuration (version 3) would not load"
  fi
  log "containerd ${CONTAINERD_VERSION}"

  step "install the AWS CLI"
  retry 10 15 "snap install aws-cli" install_aws_cli

  step "install the ECR credential provider"
  local arch url sum
  arch=$(dpkg --print-architecture)
  case $arch in
    amd64) url=$ECR_CREDENTIAL_PROVIDER_AMD64_URL sum=$ECR_CREDENTIAL_PROVIDER_AMD64_SHA256 ;;
    arm64) url=$ECR_CREDENTIAL_PROVIDER_ARM64_URL sum=$ECR_CREDENTIAL_PROVIDER_ARM64_SHA256 ;;
    *) die "no ECR credential provider for architecture ${arch}" ;;
  esac
  retry 10 15 "${url} with SHA-256 ${sum}" download "$url" "${WORK}/ecr-credential-provider" "$sum"
  install -D -m 0755 "${WORK}/ecr-credential-provider" "${ROOT}${ECR_CREDENTIAL_PROVIDER_BIN}"
}

phase_kubernetes() {
  local version=$1 images
  [[ $version =~ ^${K8S_MINOR//./\\.}\.[0-9]+$ ]] || die "Kubernetes ${version} is not a release of ${K8S_MINOR}"

  step "add the Kubernetes v${K8S_MINOR} apt repository"
  mkdir -p "${ROOT}/etc/apt/keyrings"
  retry 10 15 "pkgs.k8s.io signing key" curl -fsSL --max-time 60 -o "${WORK}/Release.key" "${K8S_REPO}Release.key"
  gpg --batch --yes --dearmor -o "${ROOT}${KEYRING}" "${WORK}/Release.key"
  echo "deb [signed-by=${KEYRING}] ${K8S_REPO} /" >"${ROOT}/etc/apt/sources.list.d/kubernetes.list"

  step "install kubelet, kubeadm, kubectl ${version} and cri-tools ${K8S_MINOR}"
  # kubeadm 1.30+ no longer depends on kubelet, kubectl or (1.32+) cri-tools: each is named here.
  retry 10 15 "apt-get install kubelet kubeadm kubectl ${version}" apt_install \
    "kubelet=${version}-*" "kubeadm=${version}-*" "kubectl=${version}-*" "cri-tools=${K8S_MINOR}.*"
  apt-mark hold kubelet kubeadm kubectl cri-tools

  step "configure containerd"
  images=$(kubeadm config images list --kubernetes-version "v${version}")
  [[ $images =~ (^|$'\n')([^[:space:]]+/pause:[^[:space:]]+) ]] || die "kubeadm ${version} lists no pause image"
  # shellcheck disable=SC2034 # read by render
  SANDBOX_IMAGE=${BASH_REMATCH[2]}
  render "${ROOT}/etc/k8s-bootstrap/containerd.toml.tmpl" "${WORK}/containerd.toml" SANDBOX_IMAGE
  install -D -m 0644 "${WORK}/containerd.toml" "${ROOT}/etc/containerd/config.toml"
  systemctl restart containerd
  systemctl enable containerd kubelet
}

case "${1:-}" in
  os) phase_os ;;
  kubernetes) phase_kubernetes "${2:?usage: ${SCRIPT} kubernetes VERSION}" ;;
  *) die "usage: ${SCRIPT} os | kubernetes VERSION" ;;
esac
