#!/usr/bin/env bash
# Upgrades this control-plane node's Kubernetes in place, one minor at a time:
#   k8s-upgrade VERSION     (1.35.8 or v1.35.8: a release this build pins, KUBERNETES_VERSIONS)
# On the first control-plane node it runs on, the cluster is older than VERSION: kubeadm upgrade
# apply, and the cloud controller moves to the image of the new minor. On the others the cluster is
# at VERSION already: kubeadm upgrade node. Either way the cluster's version (kubeadm's
# ClusterConfiguration) is then published to SSM (what joining nodes install, and what Terraform
# compares kubernetesVersion with). Then kubelet, kubectl and
# cri-tools, with the node drained around the kubelet restart. Refused before anything changes: a
# version this build does not pin, a downgrade, a skipped minor, a node behind its cluster. Holds
# the control-plane maintenance Lease (lease.sh): no other node restarts its control plane (an
# upgrade or a certificate renewal) meanwhile.
set -euo pipefail
set -o errtrace
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/lib.sh"
# shellcheck source=/dev/null
. "${K8S_ROOT:-}/usr/local/lib/k8s-bootstrap/control-plane.sh"
# shellcheck source=/dev/null
. "${ROOT}/usr/local/lib/k8s-bootstrap/lease.sh"

KUBERNETES_VERSIONS="${ROOT}/etc/k8s-bootstrap/kubernetes-versions"
ADMIN_CONF="${ROOT}/etc/kubernetes/admin.conf"
KEYRING=/etc/apt/keyrings/kubernetes-apt-keyring.gpg
APT=(apt-get -y -q -o DPkg::Lock::Timeout=600 -o Dpkg::Options::=--force-confold)
KUBECTL=(kubectl --kubeconfig "$ADMIN_CONF")

# As k8s-node-prepare: fresh package lists (a source that cannot be fetched is an error), then the
# install; the packages are held, so the install names --allow-change-held-packages.
apt_install() {
  "${APT[@]}" --error-on=any update || return 1
  "${APT[@]}" --allow-change-held-packages install "$@"
}

minor() { echo "${1%.*}"; }
# minor_number VERSION: 35 of 1.35.8.
minor_number() {
  local rest=${1#*.}
  echo "${rest%%.*}"
}
# older A B: version A is older than version B.
older() { [[ $1 != "$2" && $(printf '%s\n' "$1" "$2" | sort -V | head -n1) == "$1" ]]; }

# use_repository MINOR: apt reads Kubernetes packages from pkgs.k8s.io's repository of MINOR.
use_repository() {
  local repo="https://pkgs.k8s.io/core:/stable:/v${1}/deb/"
  retry 10 15 "pkgs.k8s.io signing key" curl -fsSL --max-time 60 -o "${WORK}/Release.key" "${repo}Release.key"
  gpg --batch --yes --dearmor -o "${ROOT}${KEYRING}" "${WORK}/Release.key"
  echo "deb [signed-by=${KEYRING}] ${repo} /" >"${ROOT}/etc/apt/sources.list.d/kubernetes.list"
}

# configure_containerd: the sandbox image the new kubeadm lists (as k8s-node-prepare does at boot).
configure_containerd() {
  local images
  images=$(kubeadm config images list --kubernetes-version "v${TARGET}")
  [[ $images =~ (^|$'\n')([^[:space:]]+/pause:[^[:space:]]+) ]] || die "kubeadm ${TARGET} lists no pause image"
  # shellcheck disable=SC2034 # read by render
  SANDBOX_IMAGE=${BASH_REMATCH[2]}
  render "${ROOT}/etc/k8s-bootstrap/containerd.toml.tmpl" "${WORK}/containerd.toml" SANDBOX_IMAGE
  if cmp -s "${WORK}/containerd.toml" "${ROOT}/etc/containerd/config.toml"; then return 0; fi
  install -D -m 0644 "${WORK}/containerd.toml" "${ROOT}/etc/containerd/config.toml"
  systemctl restart containerd
}

TARGET=${1:-}
TARGET=${TARGET#v}
[[ $# == 1 && $TARGET =~ ^[0-9]+\.[0-9]+\.[0-9]+$ ]] ||
  die "usage: ${SCRIPT} VERSION (a release in ${KUBERNETES_VERSIONS})"
TARGET_MINOR=$(minor "$TARGET")

step "check the target version"
declare -A PATCH=() CLOUD_CONTROLLER=()
while read -r pin_minor pin_patch pin_image; do
  [[ -n $pin_minor && $pin_minor != \#* ]] || continue
  PATCH[$pin_minor]=$pin_patch
  CLOUD_CONTROLLER[$pin_minor]=$pin_image
done <"$KUBERNETES_VERSIONS"
PINNED=$(printf '%s\n' "${PATCH[@]}" | sort -V | paste -sd ' ')
if [[ ${PATCH[$TARGET_MINOR]:-} != "$TARGET" ]]; then
  die "Kubernetes ${TARGET} is not a release this build pins (${PINNED}):" \
    "another one needs a build that pins it (docs/upgrades.md)"
fi

step "read the cluster's Kubernetes version"
retry 5 10 "the kubeadm-config ConfigMap (kubeadm's ClusterConfiguration)" read_cluster_version
NODE_VERSION=$(dpkg-query -W -f='${Version}' kubelet)
NODE_VERSION=${NODE_VERSION%%-*}
log "cluster ${CLUSTER_VERSION}, this node's kubelet ${NODE_VERSION}, target ${TARGET}"
if older "$TARGET" "$CLUSTER_VERSION"; then
  die "${TARGET} is older than the cluster's ${CLUSTER_VERSION}: downgrades are refused"
fi
if (($(minor_number "$TARGET") > $(minor_number "$CLUSTER_VERSION") + 1)); then
  NEXT="${CLUSTER_VERSION%%.*}.$(($(minor_number "$CLUSTER_VERSION") + 1))"
  die "${TARGET} skips a minor: the cluster runs ${CLUSTER_VERSION};" \
    "upgrade to ${PATCH[$NEXT]:-the next minor} first, one minor at a time"
fi
if [[ $CLUSTER_VERSION == "$TARGET" ]]; then
  MODE=node
  if [[ $NODE_VERSION == "$TARGET" ]]; then
    log "done: this node runs Kubernetes ${TARGET} already, as its cluster; nothing to do"
    exit 0
  fi
  if (($(minor_number "$TARGET") > $(minor_number "$NODE_VERSION") + 1)); then
    die "this node runs ${NODE_VERSION}: ${TARGET} skips a minor; such a node is replaced, not upgraded"
  fi
else
  MODE=apply
  [[ $NODE_VERSION == "$CLUSTER_VERSION" ]] ||
    die "this node runs ${NODE_VERSION}, not its cluster's ${CLUSTER_VERSION}:" \
      "run '${SCRIPT} ${CLUSTER_VERSION}' here first"
fi

step "read instance metadata"
retry 5 3 "instance metadata (IMDSv2)" imds_get local-hostname NODE_NAME

step "take the control-plane maintenance Lease"
status=0
lease_acquire "${NODE_NAME}/${SCRIPT}" 10 30 || status=$?
if ((status == 1)); then die "${LEASE_HOLDER} holds ${LEASE}: run again when it is done"; fi
((status == 0)) || die "cannot take ${LEASE} through ${ADMIN_CONF}"

step "install kubeadm ${TARGET}"
use_repository "$TARGET_MINOR"
retry 10 15 "apt-get install kubeadm ${TARGET}" apt_install "kubeadm=${TARGET}-*"
apt-mark hold kubeadm
INSTALLED=$(kubeadm version -o short)
[[ $INSTALLED == "v${TARGET}" ]] || die "apt installed kubeadm ${INSTALLED}, not v${TARGET}"

# Both modes publish the cluster's version right after kubeadm: a run that stopped between
# kubeadm upgrade apply and the publication is made good by the next run on any node.
if [[ $MODE == apply ]]; then
  step "kubeadm upgrade apply v${TARGET}"
  kubeadm upgrade apply "v${TARGET}" --yes
  publish_cluster_version
  step "move the cloud controller to ${TARGET_MINOR}"
  "${KUBECTL[@]}" --namespace kube-system set image daemonset/aws-cloud-controller-manager \
    "aws-cloud-controller-manager=${CLOUD_CONTROLLER[$TARGET_MINOR]}" >&2
else
  step "kubeadm upgrade node"
  kubeadm upgrade node
  publish_cluster_version
fi

step "drain ${NODE_NAME}"
"${KUBECTL[@]}" drain "$NODE_NAME" --ignore-daemonsets --delete-emptydir-data --timeout=10m >&2

step "install kubelet and kubectl ${TARGET}"
retry 10 15 "apt-get install kubelet kubectl ${TARGET}" apt_install \
  "kubelet=${TARGET}-*" "kubectl=${TARGET}-*" "cri-tools=${TARGET_MINOR}.*"
apt-mark hold kubelet kubectl cri-tools
configure_containerd
systemctl daemon-reload
systemctl restart kubelet

step "wait until ${NODE_NAME} is Ready"
retry 30 10 "node ${NODE_NAME} to be Ready" "${KUBECTL[@]}" wait --for=condition=Ready "node/${NODE_NAME}" --timeout=10s

step "uncordon ${NODE_NAME}"
"${KUBECTL[@]}" uncordon "$NODE_NAME" >&2

step "release the control-plane maintenance Lease"
lease_release "${NODE_NAME}/${SCRIPT}" || log "could not release ${LEASE}; it expires by itself"
if [[ $MODE == apply ]]; then
  log "done: the cluster runs Kubernetes ${TARGET} (kubeadm upgrade apply on ${NODE_NAME});" \
    "run '${SCRIPT} ${TARGET}' on each other control-plane node, one at a time"
else
  log "done: ${NODE_NAME} runs Kubernetes ${TARGET} (kubeadm upgrade node)"
fi
