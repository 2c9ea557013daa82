/**
 * The AWS EBS CSI driver: the kustomize base upstream installs (addons/aws-ebs-csi-driver/<version>/,
 * deploy/kubernetes/base of kubernetes-sigs/aws-ebs-csi-driver, byte for byte), rendered here as
 * its kustomization.yaml does, then our changes for this cluster as visible patches; and the
 * cluster's default StorageClass (ours, a typed object) in a file of its own, created when absent.
 * Volumes are created by the controller (a Deployment on the control-plane nodes) and attached and
 * mounted by the node plugin (a DaemonSet on every node).
 *
 * AWS credentials: pods cannot reach the instance metadata service (IMDSv2, hop limit 1). With
 * workload identity (the default) the controller's ServiceAccount names a role of its own
 * (eks.amazonaws.com/role-arn, the ARN filled in on the node from SSM: the file is then a
 * template), its plugin container carries the token and variables the pod identity webhook would
 * inject (written here, so a controller pod created while the webhook is down still gets them:
 * addWebIdentity), and the controller runs in the pod network on the control-plane nodes. Without
 * workload identity it runs with the host's network there and uses their instance role, as the node
 * termination handler does. Its policy either way: src/aws/iam/ebs-csi-driver.ts.
 */
import { parse } from "yaml";
import { parseObjects } from "./manifest-objects";
import type { IStorageClass } from "kubernetes-models/storage.k8s.io/v1/StorageClass";
import type { BundleFile } from "./bundle";
import { yamlDocs } from "../bootstrap/yaml-text";
import { VendoredAddon } from "./vendored";
import { KubeObject, PatchError, addArgs, container, find, onControlPlaneNodes, podSpec, setEnv } from "./patches";
import { ROLE_ARN_ANNOTATION, addWebIdentity } from "./pod-identity-webhook";

/** The driver's name: csidriver.yaml metadata.name, the StorageClass provisioner. */
export const EBS_CSI_PROVISIONER = "ebs.csi.aws.com";
/** Workload and container names of controller.yaml and node.yaml. */
export const EBS_CSI_CONTROLLER = "ebs-csi-controller";
export const EBS_CSI_NODE = "ebs-csi-node";
export const EBS_CSI_PLUGIN = "ebs-plugin";
/** The cluster's default StorageClass. */
export const DEFAULT_STORAGE_CLASS_NAME = "gp3";

export interface EbsCsiSettings {
  readonly clusterName: string;
  readonly region: string;
  /** Control-plane nodes: the controller runs at most one replica per node (host network). */
  readonly controlPlaneCount?: number;
  /** Workload identity: the controller's role through its ServiceAccount, not the host's. */
  readonly workloadIdentity?: boolean;
}

/** The controller's ServiceAccount (serviceaccount-csi-controller.yaml). */
export const EBS_CSI_CONTROLLER_SA = "ebs-csi-controller-sa";
/** What k8s-addons replaces with the controller role's ARN (SSM workload-identity/ebs-csi-controller-role-arn). */
export const EBS_CSI_ROLE_ARN_PLACEHOLDER = "__EBS_CSI_ROLE_ARN__";

/** Kinds the base holds, by scope; a re-vendored base with another kind fails here, not on a node. */
const CLUSTER_SCOPED = ["ClusterRole", "ClusterRoleBinding", "CSIDriver"];
const NAMESPACED = ["ServiceAccount", "Role", "RoleBinding", "Deployment", "DaemonSet", "PodDisruptionBudget"];

interface Kustomization {
  apiVersion: string;
  kind: string;
  namespace: string;
  resources: string[];
}

/**
 * The objects `kubectl kustomize` makes of the vendored base: the files of `resources` in order,
 * every namespaced object in the kustomization's namespace, and the ServiceAccount subjects of
 * (Cluster)RoleBindings too (the base's files name no namespace). Anything else a kustomization
 * can do (images, patches, labels, ...) is refused, so a re-vendored base that starts using it
 * fails synth instead of being applied half-rendered.
 */
export function kustomizedObjects(v: VendoredAddon): KubeObject[] {
  const base = `${v.source.name}/${v.source.version}`;
  const text = (f: string) => {
    const found = v.files.find((x) => x.path === `${base}/${f}`);
    if (!found) throw new Error(`addons/${base}: kustomization.yaml lists ${f}, which is not vendored`);
    return found.text;
  };
  const k = parse(text("kustomization.yaml")) as Kustomization;
  const other = Object.keys(k).filter((key) => !["apiVersion", "kind", "namespace", "resources"].includes(key));
  if (other.length) throw new Error(`addons/${base}/kustomization.yaml uses ${other.join(", ")}; render it here first`);
  return k.resources.flatMap((r) =>
    parseObjects(text(r), `addons/${base}/${r}`).map((o) => {
      if (NAMESPACED.includes(o.kind)) o.metadata.namespace = k.namespace;
      else if (!CLUSTER_SCOPED.includes(o.kind))
        throw new Error(`addons/${base}/${r}: ${o.kind} is neither a known namespaced nor cluster-scoped kind`);
      for (const s of (o.subjects as { kind: string; namespace?: string }[] | undefined) ?? [])
        if (s.kind === "ServiceAccount" && s.namespace === undefined) s.namespace = k.namespace;
      return o;
    }),
  );
}

/**
 * The node plugin reads its instance id, type, region and zone from its Node object instead of
 * IMDS, which pods cannot reach here (hop limit 1): `--metadata-sources=kubernetes`
 * (pkg/driver/options.go at the tag; pkg/cloud/metadata/k8s.go reads spec.providerID and the
 * labels node.kubernetes.io/instance-type, topology.kubernetes.io/region and
 * topology.kubernetes.io/zone, which the cloud controller sets when it initialises the node).
 * Without the flag it tries IMDS first (metadata.go DefaultMetadataSources) and waits for it to
 * time out on every start.
 */
export const NODE_PLUGIN_ARGS: readonly string[] = Object.freeze(["--metadata-sources=kubernetes"]);
/** The label the node plugin waits for (the cloud controller sets it with the others, in one update). */
export const INITIALISED_NODE_LABEL = "node.kubernetes.io/instance-type";

/**
 * The controller's tags and region. `--k8s-tag-cluster-id` puts kubernetes.io/cluster/<name>=owned
 * (and KubernetesCluster, ebs.csi.aws.com/cluster-name, Name) on every volume and snapshot it makes
 * (pkg/driver/controller.go CreateVolume and CreateSnapshot); its IAM policy allows creating only
 * with that tag and ebs.csi.aws.com/cluster=true, which the driver always sets. `--extra-tags`
 * cannot carry it: the driver refuses extra tags under kubernetes.io (pkg/driver/validation.go
 * validateExtraTags) and would not start. AWS_REGION spares the controller the metadata lookup
 * (cmd/main.go).
 */
export function controllerArgs(clusterName: string): string[] {
  return [`--k8s-tag-cluster-id=${clusterName}`];
}

interface NodeAffinity {
  nodeAffinity?: {
    requiredDuringSchedulingIgnoredDuringExecution?: { nodeSelectorTerms: { matchExpressions?: unknown[] }[] };
  };
}

/** The driver's objects for this cluster: the rendered base with our patches (see the file comment). */
export function ebsCsiDriverObjects(v: VendoredAddon, s: EbsCsiSettings): KubeObject[] {
  const where = `addons/${v.source.name}/${v.source.version}`;
  const objects = kustomizedObjects(v);

  // Controller on the control-plane nodes. With workload identity: its role through its
  // ServiceAccount, in the pod network. Without: the host network (and so the nodes' role); its
  // healthz port is then a host port, so at most one replica per control-plane node (upstream runs
  // two, with a rolling update).
  const deployment = find(objects, "Deployment", EBS_CSI_CONTROLLER, where);
  const controller = podSpec(deployment, where);
  if (controller.hostNetwork !== undefined)
    throw new PatchError(`${where}: ${EBS_CSI_CONTROLLER} already sets hostNetwork`);
  if (!s.workloadIdentity) controller.hostNetwork = true;
  onControlPlaneNodes(controller);
  if (s.workloadIdentity) {
    const sa = find(objects, "ServiceAccount", EBS_CSI_CONTROLLER_SA, where);
    const annotations = (sa.metadata.annotations ?? {}) as Record<string, string>;
    if (annotations[ROLE_ARN_ANNOTATION] !== undefined)
      throw new PatchError(`${where}: ${EBS_CSI_CONTROLLER_SA} already names a role`);
    sa.metadata.annotations = { ...annotations, [ROLE_ARN_ANNOTATION]: EBS_CSI_ROLE_ARN_PLACEHOLDER };
    addWebIdentity(controller, EBS_CSI_PLUGIN, EBS_CSI_ROLE_ARN_PLACEHOLDER, where);
  } else {
    const spec = deployment.spec as { replicas: number };
    spec.replicas = Math.min(spec.replicas, s.controlPlaneCount ?? spec.replicas);
  }
  const plugin = container(controller, EBS_CSI_PLUGIN, where);
  addArgs(plugin, controllerArgs(s.clusterName), where);
  setEnv(plugin, { AWS_REGION: s.region });

  // Node plugin: metadata from the Node object, and only on nodes the cloud controller initialised.
  const daemonSet = find(objects, "DaemonSet", EBS_CSI_NODE, where);
  const node = podSpec(daemonSet, where);
  addArgs(container(node, EBS_CSI_PLUGIN, where), NODE_PLUGIN_ARGS, where);
  const affinity = (node.affinity as NodeAffinity | undefined)?.nodeAffinity;
  const terms = affinity?.requiredDuringSchedulingIgnoredDuringExecution?.nodeSelectorTerms;
  if (terms?.length !== 1)
    throw new PatchError(`${where}: ${EBS_CSI_NODE} no longer has one required node affinity term`);
  const initialised = { key: INITIALISED_NODE_LABEL, operator: "Exists" };
  terms[0].matchExpressions = [...(terms[0].matchExpressions ?? []), initialised];

  return objects;
}

/**
 * The cluster's default StorageClass: encrypted gp3 (parameters "type" and "encrypted":
 * pkg/driver/constants.go), each volume made in the zone of the first pod that uses it
 * (WaitForFirstConsumer), and grown by editing the claim. Without kmsKeyId EBS uses the account's
 * default EBS key. Deleting a claim deletes its volume.
 */
export function defaultStorageClass(): IStorageClass {
  return {
    apiVersion: "storage.k8s.io/v1",
    kind: "StorageClass",
    metadata: {
      name: DEFAULT_STORAGE_CLASS_NAME,
      annotations: { "storageclass.kubernetes.io/is-default-class": "true" },
    },
    provisioner: EBS_CSI_PROVISIONER,
    parameters: { type: "gp3", encrypted: "true" },
    reclaimPolicy: "Delete",
    volumeBindingMode: "WaitForFirstConsumer",
    allowVolumeExpansion: true,
  };
}

/**
 * The default StorageClass in a file of its own: the node creates it only when absent, after the
 * driver (k8s-addons), so an operator's later change (another default class, the annotation
 * removed) is never undone by a re-run. Server-side apply with --force-conflicts, as for the
 * add-ons, would take the annotation back.
 */
export function defaultStorageClassFile(path: string): BundleFile {
  const objects = [defaultStorageClass() as unknown as KubeObject];
  return {
    path,
    text: yamlDocs(objects, false),
    objects,
    source: `StorageClass ${DEFAULT_STORAGE_CLASS_NAME} (ours: src/addons/ebs-csi-driver.ts), created when absent`,
  };
}

/** The bundle file: the driver's objects, and where they come from. */
export function ebsCsiDriverFile(v: VendoredAddon, s: EbsCsiSettings, path: string): BundleFile {
  const objects = ebsCsiDriverObjects(v, s);
  const where = `addons/${v.source.name}/${v.source.version}`;
  const credentials = s.workloadIdentity
    ? `its ServiceAccount's role (${ROLE_ARN_ANNOTATION} and the web identity token, filled in on the node)`
    : "host network";
  return {
    path,
    text: yamlDocs(objects, s.workloadIdentity === true),
    objects,
    source:
      `${where} (${v.source.url}) as its kustomization.yaml renders it; controller with ${credentials} on ` +
      `control-plane nodes, ${controllerArgs("<cluster>").join(" ")}, AWS_REGION; node plugin ` +
      `${NODE_PLUGIN_ARGS.join(" ")} on initialised nodes`,
  };
}
