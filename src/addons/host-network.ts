/**
 * Pods on the host's network per node role: kubelet's max-pods counts them, but they take no
 * address from the VPC CNI, so max-pods = addresses the ENIs give pods + these.
 */
import { AddonBundle } from "./bundle";
import { PodSpec } from "./patches";

export type HostRole = "control-plane" | "worker";

/**
 * Host-network pods kubeadm itself runs. Static pods on control-plane nodes: etcd, kube-apiserver,
 * kube-controller-manager, kube-scheduler (kubernetes/kubernetes cmd/kubeadm/app/util/staticpod/
 * utils.go ComponentPod sets hostNetwork). kube-proxy on every node (cmd/kubeadm/app/phases/addons/
 * proxy/manifests.go: a DaemonSet with hostNetwork and a toleration of every taint).
 */
export const KUBEADM_HOST_NETWORK_PODS: Readonly<Record<HostRole, readonly string[]>> = Object.freeze({
  "control-plane": ["etcd", "kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"],
  worker: ["kube-proxy"],
});

/** What a node of the role carries: label and taint kubeadm puts on control-plane nodes. */
const CONTROL_PLANE_LABEL = "node-role.kubernetes.io/control-plane";

function schedulesOn(spec: PodSpec, role: HostRole): boolean {
  const selector = spec.nodeSelector ?? {};
  const needsControlPlane = CONTROL_PLANE_LABEL in selector;
  if (role === "worker") return !needsControlPlane;
  // kubeadm taints control-plane nodes node-role.kubernetes.io/control-plane:NoSchedule.
  const tolerates = (spec.tolerations ?? []).some(
    (t) =>
      (t.key === undefined ? t.operator === "Exists" : t.key === CONTROL_PLANE_LABEL) &&
      (t.effect === undefined || t.effect === "NoSchedule"),
  );
  return tolerates;
}

/**
 * Names of the host-network pods a node of the role runs: kubeadm's, and every host-network DaemonSet of the bundle
 * that schedules there.
 */
export function hostNetworkPods(bundle: AddonBundle, role: HostRole): string[] {
  const daemonSets = bundle.files.flatMap((f) =>
    f.objects
      .filter((o) => o.kind === "DaemonSet")
      .flatMap((o) => {
        const spec = (o.spec as { template: { spec: PodSpec } }).template.spec;
        return spec.hostNetwork === true && schedulesOn(spec, role) ? [o.metadata.name] : [];
      }),
  );
  return [...KUBEADM_HOST_NETWORK_PODS[role], ...daemonSets];
}
