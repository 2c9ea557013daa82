/**
 * Pods on the host's network per node role: kubelet's max-pods counts them, but they take no
 * address from the VPC CNI, so max-pods = addresses the ENIs give pods + these (DaemonSets and
 * Deployments alike).
 */
import { AddonBundle } from "./bundle";
import { CONTROL_PLANE_NODE_LABEL, KubeObject, PodSpec } from "./patches";

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

function schedulesOn(spec: PodSpec, role: HostRole): boolean {
  const selector = spec.nodeSelector ?? {};
  const needsControlPlane = CONTROL_PLANE_NODE_LABEL in selector;
  if (role === "worker") return !needsControlPlane;
  // kubeadm taints control-plane nodes node-role.kubernetes.io/control-plane:NoSchedule.
  const tolerates = (spec.tolerations ?? []).some(
    (t) =>
      (t.key === undefined ? t.operator === "Exists" : t.key === CONTROL_PLANE_NODE_LABEL) &&
      (t.effect === undefined || t.effect === "NoSchedule"),
  );
  return tolerates;
}

/**
 * At most how many pods of a host-network Deployment one node runs. A host-network pod's container
 * ports are host ports (the API server defaults hostPort to containerPort with hostNetwork), and
 * the scheduler's NodePorts filter puts no two pods with the same host port on one node: one. A
 * Deployment without ports is bounded only by its replicas, and only with Recreate (a rolling
 * update may surge a replica more); anything else is refused rather than guessed.
 */
function deploymentPodsPerNode(o: KubeObject, spec: PodSpec): number {
  if (spec.containers.some((c) => ((c.ports as unknown[] | undefined) ?? []).length > 0)) return 1;
  const deployment = o.spec as { replicas?: number; strategy?: { type?: string } };
  if (deployment.strategy?.type === "Recreate") return deployment.replicas ?? 1;
  throw new Error(
    `addons: host-network Deployment ${o.metadata.name} declares no port and rolls with surge: ` +
      "cannot bound its pods per node for max-pods; give it a container port or the Recreate strategy",
  );
}

/**
 * Names of the host-network pods a node of the role may run, once per pod: kubeadm's, every
 * host-network DaemonSet of the bundle that schedules there, and every host-network Deployment that
 * schedules there (the cluster autoscaler, the node termination handler, the EBS CSI controller
 * without workload identity), each as often as one node may hold its pods. A Deployment's pod is
 * counted on every node of the role, though it runs on one of them: a node that does not run it
 * admits that many pods more than it has addresses for, which on the tainted control-plane nodes
 * (only tolerating pods) stays far from the limit, while not counting it could leave the
 * controller Pending on a full node.
 */
export function hostNetworkPods(bundle: AddonBundle, role: HostRole): string[] {
  const workloads = bundle.files.flatMap((f) =>
    f.objects
      .filter((o) => o.kind === "DaemonSet" || o.kind === "Deployment")
      .flatMap((o) => {
        const spec = (o.spec as { template: { spec: PodSpec } }).template.spec;
        if (spec.hostNetwork !== true || !schedulesOn(spec, role)) return [];
        const count = o.kind === "DaemonSet" ? 1 : deploymentPodsPerNode(o, spec);
        return Array.from({ length: count }, () => o.metadata.name);
      }),
  );
  return [...KUBEADM_HOST_NETWORK_PODS[role], ...workloads];
}
