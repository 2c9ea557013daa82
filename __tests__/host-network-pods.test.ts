/**
 * max-pods counts the pods on the host's network (they take no VPC address), so HOST_NETWORK_PODS in
 * /etc/k8s-bootstrap/env must count every one a node of the role may run: kubeadm's static pods and
 * kube-proxy, and every host-network DaemonSet and Deployment of the manifests the node applies.
 * The expected count is read here from the bundle's YAML text as a node receives it (not from the
 * objects the code patched), so a manifest that gains or loses hostNetwork changes it.
 */
import { parseAllDocuments } from "yaml";
import { clusterBundle, renderUserData } from "../src/bootstrap";
import { BootstrapSettings } from "../src/bootstrap/settings";
import { NodeRole } from "../src/bootstrap";
import { hostNetworkPods, KUBEADM_HOST_NETWORK_PODS } from "../src/addons/host-network";
import { CLUSTER_AUTOSCALER_NAME } from "../src/addons/cluster-autoscaler";
import { EBS_CSI_CONTROLLER } from "../src/addons/ebs-csi-driver";
import { settingsFor } from "./harness/node";
import { gunzipSync } from "zlib";
import { parse } from "yaml";

const CONTROL_PLANE = "node-role.kubernetes.io/control-plane";

interface Workload {
  kind: string;
  name: string;
  replicas: number;
  ports: number;
  strategy?: string;
  selector: Record<string, string>;
  tolerations: { key?: string; operator?: string; effect?: string }[];
}

/** Every host-network DaemonSet and Deployment in the bundle's YAML files, as written. */
function hostNetworkWorkloads(settings: BootstrapSettings): Workload[] {
  return clusterBundle(settings)
    .files.filter((f) => /\.ya?ml(\.tmpl)?$/.test(f.path))
    .flatMap((f) => parseAllDocuments(f.text).map((d) => d.toJSON()))
    .filter((o: any) => ["DaemonSet", "Deployment"].includes(o?.kind) && o.spec.template.spec.hostNetwork === true)
    .map((o: any) => ({
      kind: o.kind,
      name: o.metadata.name,
      replicas: o.spec.replicas ?? 1,
      ports: o.spec.template.spec.containers.flatMap((c: any) => c.ports ?? []).length,
      strategy: o.spec.strategy?.type,
      selector: o.spec.template.spec.nodeSelector ?? {},
      tolerations: o.spec.template.spec.tolerations ?? [],
    }));
}

/** Pods of the workload one node of the role may hold: 0 if it cannot land there. */
function perNode(w: Workload, role: NodeRole): number {
  const tolerates = w.tolerations.some(
    (t) => t.key === CONTROL_PLANE || (t.key === undefined && t.operator === "Exists"),
  );
  const lands = role === "worker" ? !(CONTROL_PLANE in w.selector) : tolerates;
  if (!lands) return 0;
  // Host-network container ports are host ports: one such pod per node. Otherwise every replica.
  return w.kind === "DaemonSet" || w.ports > 0 ? 1 : w.replicas;
}

function envOf(settings: BootstrapSettings): string {
  const doc = parse(gunzipSync(Buffer.from(renderUserData(settings).userDataBase64, "base64")).toString()) as {
    write_files: { path: string; content: string }[];
  };
  return doc.write_files.find((f) => f.path === "/etc/k8s-bootstrap/env")!.content;
}

const ROLES: NodeRole[] = ["control-plane", "worker"];
const VARIANTS: [string, Partial<BootstrapSettings>][] = [
  ["with workload identity", { workloadIdentity: { bucket: "k8s-cluster-oidc-ap-northeast-2" } }],
  ["without workload identity", {}],
];

describe.each(VARIANTS)("%s", (_name, extra) => {
  test.each(ROLES)("%s: HOST_NETWORK_PODS is kubeadm's pods plus the manifests' host-network pods", (role) => {
    const settings = settingsFor(role, extra);
    const fromManifests = hostNetworkWorkloads(settings).reduce((n, w) => n + perNode(w, role), 0);
    const expected = KUBEADM_HOST_NETWORK_PODS[role].length + fromManifests;
    expect(envOf(settings)).toContain(`HOST_NETWORK_PODS=${expected}\n`);
    expect(hostNetworkPods(clusterBundle(settings), role)).toHaveLength(expected);
  });
});

test("the host-network Deployments on the control-plane nodes are counted there, not on workers", () => {
  const withIdentity = settingsFor("control-plane", VARIANTS[0][1]);
  const without = settingsFor("control-plane");
  const cp = hostNetworkPods(clusterBundle(withIdentity), "control-plane");
  expect(cp).toEqual(expect.arrayContaining([CLUSTER_AUTOSCALER_NAME, "aws-node-termination-handler"]));
  // With workload identity the EBS CSI controller is in the pod network; without, on the host's.
  expect(cp).not.toContain(EBS_CSI_CONTROLLER);
  expect(hostNetworkPods(clusterBundle(without), "control-plane")).toContain(EBS_CSI_CONTROLLER);
  const workers = hostNetworkPods(clusterBundle(settingsFor("worker", VARIANTS[0][1])), "worker");
  expect(workers).not.toContain(CLUSTER_AUTOSCALER_NAME);
  expect(workers).not.toContain("aws-node-termination-handler");
});
