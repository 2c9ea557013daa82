/**
 * The container runtime: containerd 2.x from Ubuntu's archive, pinned to its major, and crictl
 * pointed at it. Neither configuration depends on the cluster's configuration, so both are files in
 * the repository: src/bootstrap/files/etc/crictl.yaml and
 * src/bootstrap/files/etc/k8s-bootstrap/containerd.toml.tmpl (configuration version 3, containerd
 * docs/cri/config.md at v2.2: the runc runtime with the systemd cgroup driver, the kubelet's
 * default; the CNI folders kubernetes-cni and the VPC CNI use; the sandbox image the installed
 * kubeadm expects, filled in at boot from `kubeadm config images list`; registry host configuration
 * from certs.d). containerd 1.7 would refuse or ignore a version 3 file, so the node installs
 * containerd from the pinned series and checks it before it writes the configuration.
 */
import { CONTAINERD_SERIES } from "./versions";

/**
 * The socket the kubelet (kubeadm's criSocket) and crictl talk to. crictl (cri-tools, which
 * kubeadm's preflight runs) is pointed at it by a file in the repository,
 * src/bootstrap/files/etc/crictl.yaml, that names this socket (a unit test holds them equal).
 */
export const CRI_SOCKET = "unix:///run/containerd/containerd.sock";

/** apt pin of containerd's major (Ubuntu replaces builds in noble-updates, so a major, not a build). */
export function containerdAptPreferences(): string {
  return `Package: containerd\nPin: version ${CONTAINERD_SERIES}.*\nPin-Priority: 1001\n`;
}
